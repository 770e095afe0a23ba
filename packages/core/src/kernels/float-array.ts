/** The arrays every kernel, layer and optimizer works on: float32 in training, float64 in gradient checks. */
export type FloatArray = Float32Array | Float64Array;

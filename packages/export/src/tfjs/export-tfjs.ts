import { activationDefinition, errors } from '@shardgrad/core';
import { denseLayers, shiftAndScale, type DenseLayer, type ExportableModel } from '../model.js';


interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

type Inbound = [string, number, number, Record<string, never>];
interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  name: string;
  inbound_nodes: Inbound[][];
}

/**
 * Folds x' = (x − shift)/scale into the blocks that read the input: y⁰·W = x·(W/scale) − (shift/scale)·W,
 * so each block from layer 0 gets its rows divided by scale and its layer's bias loses (shift/scale)·W.
 * A constant minmax column (scale ∞) gets a zero row. Returns new weights; the model is not changed.
 */
function foldPreprocess(layers: DenseLayer[], model: ExportableModel): { W: Map<string, Float32Array>; b: Map<number, Float32Array> } {
  const W = new Map<string, Float32Array>();
  const b = new Map<number, Float32Array>();
  const pre = shiftAndScale(model.preprocess);
  for (const layer of layers) b.set(layer.to, Float32Array.from(layer.b));
  for (const layer of layers)
    for (const block of [layer.main, ...layer.skips]) {
      if (block.from !== 0 || !pre) {
        W.set(`${block.from}>${block.to}`, Float32Array.from(block.W));
        continue;
      }
      const folded = new Float32Array(block.W.length);
      const bias = Float64Array.from(b.get(block.to)!);
      for (let i = 0; i < block.nIn; i++) {
        const a = 1 / pre.scale[i]; // 0 for a constant minmax column
        const c = -pre.shift[i] * a;
        for (let j = 0; j < block.nOut; j++) {
          const w = block.W[i * block.nOut + j];
          folded[i * block.nOut + j] = w * a;
          bias[j] += c * w;
        }
      }
      W.set(`${block.from}>${block.to}`, folded);
      b.set(block.to, Float32Array.from(bias));
    }
  return { W, b };
}

/**
 * The model as a TF.js layers model: model.json (format "layers-model", a functional Keras "Model"
 * topology) and weights.bin (float32, little-endian, in the order of weightsManifest). Each weight
 * layer is a Dense layer with the activation; a layer that connections skip into is a Dense layer
 * (with bias) for the layer below plus one bias-free Dense layer per skip block, summed by an Add
 * layer and followed by an Activation layer. Input scaling is folded into the weights that read the
 * input (see foldPreprocess), so the model takes raw features; its output equals `shardgrad predict`'s.
 */
export function exportTfjs(model: ExportableModel): { modelJson: Uint8Array; weightsBin: Uint8Array } {
  const layers = denseLayers(model);
  const { spec } = model;
  const folded = foldPreprocess(layers, model);
  const json: LayerJson[] = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, spec.sizes[0]], dtype: 'float32', sparse: false, name: 'input' }, name: 'input', inbound_nodes: [] },
  ];
  const weightSpecs: WeightSpec[] = [];
  const weightData: Float32Array[] = [];
  const from = (name: string): Inbound => [name, 0, 0, {}];
  const dense = (name: string, units: number, activation: string, useBias: boolean, input: string) =>
    json.push({
      class_name: 'Dense',
      config: { units, activation, use_bias: useBias, name, trainable: true, dtype: 'float32' },
      name,
      inbound_nodes: [[from(input)]],
    });
  const weight = (name: string, shape: number[], data: Float32Array) => {
    weightSpecs.push({ name, shape, dtype: 'float32' });
    weightData.push(data);
  };

  // y[k]: the TF.js layer whose output is node layer k
  const y: string[] = ['input'];
  for (const layer of layers) {
    const t = layer.to;
    const { nIn, nOut } = layer.main;
    const activation = activationDefinition(layer.activation).tfjs;
    if (activation === null) throw errors.badInput('tfjs', `the ${layer.activation} activation has no TF.js layers form that @tensorflow/tfjs loads; export ONNX instead`);
    if (layer.skips.length === 0) {
      dense(`dense_${t}`, nOut, activation, true, y[t - 1]);
      weight(`dense_${t}/kernel`, [nIn, nOut], folded.W.get(`${t - 1}>${t}`)!);
      weight(`dense_${t}/bias`, [nOut], folded.b.get(t)!);
      y.push(`dense_${t}`);
      continue;
    }
    dense(`dense_${t}`, nOut, 'linear', true, y[t - 1]);
    weight(`dense_${t}/kernel`, [nIn, nOut], folded.W.get(`${t - 1}>${t}`)!);
    weight(`dense_${t}/bias`, [nOut], folded.b.get(t)!);
    for (const s of layer.skips) {
      const name = `skip_${s.from}_${t}`;
      dense(name, nOut, 'linear', false, y[s.from]);
      weight(`${name}/kernel`, [s.nIn, nOut], folded.W.get(`${s.from}>${t}`)!);
    }
    const sources = [`dense_${t}`, ...layer.skips.map((s) => `skip_${s.from}_${t}`)];
    json.push({ class_name: 'Add', config: { name: `sum_${t}`, trainable: true, dtype: 'float32' }, name: `sum_${t}`, inbound_nodes: [sources.map(from)] });
    json.push({ class_name: 'Activation', config: { activation, name: `act_${t}`, trainable: true, dtype: 'float32' }, name: `act_${t}`, inbound_nodes: [[from(`sum_${t}`)]] });
    y.push(`act_${t}`);
  }

  const modelJson = {
    format: 'layers-model',
    generatedBy: 'shardgrad 0.1.0',
    convertedBy: null,
    modelTopology: {
      class_name: 'Model',
      config: { name: 'shardgrad_mlp', layers: json, input_layers: [['input', 0, 0]], output_layers: [[y[y.length - 1], 0, 0]] },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }],
    userDefinedMetadata: { shardgrad: { spec: { sizes: spec.sizes, activations: spec.activations, loss: spec.loss, skips: spec.skips ?? [] }, preprocess: model.preprocess.kind, preprocessFolded: model.preprocess.kind !== 'none' } },
  };
  const total = weightData.reduce((s, w) => s + w.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const w of weightData) {
    all.set(w, at);
    at += w.length;
  }
  return { modelJson: new TextEncoder().encode(JSON.stringify(modelJson, null, 1) + '\n'), weightsBin: new Uint8Array(all.buffer) };
}

/**
 * A short fingerprint of the parameters: FNV-1a (32-bit) over the bytes of the float32 values,
 * as 8 hex digits. Equal fingerprints after the same steps with 1 and with N workers show that the
 * weights are bit-identical, whatever the worker count.
 */
export function fingerprint(theta: Float32Array): string {
  const bytes = new Uint8Array(theta.buffer, theta.byteOffset, theta.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

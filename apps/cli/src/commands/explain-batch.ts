import type { BatchTrace } from '@shardgrad/coordinator';

/** The trace as a table: one row per parameter, one column per worker, then average and full batch. */
export function formatBatchTrace(t: BatchTrace): string {
  const B = t.inputs.length;
  const f = (x: number) => x.toFixed(6).padStart(11);
  const out: string[] = [];
  const skips = t.spec.skips?.length ? ` with the skip connection${t.spec.skips.length > 1 ? 's' : ''} ${t.spec.skips.map(([k, l]) => `${k}>${l}`).join(', ')} (v^l = Σ_k y^k·W^{k→l} + b^l)` : '';
  out.push(`Network ${t.spec.sizes.join('-')}${skips} (${t.spec.activations.join(', ')}; ${t.spec.loss}), a batch of ${B} samples split over ${t.shards.length} workers:`);
  t.inputs.forEach((x, r) => {
    const w = t.shards.find((s) => r >= s.samples[0] && r < s.samples[1])!.worker;
    out.push(`  sample ${r + 1}: x = (${x.map((v) => v.toFixed(2)).join(', ')}), class ${t.targets[r].indexOf(1)}  → worker ${w}`);
  });
  const weights = t.shards.map((s) => `${s.size}/${B}·ḡ${s.worker}`).join(' + ');
  out.push('');
  out.push('Each worker computes the mean gradient ḡw of its own samples; the average weighted by shard size,');
  out.push(`ḡ = ${weights}, is exactly the gradient of the whole batch's mean loss.`);
  out.push(`The workers add their summed gradients Gw in a fixed pairwise tree, ḡ = ${t.tree.replace(/\d+/g, 'G$&')} / ${B},`);
  out.push('so the bits do not depend on how many workers share the shards:');
  out.push('');
  const head = t.shards.map((s) => `worker ${s.worker} (${s.size})`.padStart(13));
  out.push(`${'parameter'.padEnd(10)}${head.join('')}${'weighted avg'.padStart(14)}${'full batch'.padStart(13)}`);
  t.names.forEach((name, i) => {
    out.push(`${name.padEnd(10)}${t.shards.map((s) => f(s.meanGradient[i]).padStart(13)).join('')}${f(t.average[i]).padStart(14)}${f(t.fullBatch[i]).padStart(13)}`);
  });
  out.push('');
  out.push(`largest difference between the weighted average and the full-batch gradient: ${t.maxAbsDifference.toExponential(1)} (float32 rounding)`);
  return out.join('\n');
}

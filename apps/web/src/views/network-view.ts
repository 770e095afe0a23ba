import type { ExplainTrace, ParamLayout } from '@shardgrad/core';
import { divergingCss, maxAbs } from './color-map.js';
import { networkLayout } from './network-model.js';

/**
 * Units coloured by their activation for one sample (from core's explain trace), connections
 * coloured by weight sign and drawn thicker for larger |W|; connections that skip layers as arcs
 * bowing upwards over the layers they skip.
 */
export function drawNetwork(canvas: HTMLCanvasElement, sizes: readonly number[], layout: ParamLayout, params: Float32Array, trace: ExplainTrace): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  const net = networkLayout(sizes, w, h, 16, 24, 26);
  const wMax = maxAbs([params]);
  layout.layers.forEach((slot, l) => {
    for (const a of net.nodes[l])
      for (const b of net.nodes[l + 1]) {
        const wt = params[slot.w + a.unit * slot.nOut + b.unit];
        ctx.beginPath();
        ctx.moveTo(a.x, a.y);
        ctx.lineTo(b.x, b.y);
        ctx.strokeStyle = divergingCss(wt / wMax);
        ctx.lineWidth = 0.3 + 3 * Math.abs(wt / wMax);
        ctx.stroke();
      }
  });
  for (const slot of layout.skips)
    for (const a of net.nodes[slot.from])
      for (const b of net.nodes[slot.to]) {
        const wt = params[slot.w + a.unit * slot.nOut + b.unit];
        ctx.beginPath();
        ctx.moveTo(a.x, a.y);
        ctx.quadraticCurveTo((a.x + b.x) / 2, Math.min(a.y, b.y) - 0.25 * (b.x - a.x), b.x, b.y);
        ctx.strokeStyle = divergingCss(wt / wMax);
        ctx.lineWidth = 0.3 + 3 * Math.abs(wt / wMax);
        ctx.stroke();
      }
  const activations = [trace.net.input, ...trace.forward.map((f) => f.y)];
  net.nodes.forEach((layer, k) => {
    for (const u of layer) {
      const y = activations[k][u.unit];
      ctx.beginPath();
      ctx.arc(u.x, u.y, 8, 0, 2 * Math.PI);
      ctx.fillStyle = divergingCss(Math.max(-1, Math.min(1, y)));
      ctx.fill();
      ctx.strokeStyle = '#333';
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    if (net.hidden[k] > 0) {
      const last = layer[layer.length - 1];
      ctx.fillStyle = '#333';
      ctx.font = '10px system-ui, sans-serif';
      ctx.fillText(`+${net.hidden[k]}`, last.x - 10, last.y + 20);
    }
  });
}

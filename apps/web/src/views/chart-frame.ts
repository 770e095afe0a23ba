/** A chart's drawing area: the context, the canvas size and the padding for the axis labels. */
export interface ChartFrame {
  readonly ctx: CanvasRenderingContext2D;
  readonly w: number;
  readonly h: number;
  readonly pad: { readonly l: number; readonly r: number; readonly t: number; readonly b: number };
}

/** Clears the canvas to the charts' background and returns its frame (null without a 2D context). */
export function chartFrame(canvas: HTMLCanvasElement): ChartFrame | null {
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = '#fafafa';
  ctx.fillRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  return { ctx, w, h, pad: { l: 44, r: 8, t: 8, b: 20 } };
}

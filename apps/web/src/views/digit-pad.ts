import { digitToMnist } from './digit-model.js';

const SIDE = 140; // ink grid (side × side) behind the 280-pixel canvas

/**
 * A canvas to draw a digit on with the mouse (or touch). Calls `onDigit` with the MNIST-style
 * 28 × 28 input after every stroke segment, and `null` when cleared.
 */
export class DigitPad {
  private readonly ink = new Float32Array(SIDE * SIDE); // (SIDE, SIDE)
  private readonly input = new Float32Array(28 * 28);
  private drawing = false;
  private last: [number, number] | null = null;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly onDigit: (x: Float32Array | null) => void) {
    canvas.addEventListener('pointerdown', (e) => {
      this.drawing = true;
      canvas.setPointerCapture(e.pointerId);
      this.stroke(e);
    });
    canvas.addEventListener('pointermove', (e) => this.drawing && this.stroke(e));
    const stop = () => ((this.drawing = false), (this.last = null));
    canvas.addEventListener('pointerup', stop);
    canvas.addEventListener('pointercancel', stop);
    this.clear();
  }

  clear(): void {
    this.ink.fill(0);
    const ctx = this.canvas.getContext('2d');
    if (ctx) ((ctx.fillStyle = '#000'), ctx.fillRect(0, 0, this.canvas.width, this.canvas.height));
    this.onDigit(null);
  }

  private stroke(e: PointerEvent): void {
    const r = this.canvas.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * SIDE;
    const y = ((e.clientY - r.top) / r.height) * SIDE;
    const [lx, ly] = this.last ?? [x, y];
    const steps = Math.max(1, Math.ceil(Math.hypot(x - lx, y - ly)));
    for (let k = 0; k <= steps; k++) this.dab(lx + ((x - lx) * k) / steps, ly + ((y - ly) * k) / steps);
    this.last = [x, y];
    this.paint();
    this.onDigit(digitToMnist(this.ink, SIDE, this.input) ? this.input : null);
  }

  /** A round brush of radius 5 ink cells, soft at the edge. */
  private dab(cx: number, cy: number): void {
    const R = 5;
    for (let y = Math.floor(cy - R); y <= cy + R; y++)
      for (let x = Math.floor(cx - R); x <= cx + R; x++) {
        if (x < 0 || y < 0 || x >= SIDE || y >= SIDE) continue;
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const v = d < R - 1 ? 1 : d < R ? R - d : 0;
        const i = y * SIDE + x;
        if (v > this.ink[i]) this.ink[i] = v;
      }
  }

  private paint(): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(SIDE, SIDE);
    for (let i = 0; i < SIDE * SIDE; i++) {
      const v = Math.round(255 * this.ink[i]);
      img.data.set([v, v, v, 255], 4 * i);
    }
    const tmp = document.createElement('canvas');
    tmp.width = tmp.height = SIDE;
    tmp.getContext('2d')?.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tmp, 0, 0, this.canvas.width, this.canvas.height);
  }
}

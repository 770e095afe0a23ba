/** A unit of the network drawing: layer k (0 = inputs) and unit j, at (x, y). */
export interface UnitNode {
  readonly layer: number;
  readonly unit: number;
  readonly x: number;
  readonly y: number;
}

export interface NetworkLayout {
  /** nodes[k]: the drawn units of layer k (at most maxUnits of them) */
  readonly nodes: readonly (readonly UnitNode[])[];
  /** units of layer k left out of the drawing */
  readonly hidden: readonly number[];
}

/**
 * Where to draw the units of a network with layer sizes `sizes` in a w × h box: layers in evenly
 * spaced columns (the first at margin, the last at w − margin), the units of a layer evenly spaced
 * and centred vertically with `gap` between neighbours (shrunk to fit). Layers wider than
 * `maxUnits` show their first maxUnits units.
 */
export function networkLayout(sizes: readonly number[], w: number, h: number, maxUnits = 16, margin = 20, gap = 28): NetworkLayout {
  const L = sizes.length;
  const drawn = sizes.map((n) => Math.min(n, maxUnits));
  const most = Math.max(...drawn);
  const g = most > 1 ? Math.min(gap, (h - 2 * margin) / (most - 1)) : 0;
  const nodes = drawn.map((n, k) => {
    const x = L > 1 ? margin + (k * (w - 2 * margin)) / (L - 1) : w / 2;
    const top = h / 2 - ((n - 1) * g) / 2;
    return Array.from({ length: n }, (_, j): UnitNode => ({ layer: k, unit: j, x, y: top + j * g }));
  });
  return { nodes, hidden: sizes.map((n, k) => n - drawn[k]) };
}

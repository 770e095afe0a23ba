import { divergingCss } from './color-map.js';

/** A colour legend of the diverging map: the CSS gradient and the labels at its two ends and middle. */
export interface Legend {
  /** CSS linear-gradient from the colour of −reach through the zero colour to that of +reach */
  readonly gradient: string;
  readonly labels: readonly [string, string, string];
  readonly title: string;
}

/** ±scale of a heat map drawn with value / scale (negative orange, positive blue). */
export function signedLegend(title: string, scale: number): Legend {
  const s = scale.toExponential(1);
  return { gradient: gradientOf(1), labels: [`−${s}`, '0', `+${s}`], title };
}

/**
 * A legend for values mapped onto [−reach, reach] of the map: the boundary draws P(blue) as
 * 0.7·(2P − 1), so `probabilityLegend('P(blue)', 0.7)` runs from P = 0 to P = 1.
 */
export function probabilityLegend(title: string, reach: number): Legend {
  return { gradient: gradientOf(reach), labels: ['0', '0.5', '1'], title };
}

function gradientOf(reach: number): string {
  return `linear-gradient(to right, ${divergingCss(-reach)}, ${divergingCss(0)}, ${divergingCss(reach)})`;
}

import type { ExplainBlock } from './explain-model.js';

/** Renders the explain blocks: a title, the equation and the sample's numbers. */
export function drawExplain(root: HTMLElement, blocks: readonly ExplainBlock[]): void {
  root.replaceChildren(
    ...blocks.map((b) => {
      const sec = document.createElement('section');
      const h = document.createElement('h4');
      h.textContent = b.title;
      const eq = document.createElement('div');
      eq.className = 'equation';
      eq.textContent = b.equation;
      const nums = document.createElement('pre');
      nums.textContent = b.numbers;
      sec.append(h, eq, nums);
      return sec;
    }),
  );
}

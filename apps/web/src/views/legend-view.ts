import type { Legend } from './legend-model.js';

/** Fills `el` with a legend: its title, the colour bar, and the values at its ends and middle. */
export function drawLegend(el: HTMLElement, legend: Legend): void {
  if (!el.firstChild) {
    el.classList.add('legend');
    const title = document.createElement('span');
    title.className = 'legend-title';
    const bar = document.createElement('span');
    bar.className = 'legend-bar';
    const labels = document.createElement('span');
    labels.className = 'legend-labels';
    labels.append(document.createElement('span'), document.createElement('span'), document.createElement('span'));
    el.append(title, bar, labels);
  }
  const [title, bar, labels] = Array.from(el.children) as HTMLElement[];
  title.textContent = legend.title;
  bar.style.background = legend.gradient;
  Array.from(labels.children).forEach((s, i) => (s.textContent = legend.labels[i]));
}

import { bindParams, createWorkspace, forward, isShardgradError, layerViews, type Kernels, type Workspace } from '@shardgrad/core';
import { DATASET_DEFAULTS, stepDelayMs } from './app/defaults.js';
import { parseLrSchedule, stepRate, type LrSchedule } from './app/lr-schedule.js';
import { FORM_CHOICES, parseSettings, type RawSettings, type Settings } from './app/settings.js';
import { Throughput } from './app/throughput.js';
import { PLANE_DATASETS, type DatasetName, type PlaneDataset, type WebDataset } from './data/dataset.js';
import { loadMnistDigits } from './data/mnist-digits.js';
import { planeDataset } from './data/plane-datasets.js';
import { createKernels, kernelChoiceFrom } from './training/kernels.js';

/** wasm by default; `?kernels=reference` runs the readable loops (what the Node comparison test uses) */
const KERNELS = kernelChoiceFrom(location.search);
import { TrainingSession } from './training/session.js';
import { BoundaryView } from './views/boundary-view.js';
import { DigitPad } from './views/digit-pad.js';
import { explainBlocks, explainSample } from './views/explain-model.js';
import { fingerprint } from './views/fingerprint.js';
import { drawExplain } from './views/explain-view.js';
import { gradientPanel } from './views/gradient-panel-model.js';
import { GradientPanelView, MOSAIC_UNITS } from './views/gradient-panel-view.js';
import { maxAbs } from './views/color-map.js';
import { probabilityLegend, signedLegend } from './views/legend-model.js';
import { drawLegend } from './views/legend-view.js';
import { imageSide } from './views/receptive-field-model.js';
import { reductionTree, type TreeDrawing } from './views/tree-model.js';
import { drawTree, workerColor } from './views/tree-view.js';
import { drawLossChart } from './views/loss-chart-view.js';
import { drawNoiseChart } from './views/noise-chart-view.js';
import { batchPosition, batchReading } from './views/noise-model.js';
import { largestGradient, paramName, treeValues, type TreeValues } from './views/tree-values-model.js';
import { drawTreeValues } from './views/tree-values-view.js';
import { drawNetwork } from './views/network-view.js';
import { SeriesHistory } from './views/series-history.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** SharedArrayBuffer exists only in a cross-origin isolated page. */
const SHARED = globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
const MAX_WORKERS = SHARED ? Math.max(1, Math.min(16, navigator.hardwareConcurrency || 1)) : 1;
/** V: fixed (the CLI's default), so the reduction tree (and the weights) depend on neither the worker count nor the machine */
const VIRTUAL_SHARDS = 16;
const EVAL_EVERY_MS = 250;
/** while training, the heavy panels redraw at most this often (less often for big networks) */
const FULL_DRAW_MS = 200;
const FULL_DRAW_MS_LARGE = 500;
const SEED = 42;
/** a step's tree fills in bottom-up over this long, when the page is paused or steps slowly */
const TREE_ANIM_MS = 700;

/** The playground: settings, the training loop (its math in the workers), and one redraw per frame. */
class App {
  private session: TrainingSession | undefined;
  private data: WebDataset | undefined;
  private readonly cache = new Map<DatasetName, WebDataset>();
  private settings: Settings | undefined;
  private playing = false;
  private readonly train = new SeriesHistory();
  private readonly val = new SeriesHistory();
  /** the smoothed B_simple and the batch size, per step */
  private readonly bSimple = new SeriesHistory();
  private readonly batches = new SeriesHistory();
  private lossSum = 0;
  private lossCount = 0;
  private lastEval = 0;
  private readonly throughput = new Throughput(performance.now());
  private boundary: BoundaryView | undefined;
  private readonly grads = new GradientPanelView($('grad-panel'), $('grad-caption'));
  private predictWs: Workspace<Float32Array> | undefined;
  private digit: Float32Array | null = null;
  private drawnT = -1;
  /** the tree of the step being animated, and when it started */
  private treeAnim: { start: number; drawing: TreeDrawing; values: TreeValues } | undefined;
  private animatedT = -1;
  private fullDrawAt = 0;
  private dirty = true;
  private generation = 0;
  private resetting: Promise<void> = Promise.resolve();
  /** the play loop, until it has finished its last step */
  private looping: Promise<void> = Promise.resolve();
  private loopStepRunning = false;
  /** learning rate, batch size, warmup and batch scaling, read from the form when they change (not per step) */
  private live: { lr: number; batch: number; schedule: LrSchedule } = { lr: 0.03, batch: 32, schedule: { lrWarmup: 0, lrScale: 'none' } };

  constructor(private readonly kernels: Kernels) {
    // the activations and optimizers the registries define (index.html holds only the initial choice)
    for (const [id, choices] of Object.entries(FORM_CHOICES)) {
      const select = $<HTMLSelectElement>(id);
      const initial = select.value;
      select.replaceChildren(...choices.map((c) => new Option(c, c)));
      select.value = initial;
    }
    const sel = $<HTMLSelectElement>('workers');
    for (let w = 1; w <= MAX_WORKERS; w++) sel.add(new Option(String(w), String(w)));
    sel.value = String(Math.min(2, MAX_WORKERS));
    sel.disabled = MAX_WORKERS === 1;
    $('play').addEventListener('click', () => (this.playing ? this.pause() : void this.play()));
    $('step').addEventListener('click', () => void this.singleStep());
    $('reset').addEventListener('click', () => void this.reset());
    $('dataset').addEventListener('change', () => {
      this.applyDefaults();
      void this.reset();
    });
    for (const id of ['hidden', 'activation', 'optimizer', 'weight-decay', 'workers', 'skips', 'sync', 'sync-every', 'replicas']) $(id).addEventListener('change', () => void this.reset());
    $('sync').addEventListener('change', () => this.showSyncFields());
    this.showSyncFields();
    // local:H and hogwild count rounds in the run's batch: a new batch size is a new run
    $('batch').addEventListener('change', () => this.settings?.sync && void this.reset());
    $('preset-xor').addEventListener('click', () => {
      // the 1986 paper's XOR net: one hidden unit, the inputs also wired straight to the outputs
      $<HTMLSelectElement>('dataset').value = 'xor';
      this.applyDefaults();
      $<HTMLInputElement>('hidden').value = '1';
      $<HTMLSelectElement>('activation').value = 'tanh';
      $<HTMLSelectElement>('skips').value = 'all';
      void this.reset();
    });
    const delay = $<HTMLInputElement>('delay');
    const showDelay = () => ($('delay-value').textContent = `${stepDelayMs(delay.value)} ms`);
    delay.addEventListener('input', showDelay);
    showDelay();
    for (const id of ['lr', 'batch', 'warmup', 'lr-scale', 'base-batch']) $(id).addEventListener('change', () => (this.live = this.readLive()));
    // the noise chart's batch slider (powers of two) and the form's batch field are one setting
    const slider = $<HTMLInputElement>('noise-batch');
    $('batch').addEventListener('change', () => this.showBatch());
    slider.addEventListener('input', () => {
      $<HTMLInputElement>('batch').value = String(2 ** Number(slider.value));
      $('noise-batch-value').textContent = $<HTMLInputElement>('batch').value;
    });
    slider.addEventListener('change', () => {
      if (this.settings?.sync) return void this.reset();
      this.live = this.readLive();
      this.dirty = true;
    });
    this.showBatch();
    $('tree-param').addEventListener('change', () => (this.dirty = true));
    $('grad-layer').addEventListener('change', () => {
      this.fillUnits();
      this.dirty = true;
    });
    $('grad-units').addEventListener('change', () => (this.dirty = true));
    $('sample').addEventListener('change', () => (this.dirty = true));
    $('boundary').addEventListener('click', (e) => {
      if (!this.boundary || !this.data) return;
      $<HTMLInputElement>('sample').value = String(this.boundary.validationRowAt(e.offsetX, e.offsetY) - this.data.trainRows);
      this.dirty = true;
    });
    const pad = new DigitPad($<HTMLCanvasElement>('digit-pad'), (x) => ((this.digit = x), (this.dirty = true)));
    $('clear-pad').addEventListener('click', () => pad.clear());
    requestAnimationFrame(() => this.frame());
  }

  /** Stops training, builds a new session from the form, and evaluates the fresh network. */
  reset(): Promise<void> {
    this.resetting = this.rebuild(++this.generation);
    return this.resetting;
  }

  private async rebuild(gen: number): Promise<void> {
    this.pause();
    this.session?.dispose();
    this.session = undefined;
    document.body.dataset.ready = 'false';
    this.showError(null);
    let settings: Settings;
    let schedule: LrSchedule;
    try {
      settings = parseSettings(this.rawSettings(), MAX_WORKERS, VIRTUAL_SHARDS);
      schedule = parseLrSchedule(this.rawLrSchedule());
      this.setStatus('loading data…');
      const data = await this.dataset(settings.dataset);
      const session = await TrainingSession.start(
        {
          dataset: data,
          hidden: settings.hidden,
          activation: settings.activation,
          skips: settings.skips,
          optimizer: settings.optimizer,
          ...(settings.weightDecay !== undefined ? { weightDecay: settings.weightDecay } : {}),
          workers: settings.workers,
          virtualShards: VIRTUAL_SHARDS,
          seed: SEED,
          shared: SHARED,
          kernels: KERNELS,
          ...(settings.sync ? { sync: settings.sync, batch: settings.batch } : {}),
        },
        (m) => this.fail(m),
      );
      if (gen !== this.generation) return session.dispose();
      this.session = session;
      this.data = data;
      this.settings = settings;
      this.live = { lr: settings.lr, batch: settings.batch, schedule };
    } catch (e) {
      if (gen === this.generation) this.showError(isShardgradError(e) ? e.message : String((e as Error).message ?? e));
      return;
    }
    const s = this.session;
    const plane = PLANE_DATASETS.includes(settings.dataset as PlaneDataset);
    $('boundary').hidden = !plane;
    $('mnist-pad').hidden = plane;
    $('plane-title').textContent = plane ? 'decision boundary (P(blue) over the plane; ringed points: validation)' : 'draw a digit';
    this.boundary = plane ? new BoundaryView($<HTMLCanvasElement>('boundary'), s.spec, s.snapshot.params, this.kernels, this.data!, s.snapshot.replicas) : undefined;
    this.predictWs = createWorkspace(s.spec, 1);
    bindParams(this.predictWs, layerViews(s.snapshot.params, this.predictWs.layout));
    const layerSel = $<HTMLSelectElement>('grad-layer');
    layerSel.replaceChildren(...s.layout.layers.map((l, i) => new Option(`${i + 1}: ${l.nIn}→${l.nOut}`, String(i))));
    layerSel.value = String(s.layout.layers.length > 2 ? 1 : 0);
    this.fillUnits();
    this.treeLegend(s.W);
    if (plane) drawLegend($('boundary-legend'), probabilityLegend('P(blue) over the plane', 0.7));
    $('boundary-legend').hidden = !plane;
    $<HTMLInputElement>('sample').max = String(this.data!.rows - this.data!.trainRows - 1);
    this.train.clear();
    this.val.clear();
    this.bSimple.clear();
    this.batches.clear();
    $<HTMLInputElement>('tree-param').value = ''; // each step's largest |ḡ|
    $<HTMLInputElement>('tree-param').max = String(s.P - 1);
    $('noise-reading').textContent = '';
    this.showBatch();
    this.lossSum = this.lossCount = 0;
    this.showSyncLine(settings, SHARED ? s.W : 1);
    $('setup-line').textContent =
      `${SHARED ? `${s.W} worker${s.W > 1 ? 's' : ''}` : 'in the page'}, ${s.V} virtual shards, ${s.P} parameters, ` +
      `${this.data!.trainRows} training / ${this.data!.rows - this.data!.trainRows} validation rows, ${SHARED ? 'shared memory' : 'no shared memory'}, ${this.kernels.name} kernels`;
    await this.evaluate(s, NaN);
    if (gen !== this.generation) return;
    this.dirty = true;
    this.setStatus('ready');
    document.body.dataset.ready = 'true';
  }

  private play(): Promise<void> {
    const previous = this.looping;
    this.looping = this.playLoop(previous);
    return this.looping;
  }

  private async playLoop(previous: Promise<void>): Promise<void> {
    await this.resetting; // play pressed while a reset is under way starts the new session
    await previous; // a loop that is still finishing its last step after a pause
    const s = this.session;
    if (!s || this.playing) return;
    this.playing = true;
    document.body.dataset.playing = 'true';
    $('play').textContent = '❚❚ pause';
    this.throughput.restart(performance.now());
    try {
      while (this.playing && this.session === s) {
        this.loopStepRunning = true;
        await this.trainStep(s).finally(() => (this.loopStepRunning = false));
        // a step delay lets a class watch the boundary move step by step
        const ms = stepDelayMs($<HTMLInputElement>('delay').value);
        if (ms > 0 && this.playing) {
          await this.evaluate(s, performance.now());
          await new Promise((resolve) => setTimeout(resolve, ms));
        }
      }
    } catch (e) {
      if (this.session === s) this.fail((e as Error).message);
    }
    if (this.session === s) s.syncSnapshot();
    // every panel shows one step after a pause: the loop's last step was copied for the views only if
    // a frame had asked for it, so when it was not, one more step is taken with a copy
    if (this.session === s && s.snapshot.t !== s.t) {
      try {
        s.requestSnapshot();
        await this.trainStep(s);
      } catch (e) {
        if (this.session === s) this.fail((e as Error).message);
      }
    }
    // and the loss curves and figures end at that step too (while playing they are evaluated every 250 ms)
    if (this.session === s && this.val.xs[this.val.length - 1] !== s.t) await this.evaluate(s, performance.now()).catch((e: Error) => this.fail(e.message));
    this.dirty = true;
    // the loop's last step is done and shown: a test (or a person) reading the step count now sees
    // every step the loop made, so a single step after this is exactly one more
    $('stat-step').textContent = String(s.t);
    document.body.dataset.playing = 'false';
  }

  private pause(): void {
    this.playing = false;
    $('play').textContent = '▶ play';
  }

  /**
   * One step, then an evaluation. Paused while the play loop's step was still under way: that
   * step, not yet shown when the button was pressed, is the one step (never two steps at once).
   */
  private async singleStep(): Promise<void> {
    await this.resetting;
    if (this.playing) return;
    const finishing = this.loopStepRunning;
    await this.looping;
    const s = this.session;
    if (!s || this.playing) return;
    try {
      if (!finishing) {
        s.requestSnapshot();
        await this.trainStep(s);
      }
      await this.evaluate(s, performance.now());
    } catch (e) {
      this.fail((e as Error).message);
    }
  }

  private async trainStep(s: TrainingSession): Promise<void> {
    const { batch } = this.live;
    const r = await s.step(batch, stepRate(this.live.schedule, this.live.lr, batch, s.t));
    if (!Number.isFinite(r.loss)) {
      this.pause();
      this.showError('training diverged (the loss is not finite): lower the learning rate and reset');
      return;
    }
    this.lossSum += r.loss;
    this.lossCount++;
    this.bSimple.push(s.t, r.noiseEma.bSimple);
    this.batches.push(s.t, r.samples);
    const now = performance.now();
    this.throughput.add(r.samples, now);
    if (now - this.lastEval >= EVAL_EVERY_MS) await this.evaluate(s, now);
  }

  /** Validation loss and accuracy now; the training loss is the mean batch loss since last time. */
  private async evaluate(s: TrainingSession, now: number): Promise<void> {
    const e = await s.evaluate();
    const trainLoss = this.lossCount ? this.lossSum / this.lossCount : e.loss;
    this.lossSum = this.lossCount = 0;
    this.lastEval = Number.isNaN(now) ? performance.now() : now;
    this.train.push(s.t, trainLoss);
    this.val.push(s.t, e.loss);
    $('stat-loss').textContent = trainLoss.toFixed(4);
    $('stat-val-loss').textContent = e.loss.toFixed(4);
    $('stat-acc').textContent = `${(100 * e.accuracy).toFixed(1)} %`;
    if (!this.playing) this.dirty = true; // while playing, every new step redraws the chart anyway
  }

  /** At most one redraw per animation frame, from the step snapshot the frame asked for. */
  private frame(): void {
    requestAnimationFrame(() => this.frame());
    const s = this.session;
    if (!s) return;
    if (this.playing) s.requestSnapshot();
    $('stat-step').textContent = String(s.t);
    $('stat-epoch').textContent = String(s.epoch);
    $('stat-sps').textContent = this.playing ? Math.round(this.throughput.rate).toLocaleString('en') : '0';
    if (this.treeAnim) {
      const a = this.treeAnim;
      const progress = Math.min(1, (performance.now() - a.start) / TREE_ANIM_MS);
      drawTree($<HTMLCanvasElement>('tree'), a.drawing, a.values, progress);
      if (progress === 1) this.treeAnim = undefined;
    }
    if (!this.dirty && s.snapshot.t === this.drawnT) return;
    const now = performance.now();
    // while training, the heavier panels redraw a few times a second so the page keeps up with the workers
    const full = this.dirty || !this.playing || now - this.fullDrawAt >= (s.P > 5000 ? FULL_DRAW_MS_LARGE : FULL_DRAW_MS);
    this.dirty = false;
    drawLossChart($<HTMLCanvasElement>('loss-chart'), this.train, this.val);
    drawNoiseChart($<HTMLCanvasElement>('noise-chart'), this.bSimple, this.batches);
    $('noise-reading').textContent = batchReading(this.live.batch, this.bSimple.last ?? NaN);
    if (!full) return;
    // the fingerprint, the boundary and the panels are drawn together, from one step's snapshot
    this.drawnT = s.snapshot.t;
    this.fullDrawAt = now;
    $('stat-theta').textContent = `${fingerprint(s.snapshot.params)} @${s.snapshot.t}`;
    if (s.snapshot.replicas.length) this.showReplicas(s.snapshot.replicas, s.snapshot.t);
    const stale = s.staleness;
    if (stale) {
      $('stat-stale').textContent = `${stale.mean.toFixed(2)} over ${stale.updates} updates`;
      $('stat-stale').dataset.mean = String(stale.mean);
    }
    if (this.data) this.boundary?.draw(this.sampleRow(this.data));
    this.drawPanels(s);
  }

  /** The averaging panel, the network, the explain panel and the digit prediction. */
  private drawPanels(s: TrainingSession): void {
    const data = this.data!;
    const snap = s.snapshot;
    const layer = Number($<HTMLSelectElement>('grad-layer').value) || 0;
    this.grads.draw(gradientPanel(snap, s.plan, s.layout, layer), Number($<HTMLSelectElement>('grad-units').value) || 0);
    this.drawTreePanel(s);
    const { input, target } = this.sample(data);
    const trace = explainSample(s.spec, snap.params, input, target, snap.lr || this.live.lr);
    drawNetwork($<HTMLCanvasElement>('network'), s.spec.sizes, s.layout, snap.params, trace);
    drawLegend($('network-legend'), signedLegend('connections: weight W (units: activation y, ±1)', maxAbs([snap.params])));
    drawExplain($('explain'), explainBlocks(trace, 6, this.settings?.optimizer));
    if (data.name === 'mnist') this.predict(s);
  }

  /**
   * The reduction tree of the snapshot's step, with its sums at the chosen parameter (the step's
   * largest |ḡ| until one is typed in).
   */
  private drawTreePanel(s: TrainingSession): void {
    const snap = s.snapshot;
    const tree = $<HTMLCanvasElement>('tree');
    const drawing = reductionTree(s.V, s.W, snap.shardSizes, tree.width, tree.height);
    $('tree-step').textContent = `step ${snap.t}: V = ${s.V} shards, ${s.W} worker${s.W > 1 ? 's' : ''}, B = ${snap.batchSize}`;
    const input = $<HTMLInputElement>('tree-param');
    const table = $<HTMLTableElement>('tree-values');
    if (snap.t === 0) {
      this.treeAnim = undefined;
      drawTree(tree, drawing);
      $('tree-param-name').textContent = '';
      table.replaceChildren();
      table.createCaption().textContent = 'take a step to see its sums';
      return;
    }
    // empty: the parameter with the largest |ḡ| of the step shown (one whose gradient shows), else the one typed in
    const auto = input.value === '';
    const p = auto ? largestGradient(snap.avgGrad) : Math.max(0, Math.min(s.P - 1, Math.trunc(Number(input.value)) || 0));
    const values = treeValues(s.V, s.published, snap.publishedSums, s.P, p, snap.avgGrad);
    $('tree-param-name').textContent = `${paramName(s.layout, p)} · #${p}${auto ? ' · the largest |ḡ|' : ''}`;
    // a new step fills in bottom-up where there is time to watch it (paused, single steps, a slow step delay)
    const slow = !this.playing || stepDelayMs($<HTMLInputElement>('delay').value) >= TREE_ANIM_MS;
    if (!slow) this.treeAnim = undefined;
    else if (snap.t !== this.animatedT) this.treeAnim = { start: performance.now(), drawing, values };
    else if (this.treeAnim) this.treeAnim = { ...this.treeAnim, drawing, values }; // a parameter picked mid-animation
    this.animatedT = snap.t;
    drawTree(tree, drawing, values, this.treeAnim ? 0 : 1);
    drawTreeValues(table, drawing, values, snap.batchSize);
    table.dataset.step = String(snap.t);
  }

  /** The sample the network view and explain panel follow: a drawn digit, or a validation row. */
  private sample(data: WebDataset): { input: Float32Array; target: Float32Array } {
    const C = data.classes;
    if (data.name === 'mnist' && this.digit) {
      const target = new Float32Array(C);
      target[this.predictWs ? this.predicted() : 0] = 1;
      return { input: this.digit, target };
    }
    const k = this.sampleRow(data);
    return { input: data.X.subarray(k * data.inputs, (k + 1) * data.inputs), target: data.Y.subarray(k * C, (k + 1) * C) };
  }

  /** The validation row chosen in the sample field (clamped). */
  private sampleRow(data: WebDataset): number {
    const max = data.rows - data.trainRows - 1;
    return data.trainRows + Math.max(0, Math.min(max, Number($<HTMLInputElement>('sample').value) || 0));
  }

  private predicted(): number {
    const ws = this.predictWs!;
    ws.x.set(this.digit!);
    const p = forward(this.session!.spec, ws, 1, this.kernels);
    let best = 0;
    for (let j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
    return best;
  }

  private predict(s: TrainingSession): void {
    if (!this.digit || !this.predictWs) {
      $('prediction').textContent = 'draw a digit';
      $('prediction-bars').replaceChildren();
      return;
    }
    const best = this.predicted();
    const p = this.predictWs.y[this.predictWs.y.length - 1];
    $('prediction').textContent = `prediction: ${best} (${(100 * p[best]).toFixed(1)} %) after ${s.t} steps`;
    $('prediction-bars').replaceChildren(
      ...Array.from(p.subarray(0, 10), (q, d) => {
        const bar = document.createElement('div');
        bar.style.width = `${Math.max(2, 100 * q)}%`;
        bar.textContent = String(d);
        return bar;
      }),
    );
  }

  /** Puts the picked data set's own defaults into the form (layers, activation, optimizer, η, batch). */
  private applyDefaults(): void {
    const d = DATASET_DEFAULTS[$<HTMLSelectElement>('dataset').value as DatasetName];
    if (!d) return;
    $<HTMLInputElement>('hidden').value = d.hidden;
    $<HTMLSelectElement>('activation').value = d.activation;
    $<HTMLSelectElement>('optimizer').value = d.optimizer;
    $<HTMLInputElement>('lr').value = String(d.lr);
    $<HTMLInputElement>('batch').value = String(d.batch);
  }

  /** H and replicas only with local:H. */
  private showSyncFields(): void {
    const local = $<HTMLSelectElement>('sync').value === 'local';
    for (const el of document.querySelectorAll<HTMLElement>('.sync-local')) el.hidden = !local;
  }

  /** local:H: each replica's θ fingerprint, in its boundary line's colour. */
  private showReplicas(replicas: readonly Float32Array[], t: number): void {
    const dd = $('stat-replicas');
    dd.replaceChildren(
      ...replicas.map((theta, r) => {
        const span = document.createElement('span');
        span.style.color = workerColor(r);
        span.textContent = `${fingerprint(theta)} `;
        return span;
      }),
      `@${t}`,
    );
  }

  /** What the sync mode does in this page (on `threads` threads), and what to watch. */
  private showSyncLine(settings: Settings, threads: number): void {
    const line = $('sync-line');
    const sync = settings.sync;
    line.hidden = !sync;
    line.dataset.sync = sync?.kind ?? 'step';
    line.dataset.threads = String(threads);
    for (const el of document.querySelectorAll<HTMLElement>('.sync-replicas')) el.hidden = sync?.kind !== 'local';
    for (const el of document.querySelectorAll<HTMLElement>('.sync-hogwild')) el.hidden = sync?.kind !== 'hogwild';
    // no batch-wide gradient in these modes: each replica (hogwild: each shard) steps on its own gradient
    $('averaging').hidden = !!sync;
    if (sync?.kind === 'local')
      line.textContent =
        `--sync local:${sync.every} --replicas ${sync.replicas}: ${sync.replicas} replicas, each a fixed group of the 16 virtual shards, take ${sync.every} steps on their own, ` +
        `then their models are averaged (weighted by rows) and every replica restarts from the average. Thin coloured lines: each replica's boundary ` +
        `(they drift apart between averages and coincide at each); the map and θ fingerprint: the last average. ` +
        `The same bits as shardgrad train with any number of workers.`;
    else if (sync?.kind === 'hogwild')
      line.textContent =
        threads > 1
          ? `--sync hogwild on ${threads} worker threads: each applies its shards' updates straight to the shared θ, without waiting for the others ` +
            '(lock-free, racy by design): two runs of one seed give different θ fingerprints, and the staleness counts the other updates that landed ' +
            'between a shard\'s read of θ and its write.'
          : 'hogwild needs worker threads to race: here it runs on one thread, so the 16 shards\' updates go to the shared θ one after another ' +
            'and two runs of one seed give the same θ fingerprint. With 2 or more workers (a cross-origin isolated page) they race.';
  }

  /** The noise chart's batch slider at the form's batch size (the nearest power of two). */
  private showBatch(): void {
    const batch = $<HTMLInputElement>('batch').value;
    $<HTMLInputElement>('noise-batch').value = String(batchPosition(Number(batch)));
    $('noise-batch-value').textContent = batch;
  }

  /** The tree's key: one colour per worker, grey for the top. */
  private treeLegend(W: number): void {
    const item = (color: string, text: string) => {
      const span = document.createElement('span');
      span.style.setProperty('--c', color);
      span.textContent = text;
      return span;
    };
    $('tree-legend').replaceChildren(...Array.from({ length: W }, (_, w) => item(workerColor(w), `worker ${w}`)), item(workerColor(-1), 'top: per slice'));
  }

  /** For a layer fed by an image (MNIST), the units select: which 16 units' receptive fields to show. */
  private fillUnits(): void {
    const s = this.session;
    const slot = s?.layout.layers[Number($<HTMLSelectElement>('grad-layer').value) || 0];
    const image = slot !== undefined && imageSide(slot.nIn) > 0;
    $('grad-units-label').hidden = !image;
    if (!image) return;
    const sel = $<HTMLSelectElement>('grad-units');
    const options = [];
    for (let u = 0; u < slot.nOut; u += MOSAIC_UNITS) options.push(new Option(`${u}–${Math.min(u + MOSAIC_UNITS, slot.nOut) - 1}`, String(u)));
    sel.replaceChildren(...options);
  }

  private rawLrSchedule(): { warmup: string; scale: string; baseBatch: string } {
    const v = (id: string) => $<HTMLInputElement>(id).value;
    return { warmup: v('warmup'), scale: v('lr-scale'), baseBatch: v('base-batch') };
  }

  private rawSettings(): RawSettings {
    const v = (id: string) => $<HTMLInputElement>(id).value;
    return {
      dataset: v('dataset'),
      hidden: v('hidden'),
      activation: v('activation'),
      optimizer: v('optimizer'),
      weightDecay: v('weight-decay'),
      lr: v('lr'),
      batch: v('batch'),
      workers: v('workers'),
      skips: v('skips'),
      sync: v('sync'),
      every: v('sync-every'),
      replicas: v('replicas'),
    };
  }

  /** lr, batch size, warmup and batch scaling change between steps without a reset. */
  private readLive(): App['live'] {
    try {
      const s = parseSettings(this.rawSettings(), MAX_WORKERS, VIRTUAL_SHARDS);
      const schedule = parseLrSchedule(this.rawLrSchedule());
      this.showError(null);
      return { lr: s.lr, batch: s.batch, schedule };
    } catch (e) {
      this.showError((e as Error).message);
      return this.live; // keep training with the last valid values
    }
  }

  private async dataset(name: DatasetName): Promise<WebDataset> {
    let d = this.cache.get(name);
    if (!d) {
      d = name === 'mnist' ? await loadMnistDigits(300) : planeDataset(name, SEED);
      this.cache.set(name, d);
    }
    return d;
  }

  private fail(message: string): void {
    this.pause();
    this.session?.dispose();
    this.session = undefined; // its workers are gone: only reset can train again
    this.showError(`${message} — press reset to start again`);
  }

  private showError(message: string | null): void {
    $('error').hidden = message === null;
    $('error').textContent = message ?? '';
  }

  private setStatus(text: string): void {
    document.body.dataset.status = text;
  }
}

function showIsolation(): void {
  const badge = $('isolation');
  badge.textContent = SHARED ? `cross-origin isolated · up to ${MAX_WORKERS} workers` : 'not cross-origin isolated · in the page';
  badge.classList.toggle('off', !SHARED);
  if (!SHARED) {
    const n = $('notice');
    n.hidden = false;
    n.textContent =
      'This page is not cross-origin isolated, so SharedArrayBuffer is unavailable: training runs in the page itself ' +
      '(the same run and the same weights, one thread). To train with several workers sharing memory, serve the page with the headers ' +
      '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp".';
  }
}

showIsolation();
const app = new App(await createKernels(KERNELS));
void app.reset();

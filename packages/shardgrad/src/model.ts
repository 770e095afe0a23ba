import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { readModelFile, writeFileAtomic } from '@shardgrad/coordinator';
import type { CommCounts } from '@shardgrad/worker';
import {
  applyPreprocess,
  bindWorkspace,
  classOf,
  createWorkspace,
  encodeModelFile,
  errors,
  evaluateParams,
  forward,
  referenceKernels,
  specLayout,
  type MLPSpec,
  type Preprocess,
  type Workspace,
} from '@shardgrad/core';
import { inputMatrix, targetMatrix, type Inputs, type Label, type Targets, type Task } from './data.js';
import type { EpochEvent } from './events.js';

/** A model as `train` and `Trainer.run` give it: `info` is always there. */
export type TrainedModel<L extends Label = Label> = Model<L> & { readonly info: TrainInfo };

/** The formats `model.export` writes (through @shardgrad/export, loaded when first used). */
export type ExportFormat = 'onnx' | 'tfjs' | 'safetensors';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['onnx', 'tfjs', 'safetensors'];

/** What a training run reports besides the model (absent on a loaded model). */
export interface TrainInfo {
  readonly steps: number;
  readonly wallMs: number;
  /** the kernels used, e.g. native-avx2, wasm-relaxed (kernel 'auto' resolved) */
  readonly kernel: string;
  /** the worker threads that ran: `workers` clamped to the shards; 0 = in the calling thread */
  readonly workers: number;
  /** worker tasks that failed and were recomputed (the weights are unchanged by them) */
  readonly workerRetries: number;
  /** bytes sent to and received from other processes, and exchanges: all 0 (the library trains in one process) */
  readonly comm: CommCounts;
  readonly stoppedBy?: 'early-stop' | 'abort';
  /** with `restoreBest`: the epoch whose weights the model has (the lowest validation loss) */
  readonly restoredEpoch?: number;
  /** sync 'hogwild': not reproducible; the updates applied and their mean staleness (other workers' updates between a read of θ and its write) */
  readonly staleness?: { readonly updates: number; readonly mean: number };
  /**
   * the gradient noise scale at the end of training (noiseEvery > 0): moving averages of |G|² and
   * tr(Σ) and B_simple = tr(Σ)/|G|², the batch size past which larger batches start to waste
   * examples (docs/teaching.md)
   */
  readonly noise?: { readonly gradSq: number; readonly traceSigma: number; readonly bSimple: number };
}

export interface ModelParts {
  readonly spec: MLPSpec;
  readonly params: Float32Array;
  readonly preprocess: Preprocess;
  readonly task: Task;
  readonly classes?: readonly string[];
  readonly history?: readonly EpochEvent[];
  readonly meta?: Record<string, unknown>;
  readonly info?: TrainInfo;
}

/** Loss and accuracy on some rows; accuracy is NaN for regression. */
export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
  readonly rows: number;
}

/** Rows per forward pass: bounds the scratch memory for large inputs. */
const CHUNK = 256;

/**
 * A trained network: its spec (layer sizes, activations, loss), parameters θ (one flat Float32Array),
 * the input scaling fitted at training, the task and the class names. It predicts in the calling
 * thread with the reference kernels, and saves the same .sgm file as `shardgrad train`.
 * `L` is what `classify` gives: the class names' type for a model trained on string labels,
 * `number` for integer labels (`train` infers it from `y`; a loaded model has `number | string`).
 */
export class Model<L extends Label = Label> {
  readonly spec: MLPSpec;
  readonly params: Float32Array;
  readonly preprocess: Preprocess;
  readonly task: Task;
  /** class k = classes[k] when the labels were strings; undefined for integer labels and regression */
  readonly classes: readonly string[] | undefined;
  /** one event per finished epoch (empty on a loaded model) */
  readonly history: readonly EpochEvent[];
  /** training settings saved with the model (optimizer, lr, batch, seed, …) */
  readonly meta: Record<string, unknown>;
  readonly info: TrainInfo | undefined;
  private workspace: Workspace | undefined;

  constructor(parts: ModelParts) {
    this.spec = parts.spec;
    this.params = parts.params;
    this.preprocess = parts.preprocess;
    this.task = parts.task;
    this.classes = parts.classes;
    this.history = parts.history ?? [];
    this.meta = parts.meta ?? {};
    this.info = parts.info;
    if (this.params.length !== specLayout(this.spec).total) throw errors.badInput('params', `expected ${specLayout(this.spec).total} values for layers [${this.spec.sizes.join(', ')}], got ${this.params.length}`);
  }

  /** Inputs per row (layers[0]). */
  get inputs(): number {
    return this.spec.sizes[0];
  }

  /** Outputs per row (the last layer). */
  get outputs(): number {
    return this.spec.sizes[this.spec.sizes.length - 1];
  }

  /** x scaled as at training, (N, D) in a copy of its own (the caller's array is not changed). */
  private scaled(field: string, x: Inputs): { X: Float32Array; rows: number } {
    const m = inputMatrix(field, x, { count: this.inputs, source: "(the model's inputs)" });
    const X = m.X === x ? Float32Array.from(m.X) : m.X;
    applyPreprocess(this.preprocess, X, m.rows, this.inputs);
    return { X, rows: m.rows };
  }

  /**
   * The network's outputs for each row of x: a Float32Array of N·C values, row after row
   * (class probabilities for a softmax classifier, the predicted values for regression).
   * x is rows, or a flat array of N·inputs numbers.
   */
  predict(x: Inputs): Float32Array {
    const { X, rows } = this.scaled('x', x);
    const D = this.inputs;
    const C = this.outputs;
    const out = new Float32Array(rows * C); // (N, C)
    this.workspace ??= (() => {
      const ws = createWorkspace(this.spec, CHUNK);
      bindWorkspace(ws, this.params, new Float32Array(this.params.length));
      return ws;
    })();
    const ws = this.workspace;
    for (let c = 0; c < rows; c += ws.capacity) {
      const n = Math.min(ws.capacity, rows - c);
      ws.x.set(X.subarray(c * D, (c + n) * D));
      out.set(forward(this.spec, ws, n, referenceKernels).subarray(0, n * C), c * C);
    }
    return out;
  }

  /**
   * The class of each row of x: its name when the model was trained on string labels, else its
   * index (argmax of the outputs; ≥ 0.5 for a single output). Classification models only.
   */
  classify(x: Inputs): L[] {
    if (this.task !== 'classification') throw errors.badInput('classify', 'this model does regression: use predict(x)');
    const out = this.predict(x);
    const C = this.outputs;
    const k = Array.from({ length: out.length / C }, (_, r) => classOf(out, r * C, C));
    const names = this.classes;
    return (names ? k.map((i) => names[i]) : k) as L[];
  }

  /** Mean loss (the training loss) and, for classification, accuracy of the model on x and y. */
  evaluate(x: Inputs, y: Targets): Evaluation {
    const { X, rows } = this.scaled('x', x);
    const Y = targetMatrix('y', y, {
      rows,
      task: this.task,
      outputs: { count: this.outputs, source: "(the model's outputs)" },
      ...(this.classes ? { classes: this.classes } : {}),
    }).X;
    const e = evaluateParams(this.spec, this.params, X, Y, Uint32Array.from({ length: rows }, (_, i) => i), referenceKernels);
    return { loss: e.loss, accuracy: this.task === 'classification' ? e.accuracy : NaN, rows };
  }

  /** The .sgm bytes `shardgrad train` writes: spec, θ, preprocessing, task and class names, meta. */
  toBytes(): Uint8Array {
    return encodeModelFile({
      kind: 'model',
      spec: this.spec,
      tensors: new Map([['params', Float32Array.from(this.params)]]),
      preprocess: this.preprocess,
      meta: this.meta,
      data: { task: this.task, ...(this.classes ? { classes: [...this.classes] } : {}) },
    });
  }

  /** Writes the model file atomically (the CLI's predict, eval and explain read it). */
  save(file: string): void {
    if (typeof file !== 'string' || file === '') throw errors.badInput('path', 'must be a file path');
    writeFileAtomic(file, this.toBytes());
  }

  /**
   * Writes the model in another format through @shardgrad/export (loaded when first used): one file at
   * `outPath`, or for formats of several files (tfjs) the folder `outPath` holding them. Resolves
   * with the paths written.
   */
  async export(format: ExportFormat, outPath: string): Promise<string[]> {
    if (!EXPORT_FORMATS.includes(format)) throw errors.badInput('format', `must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
    if (typeof outPath !== 'string' || outPath === '') throw errors.badInput('outPath', 'must be a file or folder path');
    const exporter = await loadExporter();
    const files = exporter.exportModel({ spec: this.spec, params: this.params, preprocess: this.preprocess, meta: { ...this.meta, task: this.task, ...(this.classes ? { classes: [...this.classes] } : {}) } }, format);
    if (files.length === 1) {
      writeFileAtomic(outPath, files[0].bytes);
      return [outPath];
    }
    mkdirSync(outPath, { recursive: true });
    return files.map((f) => {
      const p = path.join(outPath, f.name);
      writeFileAtomic(p, f.bytes);
      return p;
    });
  }
}

/** The interface of @shardgrad/export this package calls. */
interface Exporter {
  exportModel(model: { spec: MLPSpec; params: Float32Array; preprocess: Preprocess; meta?: Record<string, unknown> }, format: ExportFormat): { name: string; bytes: Uint8Array }[];
  importOnnx(bytes: Uint8Array, source?: string): { spec: MLPSpec; params: Float32Array; preprocess: Preprocess; meta: Record<string, unknown> };
}

/** A specifier the type checker leaves alone: loaded when first used (its ONNX code takes a while to load). */
const EXPORT_PACKAGE: string = '@shardgrad/export';

async function loadExporter(): Promise<Exporter> {
  try {
    return (await import(EXPORT_PACKAGE)) as Exporter;
  } catch {
    throw errors.badInput('export', 'needs the package @shardgrad/export (npm install @shardgrad/export)');
  }
}

/** The task of a model file: saved with it, else from its loss and output (older files). */
function taskOf(data: { task?: Task } | undefined, meta: Record<string, unknown>, spec: MLPSpec): Task {
  const t = data?.task ?? meta.task;
  if (t === 'classification' || t === 'regression') return t;
  return spec.loss === 'ce' || spec.activations[spec.activations.length - 1] === 'sigmoid' ? 'classification' : 'regression';
}

/**
 * Reads a model file written by `shardgrad train`, `model.save` or a checkpoint (its parameters are
 * a model), or an ONNX file (`.onnx`, through @shardgrad/export). A missing, corrupt or truncated
 * file is one line naming it.
 */
export async function loadModel<L extends Label = Label>(file: string): Promise<Model<L>> {
  if (typeof file !== 'string' || file === '') throw errors.badInput('path', 'must be a file path');
  if (file.toLowerCase().endsWith('.onnx')) {
    const { readFileOrFail } = await import('@shardgrad/coordinator');
    const buf = readFileOrFail(file);
    const m = (await loadExporter()).importOnnx(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file);
    const classes = Array.isArray(m.meta.classes) ? (m.meta.classes as string[]) : undefined;
    return new Model<L>({ spec: m.spec, params: m.params, preprocess: m.preprocess, task: taskOf(undefined, m.meta, m.spec), meta: m.meta, ...(classes ? { classes } : {}) });
  }
  const c = readModelFile(file);
  return new Model<L>({
    spec: c.spec,
    params: c.tensors.get('params')!,
    preprocess: c.preprocess,
    task: taskOf(c.data, c.meta, c.spec),
    ...(c.data?.classes ? { classes: c.data.classes } : {}),
    meta: c.meta,
  });
}

import { closeSync, openSync, readSync } from 'node:fs';
import { Parser, type Options } from 'csv-parse';
import { errors, isShardgradError } from '@shardgrad/core';
import { checkRegularFile, fsProblem } from '../io/files.js';

/** The longest record (line) a CSV may have: a longer one, or a file with no line breaks (/dev/zero), is refused. */
export const MAX_CSV_RECORD_BYTES = 16 * 1024 * 1024;

/** How every CSV is read, for training and prediction alike. */
const CSV_OPTIONS: Options = { relax_column_count: true, skip_empty_lines: true, trim: true, bom: true };

/** Bytes read per chunk: the parser never holds more of the file than this and one record. */
const READ_BYTES = 1 << 20;

/**
 * Calls `onRecord` with every record of a CSV file, or of stdin when `file` is '-', and its
 * 1-based line, reading the file in chunks through one csv-parse parser: the file is never held as
 * one string and no record outlives its call. `name` is what errors call the source. A malformed
 * file, an unreadable path, a record longer than `maxRecordBytes` or an error thrown by `onRecord`
 * ends the read with one ShardgradError.
 */
export function forEachCsvRecord(
  file: string,
  name: string,
  onRecord: (record: string[], line: number) => void,
  maxRecordBytes: number = MAX_CSV_RECORD_BYTES,
): void {
  let failure: unknown;
  const parser = new Parser({
    ...CSV_OPTIONS,
    max_record_size: maxRecordBytes,
    on_record: (record: string[], context: { lines: number }) => {
      onRecord(record, context.lines);
      return null; // nothing is queued on the stream's readable side
    },
  });
  const done = (e?: Error | null) => {
    if (e) failure ??= e;
  };
  if (file !== '-') checkRegularFile(file); // a folder or a device (/dev/zero) is one line before any read
  let fd: number;
  try {
    fd = file === '-' ? 0 : openSync(file, 'r');
  } catch (e) {
    throw errors.badInput(name, fsProblem(e));
  }
  try {
    for (;;) {
      // a fresh buffer per read: csv-parse may keep a view of a chunk's unparsed tail
      const chunk = Buffer.allocUnsafe(READ_BYTES);
      let n: number;
      try {
        n = readSync(fd, chunk, 0, READ_BYTES, null);
      } catch (e) {
        throw errors.badInput(name, file === '-' ? `cannot read: ${fsProblem(e)}` : fsProblem(e));
      }
      if (n > 0) parser._transform(chunk.subarray(0, n), 'utf8', done);
      else parser._flush(done);
      if (failure !== undefined) break;
      if (n === 0) break;
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
  if (failure !== undefined) {
    if (isShardgradError(failure)) throw failure;
    const e = failure as Error & { code?: string; lines?: number };
    if (e.code === 'CSV_MAX_RECORD_SIZE')
      throw errors.badInput(name, `line ${e.lines ?? 1} is longer than ${maxRecordBytes} bytes, the most a CSV record may have (is it a CSV file?)`);
    throw errors.badInput(name, `not valid CSV (${(failure as Error).message})`);
  }
}

const EMPTY = new Float32Array(0);

/** ES2024's resizable ArrayBuffer (Node ≥ 20), which this package's ES2022 types do not describe. */
interface ResizableBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
const ResizableBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ResizableBuffer;

/** Rows pushed per chunk of a {@link RowStore}: its memory beyond the rows is at most one chunk. */
const STORE_CHUNK_FLOATS = 1 << 20;

/**
 * Rows of `width` float32 values appended one at a time, held in fixed chunks (never copied to grow),
 * then moved once into their final array by `moveTo`. Per row: `beginRow()`, then `set(j, v)`.
 */
export class RowStore {
  private readonly chunks: Float32Array[] = [];
  private readonly rowsPerChunk: number;
  private current = EMPTY;
  private base = 0;
  private fill = 0;
  rows = 0;

  constructor(readonly width: number) {
    this.rowsPerChunk = Math.max(1, Math.floor(STORE_CHUNK_FLOATS / Math.max(1, width)));
    this.fill = this.rowsPerChunk;
  }

  beginRow(): void {
    if (this.fill === this.rowsPerChunk) {
      // a resizable buffer: moveTo gives its memory back at once (resize(0)), not at some later GC
      const bytes = this.rowsPerChunk * this.width * Float32Array.BYTES_PER_ELEMENT;
      this.current = new Float32Array(new ResizableBuffer(bytes, { maxByteLength: bytes }));
      this.chunks.push(this.current);
      this.fill = 0;
    }
    this.base = this.fill * this.width;
    this.fill++;
    this.rows++;
  }

  /** Value j of the row begun last (rounded to float32 as any store into a Float32Array). */
  set(j: number, v: number): void {
    this.current[this.base + j] = v;
  }

  /**
   * Writes row r to row `rowOf[first + r]` of `dest` (rows of `width`), or to row first + r without
   * `rowOf`, and gives each chunk's memory back as soon as it is copied (the store is empty
   * afterwards): the rows are held twice only while they are moved.
   */
  moveTo(dest: Float32Array, first = 0, rowOf?: Uint32Array): void {
    const w = this.width;
    let r = 0;
    for (let k = 0; k < this.chunks.length; k++) {
      const chunk = this.chunks[k];
      for (let i = 0; i < this.rowsPerChunk && r < this.rows; i++, r++) {
        const to = (rowOf ? rowOf[first + r] : first + r) * w;
        const from = i * w;
        for (let j = 0; j < w; j++) dest[to + j] = chunk[from + j];
      }
      (chunk.buffer as ResizableBuffer).resize(0);
      this.chunks[k] = EMPTY;
    }
    this.chunks.length = 0;
    this.current = EMPTY;
    this.fill = this.rowsPerChunk;
  }
}

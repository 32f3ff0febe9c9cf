import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import * as R from '../reference/shape.js';
import { T, randn } from '../reference/tensor.js';
import { Rng } from '../../engine/random.js';
import { gradcheck, toGpu, useEngine } from '../helpers/engine.js';

useEngine();
const rng = new Rng(3);

describe('reshape, permute, transpose, slice, concat', () => {
  it('reshape', async () => {
    await gradcheck({ name: 'reshape', inputs: [randn([3, 5], rng)], gpu: ([x]) => E.mul(E.reshape(x, [5, -1]), E.reshape(x, [5, 3])), ref: ([x]) => { const r = R.reshape(x, [5, 3]); return T(r.shape, r.data.map((v) => v * v)); } });
  });

  for (const [shape, perm] of [
    [[3, 5], [1, 0]],
    [[2, 3, 5], [2, 0, 1]],
    [[2, 3, 5, 7], [0, 3, 1, 2]], // NHWC -> NCHW
    [[1, 3, 1, 5], [3, 2, 1, 0]],
  ] as [number[], number[]][]) {
    it(`permute ${JSON.stringify(shape)} by ${JSON.stringify(perm)}`, async () => {
      await gradcheck({ name: 'permute', inputs: [randn(shape, rng)], gpu: ([x]) => E.permute(x, perm), ref: ([x]) => R.permute(x, perm) });
    });
  }

  it('transpose swaps the last two axes', async () => {
    await gradcheck({ name: 'transpose', inputs: [randn([2, 3, 5], rng)], gpu: ([x]) => E.transpose(x), ref: ([x]) => R.transpose(x) });
  });

  for (const [shape, begin, size] of [
    [[7], [2], [3]],
    [[5, 6], [1, 2], [3, 3]],
    [[2, 5, 7, 3], [1, 0, 3, 1], [1, 5, 4, 2]],
  ] as [number[], number[], number[]][]) {
    it(`slice ${JSON.stringify(shape)} at ${JSON.stringify(begin)} size ${JSON.stringify(size)}`, async () => {
      await gradcheck({ name: 'slice', inputs: [randn(shape, rng)], gpu: ([x]) => E.slice(x, begin, size), ref: ([x]) => R.slice(x, begin, size) });
    });
  }

  for (const axis of [0, 1, 2]) {
    it(`concat of three along axis ${axis}`, async () => {
      const shapes = [[2, 3, 5], [2, 3, 5], [2, 3, 5]].map((s, k) => s.map((d, i) => (i === axis ? d + k : d)));
      await gradcheck({
        name: 'concat',
        inputs: shapes.map((s) => randn(s, rng)),
        gpu: (xs) => E.concat(xs, axis),
        ref: (xs) => R.concat(xs, axis),
      });
    });
  }

  it('errors name the op and the shapes', () => {
    const x = toGpu(T([2, 3]));
    expect(() => E.reshape(x, [4, 2])).toThrow(/reshape: cannot reshape .*\[2,3\].* to \[4,2\]/);
    expect(() => E.permute(x, [0, 0])).toThrow(/permute: \[0,0\] is not a permutation/);
    expect(() => E.slice(x, [1, 1], [2, 1])).toThrow(/slice: .* out of bounds/);
    expect(() => E.concat([x, toGpu(T([3, 3]))], 1)).toThrow(/concat: shapes \[2,3\], \[3,3\] differ off axis 1/);
  });
});

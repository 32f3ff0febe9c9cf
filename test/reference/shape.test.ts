import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random.js';
import { expectClose } from './compare.js';
import { matmul } from './matmul.js';
import { max, mean, sum } from './reduce.js';
import { concat, permute, reshape, slice, transpose } from './shape.js';
import { T, randn } from './tensor.js';

const x23 = T([2, 3], [1, 2, 3, 4, 5, 6]);

describe('reductions', () => {
  it('sum, mean and max over axes, with and without keepDims', () => {
    expect(sum(x23)).toEqual(T([], [21]));
    expect(sum(x23, [0])).toEqual(T([3], [5, 7, 9]));
    expect(sum(x23, [-1], true)).toEqual(T([2, 1], [6, 15]));
    expect(mean(x23, [1])).toEqual(T([2], [2, 5]));
    expect(max(x23, [0])).toEqual(T([3], [4, 5, 6]));
    expect(max(T([3], [-5, -2, -9]))).toEqual(T([], [-2]));
  });

  it('reduce a middle axis of a rank-3 tensor and several axes at once', () => {
    const x = T([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(sum(x, [1])).toEqual(T([2, 2], [4, 6, 12, 14]));
    expect(sum(x, [0, 2], true)).toEqual(T([1, 2, 1], [14, 22]));
    expect(mean(x, [0, 1])).toEqual(T([2], [4, 5]));
    expect(max(x, [2, 0])).toEqual(T([2], [6, 8]));
  });

  it('max propagates NaN and bad axes are named', () => {
    expect(Number.isNaN(max(T([3], [1, NaN, 2])).data[0])).toBe(true);
    expect(() => sum(x23, [2])).toThrow('sum: axis 2 out of range for rank 2');
  });
});

describe('shape ops', () => {
  it('reshape infers one -1 and rejects a size change', () => {
    expect(reshape(x23, [3, -1]).shape).toEqual([3, 2]);
    expect(() => reshape(x23, [4, -1])).toThrow('reshape: cannot view [2, 3]');
  });

  it('permute and transpose move elements where they belong', () => {
    expect(transpose(x23)).toEqual(T([3, 2], [1, 4, 2, 5, 3, 6]));
    const x = randn([2, 3, 4], new Rng(1));
    const p = permute(x, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    // p[k, i, j] = x[i, j, k]
    expect(p.data[(3 * 2 + 1) * 3 + 2]).toBe(x.data[(1 * 3 + 2) * 4 + 3]);
    expect(permute(p, [1, 2, 0])).toEqual(x);
    expect(transpose(x, 0, 2)).toEqual(permute(x, [2, 1, 0]));
  });

  it('slice takes begin/size per axis (-1 = to the end)', () => {
    expect(slice(x23, [0, 1], [2, 2])).toEqual(T([2, 2], [2, 3, 5, 6]));
    expect(slice(x23, [1, 0], [1, -1])).toEqual(T([1, 3], [4, 5, 6]));
    expect(() => slice(x23, [1, 2], [1, 2])).toThrow('slice: axis 1 range [2, 4) outside [2, 3]');
  });

  it('concat is undone by slices', () => {
    const rng = new Rng(2);
    const a = randn([2, 3, 4], rng);
    const b = randn([2, 1, 4], rng);
    const c = concat([a, b], 1);
    expect(c.shape).toEqual([2, 4, 4]);
    expect(slice(c, [0, 0, 0], [-1, 3, -1])).toEqual(a);
    expect(slice(c, [0, 3, 0], [-1, -1, -1])).toEqual(b);
    expect(concat([x23, x23], 0)).toEqual(T([4, 3], [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]));
  });
});

describe('matmul', () => {
  it('2-D hand example', () => {
    const b = T([3, 2], [7, 8, 9, 10, 11, 12]);
    expect(matmul(x23, b)).toEqual(T([2, 2], [58, 64, 139, 154]));
  });

  it('transpose flags equal explicit transposes', () => {
    const rng = new Rng(4);
    const a = randn([2, 5, 3], rng);
    const b = randn([2, 4, 5], rng);
    expectClose(matmul(a, b, { transposeA: true, transposeB: true }), matmul(transpose(a), transpose(b)), 1e-15, 'tA tB');
    expectClose(matmul(transpose(a), b, { transposeB: true }), matmul(transpose(a), transpose(b)), 1e-15, 'tB');
  });

  it('batch dims broadcast: each batch is its own 2-D product', () => {
    const rng = new Rng(5);
    const a = randn([3, 1, 2, 4], rng);
    const b = randn([2, 4, 5], rng);
    const y = matmul(a, b);
    expect(y.shape).toEqual([3, 2, 2, 5]);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        const ai = slice(a, [i, 0, 0, 0], [1, 1, 2, 4]);
        const bj = slice(b, [j, 0, 0], [1, 4, 5]);
        const yij = slice(y, [i, j, 0, 0], [1, 1, 2, 5]);
        expectClose(reshape(yij, [2, 5]), matmul(reshape(ai, [2, 4]), reshape(bj, [4, 5])), 1e-15, `batch ${i},${j}`);
      }
    }
  });

  it('names the mismatch', () => {
    expect(() => matmul(x23, x23)).toThrow('matmul: inner dims differ: [2, 3] x [2, 3]');
  });
});

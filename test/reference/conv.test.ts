import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random.js';
import { CONV_CASES, DEPTHWISE_CASES } from './cases.js';
import { expectClose } from './compare.js';
import { conv2d, conv2dBackward, depthwiseConv2d, depthwiseConv2dBackward, resolvePadding } from './conv.js';
import { numericVjp } from './gradcheck-numeric.js';
import { concat, reshape, slice } from './shape.js';
import { T, full, randn } from './tensor.js';

const x4x4 = T([1, 4, 4, 1], Array.from({ length: 16 }, (_, i) => i + 1));

describe('conv2d reference', () => {
  it('hand example: 2x2 diagonal kernel, bias, no padding', () => {
    const x = T([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = T([2, 2, 1, 1], [1, 0, 0, 1]);
    expect(conv2d(x, w, T([1], [0.5]))).toEqual(T([1, 2, 2, 1], [6.5, 8.5, 12.5, 14.5]));
  });

  it("TensorFlow SAME pads the odd pixel at the bottom/right; PyTorch pad 1 pads both sides", () => {
    expect(resolvePadding(4, 4, 3, 3, 2, 2, 'same')).toEqual({ top: 0, bottom: 1, left: 0, right: 1 });
    expect(resolvePadding(7, 8, 3, 5, 2, 1, 'same')).toEqual({ top: 1, bottom: 1, left: 2, right: 2 });
    expect(resolvePadding(9, 9, 1, 1, 2, 2, 'same')).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    const ones = full([3, 3, 1, 1], 1);
    // window sums of the 1..16 grid
    expect(conv2d(x4x4, ones, undefined, { stride: 2, padding: 'same' })).toEqual(T([1, 2, 2, 1], [54, 45, 72, 54]));
    expect(conv2d(x4x4, ones, undefined, { stride: 2, padding: 1 })).toEqual(T([1, 2, 2, 1], [14, 30, 57, 99]));
  });

  it('a grouped conv is the concatenation of independent convs', () => {
    const rng = new Rng(7);
    const x = randn([2, 4, 5, 6], rng);
    const w = randn([3, 3, 2, 9], rng);
    const y = conv2d(x, w, undefined, { padding: 1, groups: 3 });
    const parts = [0, 1, 2].map((g) =>
      conv2d(slice(x, [0, 0, 0, 2 * g], [-1, -1, -1, 2]), slice(w, [0, 0, 0, 3 * g], [-1, -1, -1, 3]), undefined, { padding: 1 }),
    );
    expectClose(y, concat(parts, 3), 1e-14, 'grouped conv');
  });

  it('names bad shapes', () => {
    const w = T([3, 3, 2, 4]);
    expect(() => conv2d(T([1, 5, 5, 3]), w)).toThrow('conv2d: input [1, 5, 5, 3], weight [3, 3, 2, 4] and groups 1 do not agree');
    expect(() => conv2d(T([5, 5, 2]), w)).toThrow('conv2d: input must be NHWC (rank 4), got [5, 5, 2]');
    expect(() => conv2d(T([1, 2, 2, 2]), w)).toThrow('conv2d: kernel 3x3 larger than padded input 2x2');
  });

  for (const c of CONV_CASES) {
    it(`backward equals central differences: ${c.name}`, () => {
      const rng = new Rng(c.x.reduce((a, b) => a * 31 + b, 17));
      const groups = c.groups ?? 1;
      const x = randn(c.x, rng);
      const w = randn([c.KH, c.KW, c.x[3] / groups, c.Cout], rng);
      const b = randn([c.Cout], rng);
      const y = conv2d(x, w, b, c);
      const dy = randn(y.shape, rng);
      const num = numericVjp(([xx, ww, bb]) => conv2d(xx, ww, bb, c), [x, w, b], dy);
      const g = conv2dBackward(x, w, dy, c);
      expectClose(g.dx, num[0], 1e-7, `${c.name} dx`);
      expectClose(g.dw, num[1], 1e-7, `${c.name} dw`);
      expectClose(g.db, num[2], 1e-7, `${c.name} db`);
    });
  }
});

describe('depthwiseConv2d reference', () => {
  it('equals conv2d with groups = channels (weight [KH, KW, C] read as [KH, KW, 1, C])', () => {
    const rng = new Rng(9);
    for (const c of DEPTHWISE_CASES) {
      const x = randn(c.x, rng);
      const w = randn([c.KH, c.KW, c.x[3]], rng);
      const b = randn([c.x[3]], rng);
      const grouped = conv2d(x, reshape(w, [c.KH, c.KW, 1, c.x[3]]), b, { ...c, groups: c.x[3] });
      expectClose(depthwiseConv2d(x, w, b, c), grouped, 1e-14, c.name);
    }
  });

  it('hand example: per-channel kernels', () => {
    // two channels on a 2x2 input, 2x2 kernel, no padding: one output pixel per channel;
    // channel 0 sums all four taps, channel 1 keeps only the bottom-right one
    const x = T([1, 2, 2, 2], [1, 10, 2, 20, 3, 30, 4, 40]);
    const w = T([2, 2, 2], [1, 0, 1, 0, 1, 0, 1, 1]);
    expect(depthwiseConv2d(x, w)).toEqual(T([1, 1, 1, 2], [10, 40]));
  });

  for (const c of DEPTHWISE_CASES) {
    it(`backward equals central differences: ${c.name}`, () => {
      const rng = new Rng(c.x.reduce((a, b) => a * 37 + b, 5));
      const x = randn(c.x, rng);
      const w = randn([c.KH, c.KW, c.x[3]], rng);
      const b = randn([c.x[3]], rng);
      const dy = randn(depthwiseConv2d(x, w, b, c).shape, rng);
      const num = numericVjp(([xx, ww, bb]) => depthwiseConv2d(xx, ww, bb, c), [x, w, b], dy);
      const g = depthwiseConv2dBackward(x, w, dy, c);
      expectClose(g.dx, num[0], 1e-7, `${c.name} dx`);
      expectClose(g.dw, num[1], 1e-7, `${c.name} dw`);
      expectClose(g.db, num[2], 1e-7, `${c.name} db`);
    });
  }
});

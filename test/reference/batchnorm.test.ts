import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random.js';
import {
  batchNorm2dEval, batchNorm2dEvalBackward, batchNorm2dTrain, batchNorm2dTrainBackward,
} from './batchnorm.js';
import { BATCHNORM_SHAPES } from './cases.js';
import { expectClose } from './compare.js';
import { numericVjp } from './gradcheck-numeric.js';
import { T, rand, randn } from './tensor.js';

describe('batchNorm2d reference', () => {
  it('training: biased variance normalises, unbiased variance goes into running_var', () => {
    const x = T([4, 1], [1, 2, 3, 4]); // mean 2.5, biased var 1.25, unbiased 5/3
    const r = batchNorm2dTrain(x, T([1], [2]), T([1], [1]), T([1], [0]), T([1], [1]), { momentum: 0.1, eps: 0 });
    expect(r.mean.data[0]).toBe(2.5);
    expect(r.variance.data[0]).toBe(1.25);
    const expected = [-1.5, -0.5, 0.5, 1.5].map((d) => (2 * d) / Math.sqrt(1.25) + 1);
    expectClose(r.y, T([4, 1], expected), 1e-15, 'y');
    expect(r.runningMean.data[0]).toBeCloseTo(0.25, 15);
    expect(r.runningVar.data[0]).toBeCloseTo(0.9 + 0.1 * (5 / 3), 15);
  });

  it('statistics are per channel (last axis) over every other axis', () => {
    // channel 0 holds 0, 2, 4, 6 at four pixels of two samples; channel 1 is constant 5
    const x = T([2, 1, 2, 2], [0, 5, 2, 5, 4, 5, 6, 5]);
    const r = batchNorm2dTrain(x, T([2], [1, 1]), T([2], [0, 0]), T([2]), T([2], [1, 1]));
    expect([...r.mean.data]).toEqual([3, 5]);
    expect([...r.variance.data]).toEqual([5, 0]);
    expect(r.y.data[1]).toBe(0);
  });

  it('eval mode normalises with the running statistics', () => {
    const x = T([2, 2], [1, 4, 3, 8]);
    const y = batchNorm2dEval(x, T([2], [1, 2]), T([2], [0, 1]), T([2], [1, 4]), T([2], [4, 16]), { eps: 0 });
    expect([...y.data]).toEqual([0, 1, 1, 3]);
  });

  it('names mismatched parameters', () => {
    expect(() => batchNorm2dTrain(T([2, 3]), T([2]), T([3]), T([3]), T([3]))).toThrow('batchNorm2d: gamma [2], expected [3] for input [2, 3]');
    expect(() => batchNorm2dTrain(T([1, 1, 1, 3]), T([3]), T([3]), T([3]), T([3]))).toThrow('training needs more than one value per channel');
  });

  for (const shape of BATCHNORM_SHAPES) {
    it(`training backward (through mean and variance) equals central differences: [${shape}]`, () => {
      const rng = new Rng(shape.reduce((a, b) => a * 13 + b, 3));
      const C = shape[shape.length - 1];
      const x = randn(shape, rng, 2);
      const gamma = rand([C], rng, 0.5, 1.5);
      const beta = randn([C], rng);
      const dy = randn(shape, rng);
      const stats = [T([C]), T([C])];
      const num = numericVjp(([xx, g, b]) => batchNorm2dTrain(xx, g, b, stats[0], stats[1], { eps: 1e-3 }).y, [x, gamma, beta], dy);
      const g = batchNorm2dTrainBackward(x, gamma, dy, { eps: 1e-3 });
      expectClose(g.dx, num[0], 1e-6, 'dx');
      expectClose(g.dgamma, num[1], 1e-7, 'dgamma');
      expectClose(g.dbeta, num[2], 1e-7, 'dbeta');
    });
  }

  it('eval backward equals central differences', () => {
    const rng = new Rng(21);
    const x = randn([2, 3, 3, 5], rng);
    const [gamma, rm] = [randn([5], rng), randn([5], rng)];
    const rv = rand([5], rng, 0.5, 2);
    const dy = randn(x.shape, rng);
    const num = numericVjp(([xx, g]) => batchNorm2dEval(xx, g, T([5]), rm, rv), [x, gamma], dy);
    const g = batchNorm2dEvalBackward(x, gamma, rm, rv, dy);
    expectClose(g.dx, num[0], 1e-7, 'dx');
    expectClose(g.dgamma, num[1], 1e-7, 'dgamma');
  });
});

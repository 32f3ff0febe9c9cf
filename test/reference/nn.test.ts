import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random.js';
import { expectClose } from './compare.js';
import { dropConnect, dropConnectBackward, dropout, dropoutBackward } from './dropout.js';
import { numericGrad, numericVjp } from './gradcheck-numeric.js';
import { linear, linearBackward } from './linear.js';
import { bceWithLogits, bceWithLogitsBackward } from './loss.js';
import { globalAvgPool, globalAvgPoolBackward } from './pool.js';
import { squeezeExcite, squeezeExciteBackward, squeezeExciteGate, type SEParams } from './squeeze-excite.js';
import { T, rand, randn } from './tensor.js';

describe('linear', () => {
  it('hand example: x W + b', () => {
    const y = linear(T([1, 2], [1, 2]), T([2, 3], [1, 2, 3, 4, 5, 6]), T([3], [0.5, 0, -1]));
    expect(y).toEqual(T([1, 3], [9.5, 12, 14]));
  });

  it('backward equals central differences, with extra leading dims', () => {
    const rng = new Rng(1);
    const x = randn([2, 3, 5], rng);
    const w = randn([5, 7], rng);
    const b = randn([7], rng);
    const dy = randn([2, 3, 7], rng);
    const num = numericVjp(([xx, ww, bb]) => linear(xx, ww, bb), [x, w, b], dy);
    const g = linearBackward(x, w, dy);
    expectClose(g.dx, num[0], 1e-8, 'dx');
    expectClose(g.dw, num[1], 1e-8, 'dw');
    expectClose(g.db, num[2], 1e-8, 'db');
  });
});

describe('globalAvgPool', () => {
  it('averages each channel over H and W', () => {
    const x = T([1, 2, 2, 2], [1, 10, 2, 20, 3, 30, 4, 40]);
    expect(globalAvgPool(x)).toEqual(T([1, 2], [2.5, 25]));
    expect(globalAvgPool(x, true).shape).toEqual([1, 1, 1, 2]);
  });

  it('backward equals central differences', () => {
    const rng = new Rng(2);
    const x = randn([2, 3, 5, 3], rng);
    const dy = randn([2, 3], rng);
    const [num] = numericVjp(([xx]) => globalAvgPool(xx), [x], dy);
    expectClose(globalAvgPoolBackward(x.shape, dy), num, 1e-8, 'dx');
  });
});

describe('squeezeExcite', () => {
  const params = (rng: Rng, C: number, S: number): SEParams => ({
    wReduce: randn([C, S], rng), bReduce: randn([S], rng), wExpand: randn([S, C], rng), bExpand: randn([C], rng),
  });

  it('scales each channel by sigmoid(expand(swish(reduce(mean))))', () => {
    // C = 1, S = 1, unit weights, zero biases: pooled mean m = 2, gate = sigmoid(m * sigmoid(m))
    const x = T([1, 1, 2, 1], [1, 3]);
    const p = { wReduce: T([1, 1], [1]), bReduce: T([1]), wExpand: T([1, 1], [1]), bExpand: T([1]) };
    const s = (v: number): number => 1 / (1 + Math.exp(-v));
    const gate = s(2 * s(2));
    expectClose(squeezeExcite(x, p), T([1, 1, 2, 1], [gate, 3 * gate]), 1e-15, 'se');
    expectClose(squeezeExciteGate(x, p), T([1, 1], [gate]), 1e-15, 'gate');
  });

  it('backward equals central differences (C = 6, squeeze 2, batch 2 and batch 1)', () => {
    for (const N of [2, 1]) {
      const rng = new Rng(3 + N);
      const x = randn([N, 3, 5, 6], rng);
      const p = params(rng, 6, 2);
      const dy = randn(x.shape, rng);
      const num = numericVjp(
        ([xx, wr, br, we, be]) => squeezeExcite(xx, { wReduce: wr, bReduce: br, wExpand: we, bExpand: be }),
        [x, p.wReduce, p.bReduce, p.wExpand, p.bExpand],
        dy,
      );
      const g = squeezeExciteBackward(x, p, dy);
      expectClose(g.dx, num[0], 1e-7, 'dx');
      expectClose(g.dwReduce, num[1], 1e-7, 'dwReduce');
      expectClose(g.dbReduce, num[2], 1e-7, 'dbReduce');
      expectClose(g.dwExpand, num[3], 1e-7, 'dwExpand');
      expectClose(g.dbExpand, num[4], 1e-7, 'dbExpand');
    }
  });
});

describe('dropout and dropConnect', () => {
  it('dropout zeroes masked elements and scales the rest by 1 / (1 - p)', () => {
    const x = T([4], [1, 2, 3, 4]);
    const mask = T([4], [1, 0, 1, 0]);
    expect(dropout(x, mask, 0.5)).toEqual(T([4], [2, 0, 6, 0]));
    expect(dropoutBackward(T([4], [1, 1, 1, 1]), mask, 0.75)).toEqual(T([4], [4, 0, 4, 0]));
    expect(() => dropout(x, T([2]), 0.5)).toThrow('dropout: mask [2], expected [4]');
  });

  it('dropConnect keeps or drops whole samples and scales by 1 / keepProb', () => {
    const x = T([3, 1, 1, 2], [1, 2, 3, 4, 5, 6]);
    const keep = T([3], [1, 0, 1]);
    expect(dropConnect(x, keep, 0.8)).toEqual(T([3, 1, 1, 2], [1.25, 2.5, 0, 0, 6.25, 7.5]));
    expect(dropConnectBackward(T([3, 1, 1, 2], [1, 1, 1, 1, 1, 1]), keep, 0.5)).toEqual(T([3, 1, 1, 2], [2, 2, 0, 0, 2, 2]));
  });
});

describe('bceWithLogits', () => {
  it('matches the textbook formula at moderate logits, with pos_weight per class', () => {
    const rng = new Rng(4);
    const x = randn([3, 4], rng, 2);
    const y = rand([3, 4], rng);
    const pw = rand([4], rng, 0.5, 3);
    let naive = 0;
    for (let i = 0; i < 12; i++) {
      const p = 1 / (1 + Math.exp(-x.data[i]));
      naive += -(pw.data[i % 4] * y.data[i] * Math.log(p) + (1 - y.data[i]) * Math.log(1 - p));
    }
    expect(bceWithLogits(x, y, pw)).toBeCloseTo(naive / 12, 12);
    expect(bceWithLogits(T([1], [0]), T([1], [1]))).toBeCloseTo(Math.LN2, 15);
  });

  it('stays finite and exact at |logit| = 100', () => {
    const x = T([1, 2], [100, -100]);
    const y = T([1, 2], [0, 1]);
    const pw = T([2], [1, 3]);
    // -log(1 - sigmoid(100)) = 100 and -3 log(sigmoid(-100)) = 300
    expect(bceWithLogits(x, y, pw)).toBeCloseTo(200, 10);
    const g = bceWithLogitsBackward(x, y, pw);
    expect(g.data[0]).toBeCloseTo(0.5, 15);
    expect(g.data[1]).toBeCloseTo(-1.5, 15);
    expect(bceWithLogits(T([2], [100, -100]), T([2], [1, 0]))).toBeCloseTo(0, 40);
  });

  it('backward equals central differences, with and without pos_weight, scaled by dLoss', () => {
    const rng = new Rng(5);
    const x = randn([4, 3], rng, 3);
    const y = rand([4, 3], rng);
    const pw = rand([3], rng, 0.5, 3);
    for (const w of [undefined, pw]) {
      const [num] = numericGrad(([xx]) => 2.5 * bceWithLogits(xx, y, w), [x]);
      expectClose(bceWithLogitsBackward(x, y, w, 2.5), num, 1e-8, w ? 'with pos_weight' : 'plain');
    }
  });
});

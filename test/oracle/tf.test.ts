/**
 * The references against tfjs-core's CPU backend: forward outputs and gradients of
 * conv2d, depthwise conv and training-mode batchnorm (plus linear, squeeze-excite, BCE
 * and matmul) must agree within 1e-4 (scaled by the largest reference magnitude).
 * Inputs are rounded to f32 first, so only tfjs's f32 arithmetic separates the two.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random.js';
import { batchNorm2dTrain, batchNorm2dTrainBackward } from '../reference/batchnorm.js';
import { BATCHNORM_SHAPES, CONV_CASES, DEPTHWISE_CASES } from '../reference/cases.js';
import { expectClose, expectCloseScalar } from '../reference/compare.js';
import { conv2d, conv2dBackward, depthwiseConv2d, depthwiseConv2dBackward } from '../reference/conv.js';
import { linear, linearBackward } from '../reference/linear.js';
import { bceWithLogits, bceWithLogitsBackward } from '../reference/loss.js';
import { matmul } from '../reference/matmul.js';
import { numericVjp } from '../reference/gradcheck-numeric.js';
import { squeezeExcite, squeezeExciteBackward } from '../reference/squeeze-excite.js';
import { T, map, rand, randn, type RefTensor } from '../reference/tensor.js';
import { tfBatchNormTrain, tfBceWithLogits, tfConv2d, tfDepthwiseConv2d, tfLinear, tfMatmul, tfSqueezeExcite } from './tf.js';

const TOL = 1e-4;
const f32 = (t: RefTensor): RefTensor => map(t, Math.fround);
const seedOf = (dims: readonly number[], salt: number): number => dims.reduce((a, b) => a * 31 + b, salt);

describe('conv2d reference vs tfjs', () => {
  for (const c of CONV_CASES) {
    it(c.name, async () => {
      const rng = new Rng(seedOf(c.x, 1));
      const groups = c.groups ?? 1;
      const x = f32(randn(c.x, rng));
      const w = f32(randn([c.KH, c.KW, c.x[3] / groups, c.Cout], rng));
      const b = f32(randn([c.Cout], rng));
      const y = conv2d(x, w, b, c);
      const dy = f32(randn(y.shape, rng));
      const tf = await tfConv2d(x, w, b, c, dy);
      const g = conv2dBackward(x, w, dy, c);
      expectClose(tf.y, y, TOL, `${c.name}: y`);
      expectClose(tf.dx, g.dx, TOL, `${c.name}: dx`);
      expectClose(tf.dw, g.dw, TOL, `${c.name}: dw`);
      expectClose(tf.db!, g.db, TOL, `${c.name}: db`);
    });
  }
});

describe('depthwiseConv2d reference vs tfjs', () => {
  for (const c of DEPTHWISE_CASES) {
    it(c.name, async () => {
      const rng = new Rng(seedOf(c.x, 2));
      const x = f32(randn(c.x, rng));
      const w = f32(randn([c.KH, c.KW, c.x[3]], rng));
      const b = f32(randn([c.x[3]], rng));
      const y = depthwiseConv2d(x, w, b, c);
      const dy = f32(randn(y.shape, rng));
      const tf = await tfDepthwiseConv2d(x, w, b, c, dy);
      const g = depthwiseConv2dBackward(x, w, dy, c);
      expectClose(tf.y, y, TOL, `${c.name}: y`);
      expectClose(tf.dx, g.dx, TOL, `${c.name}: dx`);
      expectClose(tf.dw, g.dw, TOL, `${c.name}: dw`);
      expectClose(tf.db!, g.db, TOL, `${c.name}: db`);
    });
  }
});

describe('batchNorm2d (training) reference vs tfjs', () => {
  for (const shape of BATCHNORM_SHAPES) {
    it(`[${shape}]`, async () => {
      const rng = new Rng(seedOf(shape, 3));
      const C = shape[shape.length - 1];
      // an offset and scale per channel, so the mean matters
      const x = f32(map(randn(shape, rng, 1.5), (v, i) => v + (i % C) - 1));
      const gamma = f32(rand([C], rng, 0.5, 1.5));
      const beta = f32(randn([C], rng));
      const dy = f32(randn(shape, rng));
      const eps = 1e-3;
      const ref = batchNorm2dTrain(x, gamma, beta, T([C]), T([C]), { eps });
      const g = batchNorm2dTrainBackward(x, gamma, dy, { eps });
      const tf = await tfBatchNormTrain(x, gamma, beta, eps, dy);
      expectClose(tf.mean, ref.mean, TOL, 'mean');
      expectClose(tf.variance, ref.variance, TOL, 'biased variance');
      expectClose(tf.y, ref.y, TOL, 'y');
      expectClose(tf.dx, g.dx, TOL, 'dx');
      expectClose(tf.dgamma, g.dgamma, TOL, 'dgamma');
      expectClose(tf.dbeta, g.dbeta, TOL, 'dbeta');
    });
  }
});

describe('other references vs tfjs', () => {
  it('linear', async () => {
    const rng = new Rng(4);
    const x = f32(randn([2, 3, 5], rng));
    const w = f32(randn([5, 7], rng));
    const b = f32(randn([7], rng));
    const dy = f32(randn([2, 3, 7], rng));
    const tf = await tfLinear(x, w, b, dy);
    const g = linearBackward(x, w, dy);
    expectClose(tf.y, linear(x, w, b), TOL, 'y');
    expectClose(tf.dx, g.dx, TOL, 'dx');
    expectClose(tf.dw, g.dw, TOL, 'dw');
    expectClose(tf.db, g.db, TOL, 'db');
  });

  it('squeezeExcite (C 6, squeeze 2, odd HW)', async () => {
    const rng = new Rng(5);
    const x = f32(randn([2, 3, 5, 6], rng));
    const p = {
      wReduce: f32(randn([6, 2], rng)), bReduce: f32(randn([2], rng)),
      wExpand: f32(randn([2, 6], rng)), bExpand: f32(randn([6], rng)),
    };
    const dy = f32(randn(x.shape, rng));
    const tf = await tfSqueezeExcite(x, p, dy);
    const g = squeezeExciteBackward(x, p, dy);
    expectClose(tf.y, squeezeExcite(x, p), TOL, 'y');
    const names = ['dx', 'dwReduce', 'dbReduce', 'dwExpand', 'dbExpand'] as const;
    names.forEach((n, i) => expectClose(tf.grads[i], g[n], TOL, n));
  });

  it('bceWithLogits with pos_weight, logits up to |20|', async () => {
    const rng = new Rng(6);
    const x = f32(randn([4, 19], rng, 8));
    const y = f32(map(rand([4, 19], rng), (v) => (v < 0.3 ? 1 : 0)));
    const pw = f32(rand([19], rng, 0.5, 4));
    for (const w of [undefined, pw]) {
      const tf = await tfBceWithLogits(x, y, w);
      expectCloseScalar(tf.loss, bceWithLogits(x, y, w), TOL, 'loss');
      expectClose(tf.dx, bceWithLogitsBackward(x, y, w), TOL, 'dx');
    }
  });

  it('matmul with transposes and batch broadcasting', async () => {
    const rng = new Rng(7);
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = f32(randn(tA ? [3, 1, 5, 2] : [3, 1, 2, 5], rng));
      const b = f32(randn(tB ? [2, 7, 5] : [2, 5, 7], rng));
      const dy = f32(randn([3, 2, 2, 7], rng));
      const tf = await tfMatmul(a, b, tA, tB, dy);
      const ref = (xs: RefTensor[]): RefTensor => matmul(xs[0], xs[1], { transposeA: tA, transposeB: tB });
      expectClose(tf.y, ref([a, b]), TOL, `y tA=${tA} tB=${tB}`);
      // matmul has no analytic reference backward; central differences stand in
      const num = numericVjp(ref, [a, b], dy);
      expectClose(tf.grads[0], num[0], TOL, `da tA=${tA} tB=${tB}`);
      expectClose(tf.grads[1], num[1], TOL, `db tA=${tA} tB=${tB}`);
    }
  });
});

describe('the oracle notices a wrong answer', () => {
  it('a transposed kernel (a classic bug) fails the comparison', async () => {
    const rng = new Rng(8);
    const x = f32(randn([1, 5, 5, 2], rng));
    const w = f32(randn([3, 3, 2, 2], rng));
    const dy = f32(randn([1, 5, 5, 2], rng));
    // w with its spatial axes swapped: kh <-> kw
    const wT = T(w.shape);
    for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) for (let i = 0; i < 4; i++) wT.data[(kw * 3 + kh) * 4 + i] = w.data[(kh * 3 + kw) * 4 + i];
    const tf = await tfConv2d(x, w, undefined, { padding: 'same' }, dy);
    expect(() => expectClose(tf.y, conv2d(x, wT, undefined, { padding: 'same' }), TOL, 'y')).toThrow('y: scaled error');
  });
});

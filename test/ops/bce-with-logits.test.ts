import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { Rng } from '../../engine/random.js';
import { bceWithLogits, bceWithLogitsBackward } from '../reference/loss.js';
import { expectClose, expectCloseScalar } from '../reference/compare.js';
import { T, rand, randn, type RefTensor } from '../reference/tensor.js';
import { tfBceWithLogits } from '../oracle/tf.js';
import { expectSharedPipelines, f32, gradcheck, toGpu, toRef, useEngine } from '../helpers/engine.js';

useEngine();
const rng = new Rng(51);

/** Multi-label targets: mostly 0/1 with some soft (label-smoothed) values. */
function targets(shape: number[]): RefTensor {
  const t = rand(shape, rng);
  return T(shape, t.data.map((v, i) => (i % 5 === 0 ? Math.fround(v) : v < 0.3 ? 1 : 0)));
}

describe('bceWithLogits: loss and gradient vs reference', () => {
  // the HPA head [16, 19], odd shapes, rank 1, a single element
  for (const shape of [[16, 19], [3, 5], [7], [1, 1]]) {
    for (const withPw of [false, true]) {
      it(`${JSON.stringify(shape)}${withPw ? ' with pos_weight' : ''}`, async () => {
        const y = targets(shape);
        const C = shape[shape.length - 1];
        const pw = withPw ? f32(rand([C], rng, 0.5, 4)) : undefined;
        await gradcheck({
          name: 'bceWithLogits',
          inputs: [randn(shape, rng, 3)],
          gpu: ([x]) => E.bceWithLogits(x, toGpu(y), pw && toGpu(pw)),
          ref: ([x]) => T([], [bceWithLogits(x, y, pw)]),
        });
      });
    }
  }

  it('one pipeline for every batch and class count (uniforms)', async () => {
    const lossOf = async (shape: number[]) => {
      const x = f32(randn(shape, rng, 2));
      const y = targets(shape);
      const pw = f32(rand([shape[shape.length - 1]], rng, 0.5, 4));
      expectCloseScalar(await E.bceWithLogits(toGpu(x), toGpu(y), toGpu(pw)).item(), bceWithLogits(x, y, pw), 1e-5, `loss ${shape}`);
    };
    await expectSharedPipelines(() => lossOf([16, 19]), () => lossOf([5, 7]));
  });

  it('agrees with the tfjs oracle', async () => {
    const x = f32(randn([16, 19], rng, 2));
    const y = targets([16, 19]);
    const pw = f32(rand([19], rng, 0.5, 4));
    const tf = await tfBceWithLogits(x, y, pw);
    const xg = toGpu(x, true);
    const loss = E.bceWithLogits(xg, toGpu(y), toGpu(pw));
    E.backward(loss);
    expectCloseScalar(await loss.item(), tf.loss, 1e-5, 'loss vs tf');
    expectClose(await toRef(xg.grad!), tf.dx, 1e-4, 'dx vs tf');
  });
});

describe('bceWithLogits at the edges', () => {
  it('stays exact at |logit| = 100, confident right and confidently wrong', async () => {
    const x = T([2, 4], [-100, 100, -100, 100, 100, -100, 30, -30]);
    const y = T([2, 4], [0, 1, 1, 0, 0.5, 0.25, 1, 0]);
    const pw = T([4], [1, 2, 3, 0.5]);
    for (const w of [undefined, pw]) {
      const xg = toGpu(x, true);
      const loss = E.bceWithLogits(xg, toGpu(y), w && toGpu(w));
      E.backward(loss);
      const value = await E.checkFinite(loss, 'bceWithLogits');
      expectCloseScalar(value, bceWithLogits(x, y, w), 1e-6, 'loss');
      expectClose(await toRef(xg.grad!), bceWithLogitsBackward(x, y, w), 1e-6, 'dx');
    }
  });

  it('NaN or Inf in the inputs: checkFinite names the op', async () => {
    const y = T([2, 2], [0, 1, 1, 0]);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = T([2, 2], [0.5, bad, -1, 2]);
      const loss = E.bceWithLogits(toGpu(x), toGpu(y));
      await expect(E.checkFinite(loss, 'bceWithLogits')).rejects.toThrow('bceWithLogits: the loss is NaN: its inputs hold NaN or Inf');
    }
    const pw = E.tensor([1, NaN], [2]);
    await expect(E.checkFinite(E.bceWithLogits(toGpu(T([2, 2])), toGpu(y), pw), 'bceWithLogits')).rejects.toThrow('bceWithLogits: the loss is NaN');
  });

  it('no gradient buffer is written when nothing records', async () => {
    const loss = E.noGrad(() => E.bceWithLogits(E.tensor([0, 2], [2]), E.tensor([0, 1], [2])));
    expect(loss.node).toBe(null);
    expectCloseScalar(await loss.item(), bceWithLogits(T([2], [0, 2]), T([2], [0, 1])), 1e-6, 'loss');
  });

  it('names the op and shapes for bad input', () => {
    expect(() => E.bceWithLogits(E.zeros([2, 3]), E.zeros([3, 2]))).toThrow(/bceWithLogits: targets .*\[3,2\], expected the shape of logits .*\[2,3\]/);
    expect(() => E.bceWithLogits(E.zeros([2, 3]), E.zeros([2, 3]), E.zeros([2]))).toThrow(/bceWithLogits: pos_weight .*\[2\], expected \[3\]/);
  });
});

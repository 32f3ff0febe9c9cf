import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { Rng } from '../../engine/random.js';
import { linear, linearBackward } from '../reference/linear.js';
import { expectClose } from '../reference/compare.js';
import { randn } from '../reference/tensor.js';
import { tfLinear } from '../oracle/tf.js';
import { f32, gradcheck, toGpu, toRef, useEngine } from '../helpers/engine.js';

useEngine();
const rng = new Rng(31);

describe('linear: forward vs reference and gradcheck', () => {
  // [x shape, out]: batch 1, odd sizes, a rank-4 input (rows flattened), a rank-1 input
  const cases: [number[], number][] = [[[3, 5], 7], [[1, 6], 19], [[2, 3, 4, 5], 3], [[5], 2]];
  for (const [xs, out] of cases) {
    for (const withBias of [true, false]) {
      it(`x ${JSON.stringify(xs)} -> ${out}${withBias ? ' with bias' : ''}`, async () => {
        const In = xs[xs.length - 1];
        const inputs = [randn(xs, rng), randn([In, out], rng, 0.5), ...(withBias ? [randn([out], rng)] : [])];
        await gradcheck({
          name: 'linear',
          inputs,
          gpu: ([x, w, b]) => E.linear(x, w, b),
          ref: ([x, w, b]) => linear(x, w, b),
        });
      });
    }
  }

  it('the EfficientNet head shape [16, 1280] -> 19 vs float64 backward and tfjs', async () => {
    const x = f32(randn([16, 1280], rng));
    const w = f32(randn([1280, 19], rng, 0.03));
    const b = f32(randn([19], rng));
    const dy = f32(randn([16, 19], rng));
    const [xg, wg, bg] = [toGpu(x, true), toGpu(w, true), toGpu(b, true)];
    const y = E.linear(xg, wg, bg);
    E.backward(y, { grad: toGpu(dy) });
    const ref = linearBackward(x, w, dy);
    const tf = await tfLinear(x, w, b, dy);
    expectClose(await toRef(y), linear(x, w, b), 1e-5, 'y');
    expectClose(await toRef(y), tf.y, 1e-4, 'y vs tf');
    expectClose(await toRef(xg.grad!), ref.dx, 1e-5, 'dx');
    expectClose(await toRef(wg.grad!), ref.dw, 1e-5, 'dw');
    expectClose(await toRef(bg.grad!), ref.db, 1e-5, 'db');
  });

  it('names the op and both shapes', () => {
    expect(() => E.linear(E.zeros([2, 3]), E.zeros([4, 5]))).toThrow(/linear: input .*\[2,3\] and weight .*\[4,5\] \(expected \[in, out\]\) do not agree/);
    expect(() => E.linear(E.zeros([2, 4]), E.zeros([4, 5]), E.zeros([4]))).toThrow(/linear: bias .*\[4\], expected \[5\]/);
  });
});

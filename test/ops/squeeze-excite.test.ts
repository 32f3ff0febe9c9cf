import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { Rng } from '../../engine/random.js';
import { squeezeExcite, squeezeExciteBackward, type SEParams } from '../reference/squeeze-excite.js';
import { expectClose } from '../reference/compare.js';
import { randn } from '../reference/tensor.js';
import { tfSqueezeExcite } from '../oracle/tf.js';
import { f32, gradcheck, toGpu, toRef, useEngine } from '../helpers/engine.js';

useEngine();
const rng = new Rng(21);

function seParams(C: number, S: number): SEParams {
  return {
    wReduce: f32(randn([C, S], rng, 0.5)),
    bReduce: f32(randn([S], rng, 0.2)),
    wExpand: f32(randn([S, C], rng, 0.5)),
    bExpand: f32(randn([C], rng, 0.2)),
  };
}

const asParams = ([, wReduce, bReduce, wExpand, bExpand]: ReturnType<typeof randn>[]): SEParams => ({ wReduce, bReduce, wExpand, bExpand });

describe('squeezeExcite: forward vs reference and gradcheck', () => {
  // [N, H, W, C, S]: odd sizes, C not divisible by 4, batch 1, vec4 channels, S = 1
  for (const [N, H, W, C, S] of [[2, 3, 5, 7, 2], [1, 4, 4, 8, 2], [3, 2, 3, 5, 1], [1, 5, 3, 12, 3]]) {
    it(`x [${N},${H},${W},${C}], squeeze ${S}`, async () => {
      const p = seParams(C, S);
      await gradcheck({
        name: 'squeezeExcite',
        inputs: [randn([N, H, W, C], rng), p.wReduce, p.bReduce, p.wExpand, p.bExpand],
        gpu: ([x, w1, b1, w2, b2]) => E.squeezeExcite(x, w1, b1, w2, b2),
        ref: (xs) => squeezeExcite(xs[0], asParams(xs)),
      });
    });
  }
});

describe('squeezeExcite vs references on an EfficientNet-like shape', () => {
  it('x [2, 8, 8, 40], squeeze 10: float64 backward and the tfjs oracle', async () => {
    const x = f32(randn([2, 8, 8, 40], rng));
    const p = seParams(40, 10);
    const dy = f32(randn(x.shape, rng));
    const inputs = [x, p.wReduce, p.bReduce, p.wExpand, p.bExpand].map((t) => toGpu(t, true));
    const y = E.squeezeExcite(inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]);
    E.backward(y, { grad: toGpu(dy) });
    const ref = squeezeExciteBackward(x, p, dy);
    const tf = await tfSqueezeExcite(x, p, dy);
    expectClose(await toRef(y), squeezeExcite(x, p), 1e-5, 'y');
    expectClose(await toRef(y), tf.y, 1e-4, 'y vs tf');
    const grads = [ref.dx, ref.dwReduce, ref.dbReduce, ref.dwExpand, ref.dbExpand];
    for (let i = 0; i < grads.length; i++) {
      const g = await toRef(inputs[i].grad!);
      expectClose(g, grads[i], 1e-4, `grad ${i}`);
      expectClose(g, tf.grads[i], 1e-4, `grad ${i} vs tf`);
    }
  });
});

describe('squeezeExcite bad input', () => {
  it('names the parameter and the expected shape', () => {
    const x = E.zeros([1, 2, 2, 6]);
    expect(() => E.squeezeExcite(x, E.zeros([6, 2]), E.zeros([2]), E.zeros([2, 5]), E.zeros([6]))).toThrow(
      /squeezeExcite: wExpand .*\[2,5\], expected \[2,6\] for input .*\[1,2,2,6\]/,
    );
    expect(() => E.squeezeExcite(x, E.zeros([4, 2]), E.zeros([2]), E.zeros([2, 6]), E.zeros([6]))).toThrow(/wReduce .*expected \[6,2\]/);
    expect(() => E.squeezeExcite(E.zeros([2, 6]), E.zeros([6, 2]), E.zeros([2]), E.zeros([2, 6]), E.zeros([6]))).toThrow('must be NHWC (rank 4)');
  });
});

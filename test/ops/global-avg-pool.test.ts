import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { Rng } from '../../engine/random.js';
import { globalAvgPool, globalAvgPoolBackward } from '../reference/pool.js';
import { randn } from '../reference/tensor.js';
import { expectClose } from '../reference/compare.js';
import { f32, gradcheck, toGpu, toRef, useEngine } from '../helpers/engine.js';

useEngine();
const rng = new Rng(5);

describe('globalAvgPool: forward vs reference and gradcheck', () => {
  // odd H/W, channels not divisible by 4, batch 1, vec4 channels, more rows than row-splits,
  // and more channels than one workgroup's 64 columns
  for (const shape of [[2, 3, 5, 7], [1, 4, 4, 8], [3, 1, 1, 5], [2, 9, 11, 3], [1, 2, 3, 260]]) {
    it(JSON.stringify(shape), async () => {
      await gradcheck({ name: 'globalAvgPool', inputs: [randn(shape, rng)], gpu: ([x]) => E.globalAvgPool(x), ref: ([x]) => globalAvgPool(x) });
    });
  }

  it('a 64x64 map (the longest pooling EfficientNet-B0 runs at 128x128)', async () => {
    const x = f32(randn([2, 64, 64, 8], rng));
    const dy = f32(randn([2, 8], rng));
    const xg = toGpu(x, true);
    const y = E.globalAvgPool(xg);
    E.backward(y, { grad: toGpu(dy) });
    expectClose(await toRef(y), globalAvgPool(x), 1e-5, 'y');
    expectClose(await toRef(xg.grad!), globalAvgPoolBackward(x.shape, dy), 1e-6, 'dx');
  });

  it('names the op for a non-NHWC input', () => {
    expect(() => E.globalAvgPool(E.zeros([2, 3, 4]))).toThrow(/globalAvgPool: input .*\[2,3,4\] must be NHWC \(rank 4\)/);
    expect(() => E.globalAvgPool(E.zeros([2, 0, 4, 3]))).toThrow('has no pixels to average');
  });
});

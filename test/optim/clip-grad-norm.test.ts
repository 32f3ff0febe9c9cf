import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { Rng } from '../../engine/random.js';
import { clipGradNorm } from '../reference/optim.js';
import { expectClose, expectCloseScalar } from '../reference/compare.js';
import { randn } from '../reference/tensor.js';
import { f32, toGpu, toRef, useEngine } from '../helpers/engine.js';

useEngine();
const rng = new Rng(61);

describe('clipGradNorm: global L2 over all gradients, PyTorch semantics', () => {
  // sizes: odd, vec4, one element, and one large enough for several partial workgroups
  for (const maxNorm of [1, 1e4]) {
    it(`maxNorm ${maxNorm} (${maxNorm === 1 ? 'clips' : 'leaves the gradients as they are'})`, async () => {
      const grads = [[37], [8, 8], [1], [3, 70001]].map((s) => f32(randn(s, rng)));
      const params = grads.map((g) => {
        const p = E.parameter(new Float32Array(g.data.length), g.shape);
        p.grad = toGpu(g);
        return p;
      });
      const reads = E.runtime().stats.reads;
      const total = E.clipGradNorm(params, maxNorm);
      expect(E.runtime().stats.reads).toBe(reads); // no host round trip inside
      const ref = clipGradNorm(grads, maxNorm);
      expectCloseScalar(await total.item(), ref.totalNorm, 1e-5, 'total norm');
      for (let i = 0; i < grads.length; i++) expectClose(await toRef(params[i].grad!), ref.grads[i], 1e-6, `grad ${i}`);
    });
  }

  it('parameters without gradients are skipped; none at all gives norm 0', async () => {
    const p = E.parameter([1, 2], [2]);
    const q = E.parameter([1], [1]);
    q.grad = E.tensor([3], [1]);
    expect(await E.clipGradNorm([p, q], 1).item()).toBe(3);
    expect(await q.grad.item()).toBeCloseTo(3 / (3 + 1e-6), 6);
    expect(await E.clipGradNorm([p], 1).item()).toBe(0);
    expect(() => E.clipGradNorm([p], 0)).toThrow('clipGradNorm: maxNorm 0 must be positive');
  });
});

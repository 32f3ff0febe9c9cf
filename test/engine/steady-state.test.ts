import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

describe('buffer pool steady state', () => {
  it('100 steps of forward + backward + update create no GPU buffers after warm-up', async () => {
    const rt = E.runtime();
    const rng = new E.Rng(5);
    const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal(0, 0.3));
    const x = E.tensor(rand(13 * 7), [13, 7]);
    const y = E.tensor(rand(13 * 5), [13, 5]);
    const w1 = E.parameter(rand(7 * 9), [7, 9]);
    const b1 = E.parameter(rand(9), [9]);
    const w2 = E.parameter(rand(9 * 5), [9, 5]);
    const params = [w1, b1, w2];
    let createdAfterWarmup = 0;
    let lastLoss = Infinity;
    let firstLoss = 0;
    for (let step = 0; step < 100; step++) {
      const loss = E.tidy(() => {
        const h = E.swish(E.matmul(x, w1, { bias: b1 }));
        const d = E.sub(E.matmul(h, w2), y);
        return E.mean(E.mul(d, d));
      });
      E.backward(loss);
      E.noGrad(() =>
        E.tidy(() => {
          for (const p of params) {
            E.assign(p, E.sub(p, E.mulScalar(p.grad!, 0.1)));
            p.grad!.dispose();
            p.grad = null;
          }
        }),
      );
      if (step % 25 === 0 || step === 99) {
        const v = await loss.item();
        if (step === 0) firstLoss = v;
        lastLoss = v;
      }
      loss.dispose();
      if (step === 4) createdAfterWarmup = rt.pool.created;
    }
    expect(rt.pool.created).toBe(createdAfterWarmup);
    expect(lastLoss).toBeLessThan(firstLoss);
    for (const t of [x, y, ...params]) t.dispose();
  });
});

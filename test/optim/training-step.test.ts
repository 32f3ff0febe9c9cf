import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

describe('a training step built from the training kernels', () => {
  it('BN+swish -> SE -> drop-connect -> pool -> linear -> BCE, clipped AdamW: learns, and no new GPU buffers after warm-up', async () => {
    const rt = E.runtime();
    const rng = new E.Rng(3);
    const rand = (n: number, s = 1) => Float32Array.from({ length: n }, () => rng.normal(0, s));
    const [N, H, W, C, S, K] = [4, 6, 6, 8, 2, 3];
    const x = E.tensor(rand(N * H * W * C), [N, H, W, C]);
    const targets = E.tensor(Float32Array.from({ length: N * K }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), [N, K]);
    const params = {
      gamma: E.parameter(new Float32Array(C).fill(1), [C], 'bn.weight'),
      beta: E.parameter(new Float32Array(C), [C], 'bn.bias'),
      w1: E.parameter(rand(C * S, 0.3), [C, S], 'se.fc1.weight'),
      b1: E.parameter(new Float32Array(S), [S], 'se.fc1.bias'),
      w2: E.parameter(rand(S * C, 0.3), [S, C], 'se.fc2.weight'),
      b2: E.parameter(new Float32Array(C), [C], 'se.fc2.bias'),
      head: E.parameter(rand(C * K, 0.3), [C, K], 'head.weight'),
      headBias: E.parameter(new Float32Array(K), [K], 'head.bias'),
    };
    const [rm, rv] = [E.zeros([C]), E.ones([C])];
    const opt = new E.AdamW(params, { lr: 0.05 });
    const p = params;
    let warm = 0;
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      const loss = E.tidy(() => {
        const h = E.batchNorm2d(x, p.gamma, p.beta, rm, rv, { training: true, swish: true });
        const se = E.dropConnect(E.squeezeExcite(h, p.w1, p.b1, p.w2, p.b2), 0.1, rng);
        return E.bceWithLogits(E.linear(E.globalAvgPool(se), p.head, p.headBias), targets);
      });
      E.backward(loss);
      E.clipGradNorm(Object.values(p), 5).dispose();
      opt.step();
      opt.zeroGrad();
      if (step % 13 === 0) losses.push(await E.checkFinite(loss, 'bceWithLogits'));
      loss.dispose();
      if (step === 2) warm = rt.pool.created;
    }
    expect(rt.pool.created).toBe(warm);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.7);
    opt.dispose();
  });
});

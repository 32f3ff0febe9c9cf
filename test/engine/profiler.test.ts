import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

const rand = (rng: E.Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal(0, 0.5));

/** A small graph in two layers: matmul + swish, then a depthwise conv and a mean. */
function step(x: E.Tensor, w: E.Tensor, k: E.Tensor): E.Tensor {
  return E.tidy(() => {
    const h = E.withLayer('dense', () => E.swish(E.matmul(x, w)));
    return E.withLayer('dw', () => E.mean(E.depthwiseConv2d(E.reshape(h, [2, 3, 4, 8]), k, { padding: 1 })));
  });
}

describe('GPU profiler (timestamp queries per dispatch)', () => {
  it('times every dispatch of forward and backward, charges backward to the forward layer, and changes no result', async () => {
    const rt = E.runtime();
    const rng = new E.Rng(3);
    const x = E.tensor(rand(rng, 24 * 5), [24, 5]);
    const w = E.parameter(rand(rng, 5 * 8), [5, 8]);
    const k = E.parameter(rand(rng, 3 * 3 * 8), [3, 3, 8]);
    const run = async () => {
      const loss = step(x, w, k);
      E.backward(loss);
      const out = [await loss.item(), ...(await w.grad!.data()), ...(await k.grad!.data())];
      for (const t of [loss, w.grad!, k.grad!]) t.dispose();
      w.grad = k.grad = null;
      return out;
    };
    const plain = await run();
    const d0 = rt.stats.dispatches;
    const { result, dispatches } = await E.profile(rt, run);
    expect(result).toEqual(plain);
    expect(dispatches.length).toBe(rt.stats.dispatches - d0);
    expect(rt.profiler).toBeNull();

    for (const d of dispatches) expect(d.ms).toBeGreaterThanOrEqual(0);
    expect(dispatches.reduce((a, d) => a + d.ms, 0)).toBeGreaterThan(0);
    const layers = new Set(dispatches.map((d) => d.layer));
    expect(layers).toContain('dense');
    expect(layers).toContain('dw');
    // the depthwise conv's grad-input and grad-weight run in backward, outside withLayer
    const dw = dispatches.filter((d) => d.family.startsWith('dwconv:'));
    expect(dw.map((d) => d.family).sort()).toEqual(['dwconv:dw', 'dwconv:dx', 'dwconv:fwd']);
    for (const d of dw) {
      expect(d.layer).toBe('dw');
      expect(d.exactBytes).toBe(true);
      expect(d.flops).toBe(2 * 2 * 3 * 4 * 8 * 9);
    }
    // forward matmul plus the two of its backward, all stating 2*M*N*K
    const mm = dispatches.filter((d) => d.family.startsWith('matmul:'));
    expect(mm.length).toBeGreaterThanOrEqual(2);
    for (const d of mm) {
      expect(d.layer).toBe('dense');
      expect(d.flops).toBe(2 * 24 * 5 * 8);
    }
    const byLayer = E.sumBy(dispatches, (d) => d.layer);
    expect(byLayer.reduce((a, t) => a + t.calls, 0)).toBe(dispatches.length);
    for (let i = 1; i < byLayer.length; i++) expect(byLayer[i - 1].ms).toBeGreaterThanOrEqual(byLayer[i].ms);
    for (const t of [x, w, k]) t.dispose();
  });

  it('refuses a second profile while one is open', async () => {
    const rt = E.runtime();
    await expect(E.profile(rt, () => E.profile(rt, async () => 0))).rejects.toThrow('a profile is already open');
    expect(rt.profiler).toBeNull();
  });

  it('names kernel families by the leading name segments of the key', () => {
    expect(E.kernelFamily('dwconv:fwd:16,64,64,32:false:4')).toBe('dwconv:fwd');
    expect(E.kernelFamily('matmul:subgroup:32x1:36x6x1:192')).toBe('matmul:subgroup');
    expect(E.kernelFamily('bnApply:1024:32:8:true')).toBe('bnApply');
    expect(E.kernelFamily('adam:false:true')).toBe('adam');
    expect(E.kernelFamily('globalAvgPool')).toBe('globalAvgPool');
  });
});

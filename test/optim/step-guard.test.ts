import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { EfficientNet } from '../../models/efficientnet.js';
import { scaledEfficientNetConfig } from '../../models/efficientnet-config.js';
import { TrainStep } from '../../pipeline/train/steps.js';
import { useEngine } from '../helpers/engine.js';
import { gpuGrads, gpuParams, quadratic } from './quadratic.js';

useEngine();

const SIZES = [37, 64, 1, 6]; // odd (scalar kernels) and multiples of 4 (vec4)
const bytes = (f: Float32Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength);
const scalar = (v: number) => E.tensor(Float32Array.of(v), [1]);

/** Parameters with these gradient values set by hand (an Inf or NaN where asked). */
function withGrads(values: number[][]): E.Tensor[] {
  return values.map((g) => {
    const p = E.parameter(new Float32Array(g.length).fill(1), [g.length]);
    p.grad = E.tensor(Float32Array.from(g), [g.length]);
    return p;
  });
}

describe('the GPU step guard', () => {
  it('stays 1 while the loss and the gradient norm are finite, drops to 0 for good at the first that is not, and resets', async () => {
    const guard = new E.StepGuard();
    const fine = withGrads([[1, -2, 3], [0.5]]);
    const check = async (loss: number, params: E.Tensor[]) => {
      const l = scalar(loss);
      guard.check(l, params);
      l.dispose();
      return guard.ok();
    };
    expect(await check(0.7, fine)).toBe(true);
    expect(await check(NaN, fine)).toBe(false);
    expect(await check(0.7, fine)).toBe(false); // sticky: a later finite step does not clear it
    guard.reset();
    expect(await check(0.7, fine)).toBe(true);
    for (const bad of [Infinity, -Infinity, NaN]) {
      guard.reset();
      expect(await check(0.7, withGrads([[1, 2], [3, bad, 4, 5, 6]])), `gradient with ${bad}`).toBe(false);
      guard.reset();
      expect(await check(bad, fine), `loss ${bad}`).toBe(false);
    }
    // No gradients at all: only the loss decides.
    guard.reset();
    expect(await check(1, [E.parameter(Float32Array.of(1), [1])])).toBe(true);
    guard.dispose();
  });

  const optimizers: [string, (p: E.Tensor[]) => E.Optimizer][] = [
    ['Adam', (p) => new E.Adam(p, { lr: 0.05, weightDecay: 0.1 })],
    ['AdamW', (p) => new E.AdamW(p, { lr: 0.05 })],
    ['SGD', (p) => new E.SGD(p, { lr: 0.05 })],
    ['SGD with momentum', (p) => new E.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true })],
  ];
  for (const [name, make] of optimizers) {
    it(`${name}: a guarded update is the unguarded one while the flag is 1, and moves nothing once it is 0`, async () => {
      const run = async (flags: (number | null)[]) => {
        const q = quadratic(SIZES, 5);
        const params = gpuParams(q);
        const opt = make(params);
        const flag = E.tensor(Float32Array.of(1), [1]);
        const after: Float32Array[][] = [];
        for (const f of flags) {
          gpuGrads(q, params);
          if (f !== null) E.runtime().upload(flag.buffer, Float32Array.of(f));
          opt.step(f === null ? undefined : flag);
          opt.zeroGrad();
          after.push([...(await E.readAll(params)), ...(await E.readAll(Object.values(opt.state().tensors)))]);
        }
        opt.dispose();
        flag.dispose();
        for (const p of params) p.dispose();
        return after;
      };
      const plain = await run([null, null, null]);
      const guarded = await run([1, 1, 1]);
      guarded.forEach((step, s) => step.forEach((t, i) => expect(bytes(t).equals(bytes(plain[s][i])), `step ${s + 1}, tensor ${i}`).toBe(true)));
      const tripped = await run([1, 0, 0]);
      for (const s of [1, 2]) tripped[s].forEach((t, i) => expect(bytes(t).equals(bytes(plain[0][i])), `step ${s + 1}, tensor ${i}`).toBe(true));
    });
  }

  for (const eager of [true, false]) {
    it(`${eager ? 'eager' : 'compiled'} training: a NaN batch leaves the weights, moments and BN running statistics as they were before it, for that step and the one launched after it`, async () => {
      const N = 2;
      const S = 16;
      const K = 5;
      const config = scaledEfficientNetConfig({ width: 0.25, depth: 1, resolution: S, dropout: 0.2 }, { numClasses: K, stages: 2 }, 'tiny');
      const model = new EfficientNet(config, 3);
      const opt = new E.Adam(Object.fromEntries(model.namedParameters()), { lr: 1e-3 });
      const step = new TrainStep(model, opt, { eager });
      const rng = new E.Rng(9);
      const x = () => Float32Array.from({ length: N * S * S * 3 }, () => rng.normal(0, 1));
      const y = Float32Array.from({ length: N * K }, (_, i) => i % 2);
      // Every tensor of the model (weights and BN running means and variances) and the moments.
      const named = model.namedTensors();
      expect(named.filter(([k]) => /running_(mean|var)$/.test(k)).length).toBeGreaterThan(10);
      const snapshot = async () => [...(await E.readAll(named.map(([, t]) => t))), ...(await E.readAll(Object.values(opt.state().tensors)))];
      const initial = await snapshot();
      const r1 = await step.run(x(), [N, S, S, 3], y, [N, K]);
      const r2 = await step.run(x(), [N, S, S, 3], y, [N, K]);
      expect([r1.finite, r2.finite]).toEqual([true, true]);
      const before = await snapshot();
      const bad = x();
      bad[17] = NaN;
      // Launched back to back, as the train loop does: the host reads step 3 after step 4 is queued.
      const p3 = step.run(bad, [N, S, S, 3], y, [N, K]);
      const p4 = step.run(x(), [N, S, S, 3], y, [N, K]);
      const [r3, r4] = [await p3, await p4];
      // The NaN reaches the loss or only the gradients, depending on how each kernel passes a
      // NaN through (WGSL's max() may drop it); either one trips the guard.
      expect(r3.finite).toBe(false);
      expect(r4.finite).toBe(false);
      const after = await snapshot();
      after.forEach((t, i) => expect(bytes(t).equals(bytes(before[i])), `tensor ${i} (${named[i]?.[0] ?? 'a moment'})`).toBe(true));
      // The finite steps did move them: the running statistics are committed, not frozen.
      const changed = (k: RegExp) => named.some(([n], i) => k.test(n) && !bytes(before[i]).equals(bytes(initial[i])));
      expect([changed(/running_mean$/), changed(/running_var$/), changed(/weight$/)]).toEqual([true, true, true]);
      step.dispose();
      opt.dispose();
      model.dispose();
    });
  }
});

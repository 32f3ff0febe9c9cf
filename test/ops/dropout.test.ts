import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { Rng } from '../../engine/random.js';
import { CompiledStep } from '../../engine/capture.js';
import { dropConnect, dropout } from '../reference/dropout.js';
import { expectClose } from '../reference/compare.js';
import { T, rand, type RefTensor } from '../reference/tensor.js';
import { expectSharedPipelines, f32, gradcheck, toGpu, toRef, useEngine } from '../helpers/engine.js';

useEngine();
const rng = new Rng(41);

/** The mask a GPU run used, read off its output (x is never 0 here). */
async function maskOf(x: RefTensor, op: (t: E.Tensor) => E.Tensor): Promise<RefTensor> {
  const y = await toRef(op(toGpu(x)));
  return T(y.shape, y.data.map((v) => (v === 0 ? 0 : 1)));
}

const positive = (shape: number[]) => f32(rand(shape, rng, 0.5, 1.5));

describe('dropout', () => {
  it('the same seed repeats the mask, another seed draws a different one', async () => {
    const x = positive([64, 33]);
    const a = await maskOf(x, (t) => E.dropout(t, 0.3, new Rng(7)));
    const b = await maskOf(x, (t) => E.dropout(t, 0.3, new Rng(7)));
    const c = await maskOf(x, (t) => E.dropout(t, 0.3, new Rng(8)));
    expect([...a.data]).toEqual([...b.data]);
    const differ = a.data.filter((v, i) => v !== c.data[i]).length;
    // independent masks at p = 0.3 differ on 2 * 0.3 * 0.7 = 42% of elements
    expect(differ / a.data.length).toBeGreaterThan(0.35);
  });

  it('drops a fraction p and scales the rest by 1 / (1 - p); gradcheck with the same mask', async () => {
    for (const [shape, p] of [[[200, 51], 0.2], [[3, 7, 5], 0.5]] as [number[], number][]) {
      const x = positive(shape);
      const seed = rng.nextU32();
      const mask = await maskOf(x, (t) => E.dropout(t, p, new Rng(seed)));
      if (x.data.length > 10000) {
        const dropped = mask.data.filter((v) => v === 0).length / mask.data.length;
        // 10200 Bernoulli draws: 4 standard deviations is 0.016
        expect(Math.abs(dropped - p)).toBeLessThan(0.016);
        const y = await toRef(E.dropout(toGpu(x), p, new Rng(seed)));
        expectClose(y, dropout(x, mask, p), 1e-6, 'y');
        continue; // central differences over 10200 elements take seconds
      }
      await gradcheck({ name: `dropout p=${p}`, inputs: [x], gpu: ([t]) => E.dropout(t, p, new Rng(seed)), ref: ([t]) => dropout(t, mask, p) });
    }
  });

  it('p = 0 keeps everything; a rate outside [0, 1) is refused', async () => {
    const x = positive([5, 3]);
    expect([...(await maskOf(x, (t) => E.dropout(t, 0, rng))).data].every((v) => v === 1)).toBe(true);
    expect(() => E.dropout(E.zeros([2]), 1, rng)).toThrow('dropout: rate 1 outside [0, 1)');
    expect(() => E.dropout(E.zeros([2]), -0.1, rng)).toThrow('dropout: rate -0.1 outside [0, 1)');
  });
});

describe('dropConnect (per-sample stochastic depth)', () => {
  it('keeps or zeroes whole samples, repeats per seed, gradchecks with the same mask', async () => {
    const x = positive([16, 3, 2, 5]);
    const p = 0.4;
    const seed = 99;
    const mask = await maskOf(x, (t) => E.dropConnect(t, p, new Rng(seed)));
    const per = 30;
    const keep = T([16], Array.from({ length: 16 }, (_, n) => mask.data[n * per]));
    for (let i = 0; i < mask.data.length; i++) expect(mask.data[i]).toBe(keep.data[Math.floor(i / per)]);
    expect(new Set(keep.data).size).toBe(2); // some kept, some dropped at p = 0.4 over 16 samples
    await gradcheck({ name: 'dropConnect', inputs: [x], gpu: ([t]) => E.dropConnect(t, p, new Rng(seed)), ref: ([t]) => dropConnect(t, keep, 1 - p) });
    const other = await maskOf(x, (t) => E.dropConnect(t, p, new Rng(seed + 1)));
    expect([...other.data]).not.toEqual([...mask.data]);
  });

  it('one pipeline for every sample size (a uniform): each shape keeps or zeroes whole samples through it', async () => {
    const wholeSamples = async (shape: number[]) => {
      const mask = await maskOf(positive(shape), (t) => E.dropConnect(t, 0.5, rng));
      const per = mask.data.length / shape[0];
      for (let i = 0; i < mask.data.length; i++) expect(mask.data[i], `element ${i} of ${shape}`).toBe(mask.data[Math.floor(i / per) * per]);
    };
    // scalar units of 30 and 42; vec4 units of 16 and 32
    const pairs = [[[16, 3, 2, 5], [9, 7, 3, 2]], [[6, 2, 2, 4], [5, 4, 2, 4]]];
    for (const [a, b] of pairs) await expectSharedPipelines(() => wholeSamples(a), () => wholeSamples(b));
  });

  it('over many samples the kept fraction is 1 - p', async () => {
    const x = positive([4000, 1]);
    const kept = (await maskOf(x, (t) => E.dropConnect(t, 0.2, rng))).data.filter((v) => v === 1).length / 4000;
    expect(Math.abs(kept - 0.8)).toBeLessThan(0.03); // 4.7 standard deviations
  });

  it('names the op for a bad rate or input', () => {
    expect(() => E.dropConnect(E.zeros([0, 3]), 0.2, rng)).toThrow('dropConnect: input');
    expect(() => E.dropConnect(E.zeros([2, 3]), 1.5, rng)).toThrow('dropConnect: rate 1.5 outside [0, 1)');
  });
});

describe('seed-table variant (the one a compiled step runs)', () => {
  it('gives the bits of the uniform-seed kernel, forward and backward, for dropout and dropConnect, vec4 or not', async () => {
    const cases: [number[], (t: E.Tensor, r: Rng) => E.Tensor][] = [
      [[8, 12], (t, r) => E.dropout(t, 0.3, r)], // vec4
      [[7, 5], (t, r) => E.dropout(t, 0.3, r)], // scalar
      [[6, 2, 2, 4], (t, r) => E.dropConnect(t, 0.4, r)], // vec4 per sample
      [[6, 3, 1, 1], (t, r) => E.dropConnect(t, 0.4, r)], // scalar per sample
    ];
    for (const [shape, op] of cases) {
      const x = positive(shape);
      const run = ([t]: readonly E.Tensor[], r: Rng) => {
        const leaf = E.mulScalar(t, 1);
        leaf.requiresGrad = true;
        const y = op(leaf, r);
        E.backward(E.sum(E.mul(y, y)));
        return { y, g: leaf.grad!, leaf };
      };
      const eagerRng = new Rng(12);
      const x0 = toGpu(x);
      const eager = run([x0], eagerRng);
      const [ey, eg] = await E.readAll([eager.y, eager.g]);
      const tableRng = new Rng(12);
      const step = new CompiledStep((ins) => run(ins, tableRng), { label: 'drop', warmup: 0 });
      const out = step.run([{ data: Float32Array.from(x.data), shape }]);
      const [ty, tg] = await E.readAll([out.y, out.g]);
      expect([...ty]).toEqual([...ey]);
      expect([...tg]).toEqual([...eg]);
      // A replay draws the next seeds from the same Rng, as an eager call would.
      const next = run([x0], eagerRng);
      const again = step.run([{ data: Float32Array.from(x.data), shape }]);
      expect([...(await again.y.data())]).toEqual([...(await next.y.data())]);
      step.dispose();
    }
  });
});

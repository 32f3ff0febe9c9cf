import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { CompiledStep } from '../../engine/capture.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

const rand = (rng: E.Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal(0, 1));
const bits = (f: Float32Array) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));

/** Odd sizes, so segments end mid-padding and every one but the first starts past offset 0. */
const SHAPES: E.Shape[] = [[3, 5], [5, 7], [13], [7]];

/** The four tensors twice: as views of one flat buffer, and pooled. */
function both(seed: number) {
  const rng = new E.Rng(seed);
  const values = SHAPES.map((s) => rand(rng, E.sizeOf(s)));
  const flat = new E.FlatBuffer(E.flatLayout(SHAPES.map(E.sizeOf)), 'test');
  const views = SHAPES.map((s, i) => flat.view(i, s));
  views.forEach((v, i) => v.write(values[i]));
  flat.release(); // the views hold it now
  const pooled = SHAPES.map((s, i) => E.tensor(values[i], s));
  return { flat, views, pooled, values };
}

/** Forward and backward through matmul with bias, elementwise and a reduction. */
function forward([w, v, u, b]: E.Tensor[], x: E.Tensor): E.Tensor {
  const h = E.swish(E.matmul(E.matmul(x, w), v, { bias: b }));
  return E.add(E.mean(E.mul(h, h)), E.sum(E.mul(u, u)));
}

describe('tensors as views of one flat buffer', () => {
  it('lays segments out at 256-byte boundaries', () => {
    const l = E.flatLayout([15, 77, 13, 0]);
    expect(l.offsets).toEqual([0, 64, 192, 256]);
    expect(l.total).toBe(320);
  });

  it('ops, gradients, copies and reads of views give the bits of pooled tensors, and the padding stays zero', async () => {
    const { flat, views, pooled, values } = both(5);
    const x = E.tensor(rand(new E.Rng(1), 2 * 3), [2, 3]);
    for (const t of [...views, ...pooled]) t.requiresGrad = true;
    const lv = forward(views, x);
    const lp = forward(pooled, x);
    E.backward(lv);
    E.backward(lp);
    expect(bits(await lv.data())).toEqual(bits(await lp.data()));
    const [gv, gp] = await Promise.all([E.readAll(views.map((t) => t.grad!)), E.readAll(pooled.map((t) => t.grad!))]);
    gv.forEach((g, i) => expect(bits(g)).toEqual(bits(gp[i])));
    // Reads of every view (one readMany, each at its offset), data(), clone and assign.
    const read = await E.readAll(views);
    read.forEach((r, i) => expect(bits(r)).toEqual(bits(values[i])));
    expect(bits(await E.clone(views[2]).data())).toEqual(bits(values[2]));
    E.assign(views[3], pooled[3].grad!);
    E.addInPlace(views[1], pooled[1]);
    expect(bits(await views[3].data())).toEqual(bits(gp[3]));
    const sum = values[1].map((v) => Math.fround(v + v));
    expect(bits(await views[1].data())).toEqual(bits(sum));
    const whole = new Float32Array(await E.runtime().read(flat.buffer, flat.layout.total * 4));
    flat.layout.offsets.forEach((o, i) => {
      const end = flat.layout.offsets[i + 1] ?? flat.layout.total;
      expect([...whole.subarray(o + flat.layout.sizes[i], end)].every((v) => v === 0)).toBe(true);
    });
    for (const t of [...views, ...pooled, x, lv, lp]) t.dispose();
  });

  it('a compiled step replays views at their offsets, writes into them included', async () => {
    const inputs = [0, 1, 2, 3].map((i) => rand(new E.Rng(10 + i), 2 * 3));
    const run = async (compiled: boolean) => {
      const { views } = both(7);
      const fn = ([x]: readonly E.Tensor[]) => {
        const loss = E.noGrad(() => forward(views, x));
        // An in-place write into one view from a value read off the others.
        E.noGrad(() => E.tidy(() => E.addInPlace(views[2], E.mulScalar(views[2], -0.25))));
        return { loss };
      };
      const step = new CompiledStep(fn, { label: 'view step', log: () => {} });
      const losses: number[][] = [];
      for (const data of inputs) {
        let loss: E.Tensor;
        if (compiled) loss = step.run([{ data, shape: [2, 3] }]).loss;
        else {
          const x = E.tensor(data, [2, 3]);
          loss = fn([x]).loss;
          x.dispose();
        }
        losses.push(bits(await loss.data()));
        loss.dispose();
      }
      const out = { losses, weights: (await E.readAll(views)).map(bits), counts: step.counts };
      step.dispose();
      views.forEach((v) => v.dispose());
      return out;
    };
    const eager = await run(false);
    const compiled = await run(true);
    expect(compiled.counts).toEqual({ eager: 1, captures: 1, replays: 2 });
    expect(compiled.losses).toEqual(eager.losses);
    expect(compiled.weights).toEqual(eager.weights);
  });
});

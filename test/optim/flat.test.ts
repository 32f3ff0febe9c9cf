import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { CompiledStep } from '../../engine/capture.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

/** Odd sizes (scalar kernels), multiples of 4 (vec4 kernels), one of 1 and one over a segment. */
const SHAPES: E.Shape[] = [[3, 5], [7], [4, 4], [1], [2, 3, 4], [130], [9, 11]];
const bits = (f: Float32Array) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));

type Make = (params: Record<string, E.Tensor>, flat: boolean) => E.Optimizer;
const CONFIGS: [string, Make][] = [
  ['Adam', (ps, flat) => new E.Adam(ps, { lr: 0.05, weightDecay: 0.1, flat })],
  ['AdamW', (ps, flat) => new E.AdamW(ps, { lr: 0.05, flat })],
  ['SGD', (ps, flat) => new E.SGD(ps, { lr: 0.1, weightDecay: 0.01, flat })],
  ['SGD momentum, dampening', (ps, flat) => new E.SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.2, flat })],
  ['SGD nesterov', (ps, flat) => new E.SGD(ps, { lr: 0.1, momentum: 0.8, nesterov: true, weightDecay: 0.01, flat })],
];

interface RunOptions {
  flat: boolean;
  guard: boolean;
  clip: boolean;
  /** Steps at which one parameter gets no gradient (PyTorch skips it: no update, no step counted). */
  skip?: number[];
  /** The step at which a gradient is non-finite (the guard must keep everything as it was). */
  poison?: number;
}

/** Five steps of gradients drawn from one generator (the same for both paths), with an optional guard and clipping. */
async function run(make: Make, o: RunOptions) {
  const rng = new E.Rng(21);
  const draw = (n: number) => Float32Array.from({ length: n }, () => rng.normal(0, 1));
  const params = Object.fromEntries(SHAPES.map((s, i) => [`p${i}`, E.parameter(draw(E.sizeOf(s)), s, `p${i}`)]));
  const opt = make(params, o.flat);
  expect(opt.isFlat).toBe(o.flat);
  const guard = o.guard ? new E.StepGuard() : null;
  const list = Object.values(params);
  const norms: number[] = [];
  const dispatches: number[] = [];
  for (let step = 0; step < 5; step++) {
    list.forEach((p, i) => {
      const g = draw(p.size);
      if (step === o.poison && i === 2) g[1] = Infinity;
      if (!o.skip?.includes(step) || i !== 3) p.grad = E.tensor(g, p.shape);
    });
    const before = E.runtime().stats.dispatches;
    const loss = E.tensor([step], []);
    if (guard) guard.check(loss, list);
    if (o.clip) {
      const total = E.clipGradNorm(list, 2.5);
      norms.push(await total.item());
      total.dispose();
    }
    opt.step(guard?.flag);
    dispatches.push(E.runtime().stats.dispatches - before);
    loss.dispose();
    opt.zeroGrad();
  }
  const state = opt.state();
  const out = {
    weights: (await E.readAll(list)).map(bits),
    state: (await E.readAll(Object.values(state.tensors))).map(bits),
    names: Object.keys(state.tensors),
    shapes: Object.values(state.tensors).map((t) => t.shape),
    steps: state.steps,
    norms,
    dispatches,
    ok: guard ? await guard.ok() : true,
  };
  guard?.dispose();
  opt.dispose();
  list.forEach((p) => p.dispose());
  return out;
}

describe('multi-tensor (flat) optimizers', () => {
  for (const [name, make] of CONFIGS) {
    it(`${name}: flat buffers give the per-tensor path's bits, guarded and clipped or not, in a handful of dispatches`, async () => {
      for (const guard of [false, true]) {
        for (const clip of [false, true]) {
          const flat = await run(make, { flat: true, guard, clip });
          const per = await run(make, { flat: false, guard, clip });
          expect(flat.weights).toEqual(per.weights);
          expect(flat.state).toEqual(per.state);
          expect(flat.names).toEqual(per.names);
          expect(flat.shapes).toEqual(per.shapes);
          expect(flat.steps).toEqual(per.steps);
          expect(flat.norms).toEqual(per.norms);
          // One update; clipping: partials, coefficient, scale; the guard: partials and its flag.
          const expected = 1 + (clip ? 3 : 0) + (guard ? 2 : 0);
          expect(flat.dispatches).toEqual(Array(5).fill(expected));
          expect(per.dispatches[0]).toBeGreaterThanOrEqual(SHAPES.length);
        }
      }
    });
  }

  it('a parameter without a gradient is skipped as PyTorch does (per-tensor kernels over the views), and step counts that differ stay per tensor', async () => {
    for (const [, make] of [CONFIGS[0], CONFIGS[3]]) {
      const flat = await run(make, { flat: true, guard: true, clip: true, skip: [1] });
      const per = await run(make, { flat: false, guard: true, clip: true, skip: [1] });
      expect(flat.weights).toEqual(per.weights);
      expect(flat.state).toEqual(per.state);
      expect(flat.norms).toEqual(per.norms);
      expect(flat.steps).toEqual(per.steps);
      expect(flat.steps.p3).toBe(4);
      expect(flat.steps.p0).toBe(5);
      // Step 0 flat; from step 1 on the counts differ, so every update is per tensor.
      expect(flat.dispatches[0]).toBeLessThan(10);
      expect(flat.dispatches[4]).toBeGreaterThan(SHAPES.length);
    }
  });

  it('a non-finite gradient trips the guard and leaves flat weights and moments as they were, like the per-tensor path', async () => {
    const flat = await run(CONFIGS[1][1], { flat: true, guard: true, clip: false, poison: 2 });
    const per = await run(CONFIGS[1][1], { flat: false, guard: true, clip: false, poison: 2 });
    expect(flat.ok).toBe(false);
    expect(flat.weights).toEqual(per.weights);
    expect(flat.state).toEqual(per.state);
  });

  it('saves and loads state by name: a per-tensor state loads into a flat optimizer, and the parameters are views that ops, write() and readAll see', async () => {
    const rng = new E.Rng(4);
    const draw = (n: number) => Float32Array.from({ length: n }, () => rng.normal(0, 1));
    const mk = (flat: boolean) => {
      const ps = Object.fromEntries(SHAPES.map((s, i) => [`p${i}`, E.parameter(draw(E.sizeOf(s)), s, `p${i}`)]));
      return { ps, opt: new E.Adam(ps, { lr: 0.01, flat }) };
    };
    const a = mk(false);
    const b = mk(true);
    for (const p of Object.values(a.ps)) p.grad = E.tensor(draw(p.size), p.shape);
    a.opt.step();
    a.opt.zeroGrad();
    // b's parameters take a's values through write() (how a checkpoint loads them), b's optimizer a's state.
    const av = await E.readAll(Object.values(a.ps));
    Object.values(b.ps).forEach((p, i) => p.write(av[i]));
    b.opt.loadState(a.opt.state());
    const grads = SHAPES.map((s) => draw(E.sizeOf(s)));
    for (const [o, ps] of [[a.opt, a.ps], [b.opt, b.ps]] as const) {
      Object.values(ps).forEach((p, i) => (p.grad = E.tensor(grads[i], p.shape)));
      o.step();
      o.zeroGrad();
    }
    expect((await E.readAll(Object.values(b.ps))).map(bits)).toEqual((await E.readAll(Object.values(a.ps))).map(bits));
    expect((await E.readAll(Object.values(b.opt.state().tensors))).map(bits)).toEqual((await E.readAll(Object.values(a.opt.state().tensors))).map(bits));
    expect(b.opt.state().steps).toEqual(a.opt.state().steps);
    // An op reading two views of the flat buffer at once.
    const s = E.add(b.ps.p2, b.ps.p2);
    expect(bits(await s.data())).toEqual(bits((await b.ps.p2.data()).map((v) => Math.fround(v + v))));
    s.dispose();
    for (const x of [a, b]) {
      x.opt.dispose();
      Object.values(x.ps).forEach((p) => p.dispose());
    }
  });

  it('a second optimizer over the same parameters (in another order) shares their flat buffers: both stay one dispatch a step and give the per-tensor bits; one over only some of them takes them and the first falls back to per-tensor kernels', async () => {
    const pair = async (flat: boolean, subset = false) => {
      const rng = new E.Rng(6);
      const draw = (n: number) => Float32Array.from({ length: n }, () => rng.normal(0, 1));
      const ps = Object.fromEntries(SHAPES.map((s, i) => [`p${i}`, E.parameter(draw(E.sizeOf(s)), s, `p${i}`)]));
      const list = Object.values(ps);
      const a = new E.Adam(ps, { lr: 0.05, flat });
      const reversed = Object.fromEntries(Object.entries(ps).reverse());
      const b = new E.SGD(subset ? { p1: ps.p1, p4: ps.p4 } : reversed, { lr: 0.1, momentum: 0.9, flat });
      const dispatches = { a: [] as number[], b: [] as number[] };
      for (let step = 0; step < 4; step++) {
        for (const o of step % 2 ? [b, a] : [a, b]) {
          for (const p of list) p.grad = E.tensor(draw(p.size), p.shape);
          const before = E.runtime().stats.dispatches;
          o.step();
          dispatches[o === a ? 'a' : 'b'].push(E.runtime().stats.dispatches - before);
          for (const p of list) {
            p.grad?.dispose();
            p.grad = null;
          }
        }
      }
      const out = { weights: (await E.readAll(list)).map(bits), state: (await E.readAll([...Object.values(a.state().tensors), ...Object.values(b.state().tensors)])).map(bits), dispatches };
      a.dispose();
      // What is left of the pair still runs (its hold keeps the shared buffers).
      for (const p of list) p.grad = E.tensor(draw(p.size), p.shape);
      b.step();
      b.zeroGrad();
      const last = (await E.readAll(list)).map(bits);
      for (const p of list) p.grad?.dispose();
      b.dispose();
      list.forEach((p) => p.dispose());
      return { ...out, last };
    };
    const per = await pair(false);
    const flat = await pair(true);
    expect(flat.weights).toEqual(per.weights);
    expect(flat.state).toEqual(per.state);
    expect(flat.last).toEqual(per.last);
    expect(flat.dispatches).toEqual({ a: [1, 1, 1, 1], b: [1, 1, 1, 1] });
    const subsetPer = await pair(false, true);
    const subsetFlat = await pair(true, true);
    expect(subsetFlat.weights).toEqual(subsetPer.weights);
    expect(subsetFlat.state).toEqual(subsetPer.state);
    // The subset's optimizer is flat (one dispatch); the first runs one kernel per parameter.
    expect(subsetFlat.dispatches).toEqual({ a: Array(4).fill(SHAPES.length), b: [1, 1, 1, 1] });
  });

  it('a compiled step replays the flat update with its per-step step count and learning rate, its gradients placed in the flat buffer', async () => {
    const train = async (compiled: boolean) => {
      const rng = new E.Rng(8);
      const draw = (n: number) => Float32Array.from({ length: n }, () => rng.normal(0, 1));
      const w = E.parameter(draw(6 * 7), [6, 7], 'w');
      const b = E.parameter(draw(7), [7], 'b');
      const opt = new E.AdamW({ w, b }, { lr: 0.05 });
      const guard = new E.StepGuard();
      const fn = ([x]: readonly E.Tensor[]) => {
        const loss = E.tidy(() => E.keep(E.mean(E.swish(E.matmul(x, w, { bias: b })))));
        E.backward(loss);
        E.noGrad(() => guard.check(loss, [w, b]));
        const total = E.noGrad(() => E.clipGradNorm([w, b], 0.05));
        opt.step(guard.flag);
        opt.zeroGrad();
        return { loss, total };
      };
      const step = new CompiledStep(fn, { label: 'flat step', log: () => {} });
      const seen: number[] = [];
      for (let i = 0; i < 5; i++) {
        if (i === 3) opt.lr = 0.01;
        const data = draw(4 * 6);
        const x = compiled ? null : E.tensor(data, [4, 6]);
        const out = compiled ? step.run([{ data, shape: [4, 6] }]) : fn([x!]);
        seen.push(await out.loss.item(), await out.total.item());
        out.loss.dispose();
        out.total.dispose();
        x?.dispose();
      }
      const res = { seen, weights: (await E.readAll([w, b])).map(bits), state: (await E.readAll(Object.values(opt.state().tensors))).map(bits), steps: opt.state().steps, counts: step.counts, elided: step.program?.memory.elidedCopies };
      step.dispose();
      guard.dispose();
      opt.dispose();
      w.dispose();
      b.dispose();
      return res;
    };
    const eager = await train(false);
    const compiled = await train(true);
    expect(compiled.counts).toEqual({ eager: 1, captures: 1, replays: 3 });
    expect(compiled.seen).toEqual(eager.seen);
    expect(compiled.weights).toEqual(eager.weights);
    expect(compiled.state).toEqual(eager.state);
    expect(compiled.steps).toEqual({ w: 5, b: 5 });
    // The replay writes both gradients straight into their flat segments: no gather copies.
    expect(compiled.elided).toBe(2);
  });

  it('a replayed flat update refuses step counts that differ (state loaded after the capture) instead of using one for all', async () => {
    const w = E.parameter(new Float32Array(12).fill(0.5), [3, 4], 'w');
    const b = E.parameter(new Float32Array(4).fill(0.1), [4], 'b');
    const opt = new E.Adam({ w, b }, { lr: 0.01 });
    const fn = ([x]: readonly E.Tensor[]) => {
      const loss = E.tidy(() => E.keep(E.mean(E.matmul(x, w, { bias: b }))));
      E.backward(loss);
      opt.step();
      opt.zeroGrad();
      return { loss };
    };
    const step = new CompiledStep(fn, { label: 'flat step', log: () => {} });
    const input = [{ data: new Float32Array(6).fill(1), shape: [2, 3] }];
    for (let i = 0; i < 3; i++) step.run(input).loss.dispose();
    expect(step.counts.replays).toBe(1);
    const saved = opt.state();
    opt.loadState({ tensors: saved.tensors, steps: { w: 9, b: 4 } });
    expect(() => step.run(input)).toThrow(/Adam: the flat update needs one step count, but 'w' is at 9 and 'b' at 4/);
    step.dispose();
    opt.dispose();
    w.dispose();
    b.dispose();
  });
});

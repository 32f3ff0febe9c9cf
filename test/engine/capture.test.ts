import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { CompiledStep } from '../../engine/capture.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

const rand = (rng: E.Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal(0, 0.5));

/** A small training problem: two layers, dropout, a gradient on every parameter. */
function problem(seed: number) {
  const rng = new E.Rng(seed);
  const w1 = E.parameter(rand(rng, 6 * 8), [6, 8], 'w1');
  const b1 = E.parameter(rand(rng, 8), [8], 'b1');
  const w2 = E.parameter(rand(rng, 8 * 3), [8, 3], 'w2');
  const params = [w1, b1, w2];
  const drop = new E.Rng(seed + 1);
  const batches = Array.from({ length: 6 }, () => ({ x: rand(rng, 5 * 6), y: rand(rng, 5 * 3) }));
  /** Forward and backward; the gradients stay on the parameters. */
  const step = ([x, y]: readonly E.Tensor[]) => {
    for (const p of params) {
      p.grad?.dispose();
      p.grad = null;
    }
    const loss = E.tidy(() => {
      const h = E.dropout(E.swish(E.matmul(x, w1, { bias: b1 })), 0.3, drop);
      const d = E.sub(E.matmul(h, w2), y);
      return E.mean(E.mul(d, d));
    });
    E.backward(loss);
    return { loss };
  };
  const update = () =>
    E.noGrad(() =>
      E.tidy(() => {
        for (const p of params) E.assign(p, E.sub(p, E.mulScalar(p.grad!, 0.1)));
      }),
    );
  return { params, batches, step, update, dispose: () => params.forEach((p) => p.dispose()) };
}

const inputsOf = (b: { x: Float32Array; y: Float32Array }) => [
  { data: b.x, shape: [5, 6] },
  { data: b.y, shape: [5, 3] },
];

describe('compiled steps (capture and replay)', () => {
  it('replays bit-for-bit what the eager steps compute, dropout seeds included', async () => {
    const eager = problem(3);
    const eagerLosses: number[] = [];
    for (const b of eager.batches) {
      const x = E.tensor(b.x, [5, 6]);
      const y = E.tensor(b.y, [5, 3]);
      const { loss } = eager.step([x, y]);
      eagerLosses.push(await loss.item());
      eager.update();
      for (const t of [x, y, loss]) t.dispose();
    }
    const eagerWeights = await E.readAll(eager.params);

    const compiled = problem(3);
    const step = new CompiledStep(compiled.step, { label: 'test step', log: () => {} });
    const losses: number[] = [];
    for (const b of compiled.batches) {
      const { loss } = step.run(inputsOf(b));
      losses.push(await loss.item());
      loss.dispose();
      compiled.update();
    }
    expect(step.counts).toEqual({ eager: 1, captures: 1, replays: 4 });
    expect(losses).toEqual(eagerLosses);
    const weights = await E.readAll(compiled.params);
    weights.forEach((w, i) => expect([...w]).toEqual([...eagerWeights[i]]));
    step.dispose();
    eager.dispose();
    compiled.dispose();
  });

  it('replays an Adam and an SGD step (per-step step count, lr and bias corrections) as the eager path runs it', async () => {
    for (const make of [(ps: E.Tensor[]) => new E.Adam(ps, { lr: 0.05 }), (ps: E.Tensor[]) => new E.SGD(ps, { lr: 0.05, momentum: 0.9 })]) {
      const train = async (compiled: boolean) => {
        const pb = problem(9);
        const opt = make(pb.params);
        const fn = (xy: readonly E.Tensor[]) => {
          const { loss } = pb.step(xy);
          opt.step();
          opt.zeroGrad();
          return { loss };
        };
        const step = new CompiledStep(fn, { label: 'optimizer step', log: () => {} });
        const losses: number[] = [];
        for (const [i, b] of pb.batches.entries()) {
          if (i === 4) opt.lr = 0.02; // a schedule: the replay must see the new rate
          let loss: E.Tensor;
          if (compiled) loss = step.run(inputsOf(b)).loss;
          else {
            const x = E.tensor(b.x, [5, 6]);
            const y = E.tensor(b.y, [5, 3]);
            loss = fn([x, y]).loss;
            x.dispose();
            y.dispose();
          }
          losses.push(await loss.item());
          loss.dispose();
        }
        const out = { losses, weights: await E.readAll(pb.params), steps: opt.state().steps, counts: step.counts };
        step.dispose();
        opt.dispose();
        pb.dispose();
        return out;
      };
      const eager = await train(false);
      const compiled = await train(true);
      expect(compiled.counts).toEqual({ eager: 1, captures: 1, replays: 4 });
      expect(compiled.losses).toEqual(eager.losses);
      expect(compiled.steps).toEqual({ w1: 6, b1: 6, w2: 6 });
      compiled.weights.forEach((w, i) => expect([...w]).toEqual([...eager.weights[i]]));
    }
  });

  it('creates no bind group and no buffer on replay, and plans intermediates into less memory', async () => {
    const rt = E.runtime();
    const pb = problem(4);
    const step = new CompiledStep(pb.step, { label: 'test step', log: () => {} });
    const b = pb.batches[0];
    step.run(inputsOf(b)).loss.dispose();
    const heldAfterEager = rt.pool.bytesHeld; // the eager step's intermediates sit idle in the pool
    step.run(inputsOf(b)).loss.dispose();
    expect(rt.pool.bytesHeld).toBeLessThan(heldAfterEager); // the capture gave them back
    const before = { bindGroups: rt.stats.bindGroups, created: rt.pool.created, submits: rt.stats.submits };
    for (let i = 0; i < 5; i++) {
      const { loss } = step.run(inputsOf(b));
      loss.dispose();
    }
    await rt.sync(); // any validation error of the replays surfaces here
    expect(rt.stats.bindGroups).toBe(before.bindGroups);
    expect(rt.pool.created).toBe(before.created);
    expect(rt.stats.submits - before.submits).toBeLessThanOrEqual(5 * 3); // one replay and at most the input writes' flushes
    const mem = step.program!.memory;
    expect(mem.planned).toBeGreaterThan(0);
    expect(mem.planned).toBeLessThan(mem.unplanned);
    step.dispose();
    pb.dispose();
  });

  it('raises naming the op when the step reads the host inside the capture', async () => {
    const pb = problem(5);
    const step = new CompiledStep(
      ([x]: readonly E.Tensor[]) => {
        const h = E.swish(E.matmul(x, pb.params[0]));
        void h.data();
        return { h };
      },
      { label: 'reading step', warmup: 0 },
    );
    expect(() => step.run([{ data: pb.batches[0].x, shape: [5, 6] }])).toThrow(/reading step: \.data\(\) of #\d+\[5,8\] \(op 'swish'\).*last written by kernel 'unary:swish/);
    step.dispose();
    pb.dispose();
  });

  it('refuses a step whose uniforms change between calls instead of replaying a stale one', async () => {
    const pb = problem(6);
    let k = 0;
    const step = new CompiledStep(([x]: readonly E.Tensor[]) => ({ y: E.mulScalar(x, ++k) }), { label: 'scaled step' });
    step.run([{ data: pb.batches[0].x, shape: [5, 6] }]).y.dispose();
    expect(() => step.run([{ data: pb.batches[0].x, shape: [5, 6] }])).toThrow(/scaled step: cannot capture the step: kernel '.*' \(dispatch 0\) got different uniforms on two calls/);
    step.dispose();
    pb.dispose();
  });

  it('refuses a step that writes a changing host value inside it instead of replaying the captured one', async () => {
    // A constant made inside the step is replayed: fine while it stays the same.
    const x = { data: Float32Array.from({ length: 30 }, (_, i) => i), shape: [5, 6] };
    const same = new CompiledStep(([t]: readonly E.Tensor[]) => ({ y: E.mul(t, E.tensor([3, 1, 1, 1, 1, 2], [6])) }), { label: 'constant step' });
    for (let i = 0; i < 3; i++) {
      const { y } = same.run([x]);
      expect([...(await y.data())]).toEqual([...x.data].map((v, j) => v * [3, 1, 1, 1, 1, 2][j % 6]));
      y.dispose();
    }
    expect(same.counts).toEqual({ eager: 1, captures: 1, replays: 1 });
    same.dispose();
    let k = 0;
    const step = new CompiledStep(([t]: readonly E.Tensor[]) => ({ y: E.mul(t, E.tensor([++k, 1, 1, 1, 1, 1], [6])) }), { label: 'host step' });
    step.run([x]).y.dispose();
    expect(() => step.run([x])).toThrow(/host step: cannot capture the step: host write 0 inside the step \(24 bytes\) differs between two calls/);
    step.dispose();
  });

  it('captures again, saying so, for another input shape and for a replaced parameter', async () => {
    const pb = problem(7);
    const lines: string[] = [];
    let w = pb.params[0];
    const step = new CompiledStep(([x]: readonly E.Tensor[]) => ({ y: E.matmul(x, w) }), { label: 'fwd', log: (l) => lines.push(l), warmup: 0, state: () => [w] });
    const x5 = pb.batches[0].x;
    const run = async (data: Float32Array, n: number) => {
      const { y } = step.run([{ data, shape: [n, 6] }]);
      const v = await y.data();
      y.dispose();
      return v;
    };
    await run(x5, 5);
    await run(x5, 5);
    const short = await run(x5.subarray(0, 2 * 6), 2);
    expect(lines).toEqual(['fwd: inputs [2,6] differ from the captured [5,6]; capturing a program for them too']);
    expect(step.counts.captures).toBe(2);
    await run(x5, 5); // the first program is kept: a replay, no capture
    expect(step.counts.captures).toBe(2);

    // Replace the parameter (a new tensor, old one disposed): the replay must not read the old buffer.
    const values = Float32Array.from({ length: 48 }, (_, i) => i / 10);
    const old = w;
    w = E.parameter(values, [6, 8], 'w1');
    old.dispose();
    const after = await run(x5, 5);
    expect(lines[1]).toMatch(/^fwd: .* since the capture.*; capturing the step again$/);
    const ref = await E.tidy(() => E.matmul(E.tensor(x5, [5, 6]), w)).data();
    expect([...after]).toEqual([...ref]);
    expect(short.length).toBe(2 * 8);
    step.dispose();
    w.dispose();
    pb.params.slice(1).forEach((p) => p.dispose());
  });
});

import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { EfficientNet } from '../../models/efficientnet.js';
import { scaledEfficientNetConfig } from '../../models/efficientnet-config.js';
import { EvalForward, TrainStep } from '../../pipeline/train/steps.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

const N = 4;
const S = 16;
const K = 5;

/** Width 0.25, three stages (expansion, SE, stride 2, k3 and k5, residuals with drop-connect), dropout 0.2. */
const config = () => scaledEfficientNetConfig({ width: 0.25, depth: 1, resolution: S, dropout: 0.2 }, { numClasses: K, stages: 3 }, 'tiny');

function batches(seed: number, count: number) {
  const rng = new E.Rng(seed);
  return Array.from({ length: count }, () => ({
    x: Float32Array.from({ length: N * S * S * 3 }, () => rng.normal(0, 1)),
    y: Float32Array.from({ length: N * K }, () => (rng.nextU32() % 3 === 0 ? 1 : 0)),
  }));
}

/** Every number a run leaves behind: losses, probabilities, weights and BN statistics, Adam's moments and step counts, the dropout generator. */
async function train(eager: boolean, steps: number, flat = true) {
  const model = new EfficientNet(config(), 7);
  expect(model.config.blocks.some((b) => b.stochasticDepthProb > 0)).toBe(true);
  const opt = new E.Adam(Object.fromEntries(model.namedParameters()), { lr: 3e-3, flat });
  expect(opt.isFlat).toBe(flat);
  const lines: string[] = [];
  const step = new TrainStep(model, opt, { eager, log: (l) => lines.push(l) });
  const rt = E.runtime();
  const losses: number[] = [];
  const probs: Float32Array[] = [];
  let afterCapture = { bindGroups: 0, created: 0 };
  for (const [i, b] of batches(11, steps).entries()) {
    if (i === 4) opt.lr = 1e-3; // a schedule: the replay must see the new rate
    const r = await step.run(b.x, [N, S, S, 3], b.y, [N, K]);
    losses.push(r.loss);
    probs.push(r.probs);
    if (i === 1) afterCapture = { bindGroups: rt.stats.bindGroups, created: rt.pool.created + rt.stats.stagingBuffers };
  }
  const created = { bindGroups: rt.stats.bindGroups - afterCapture.bindGroups, buffers: rt.pool.created + rt.stats.stagingBuffers - afterCapture.created }; // pool and read-back buffers
  const dispatches = step.program?.dispatches;
  const elided = step.program?.memory.elidedCopies;
  const named = model.namedTensors();
  const values = await E.readAll(named.map(([, t]) => t));
  const state = opt.state();
  const moments = await E.readAll(Object.values(state.tensors));
  const out = { losses, probs, tensors: new Map(named.map(([k], i) => [k, values[i]])), moments, steps: state.steps, rng: [...model.rng.state], counts: step.counts, created, lines, dispatches, elided, params: opt.params.length };
  step.dispose();
  opt.dispose();
  model.dispose();
  return out;
}

const bytes = (f: Float32Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength);

describe('compiled training steps', () => {
  it('give bit-identical weights, BN statistics, moments, losses and probabilities to eager steps (BN train mode, dropout, drop-connect)', async () => {
    const eager = await train(true, 6);
    const compiled = await train(false, 6);
    expect(eager.counts).toBeUndefined();
    expect(compiled.counts).toEqual({ eager: 1, captures: 1, replays: 4 });
    // After the capture (step 2) the replays create nothing; the eager steps create a bind group per dispatch.
    expect(compiled.created).toEqual({ bindGroups: 0, buffers: 0 });
    expect(eager.created.bindGroups).toBeGreaterThan(100);
    expect(compiled.losses).toEqual(eager.losses);
    compiled.probs.forEach((p, i) => expect(bytes(p).equals(bytes(eager.probs[i]))).toBe(true));
    const differ = [...eager.tensors].filter(([k, v]) => !bytes(v).equals(bytes(compiled.tensors.get(k)!))).map(([k]) => k);
    expect(differ).toEqual([]);
    expect(compiled.tensors.size).toBeGreaterThan(50);
    compiled.moments.forEach((m, i) => expect(bytes(m).equals(bytes(eager.moments[i]))).toBe(true));
    expect(compiled.steps).toEqual(eager.steps);
    expect(Object.values(compiled.steps).every((s) => s === 6)).toBe(true);
    expect(compiled.rng).toEqual(eager.rng);
    expect(compiled.lines).toEqual([]);
  });

  it('flat Adam (parameters, gradients and moments in flat buffers) gives the per-tensor bits, and its compiled step has a handful of optimizer dispatches', async () => {
    const per = await train(true, 3, false);
    const flat = await train(true, 3, true);
    expect(flat.losses).toEqual(per.losses);
    const differ = [...per.tensors].filter(([k, v]) => !bytes(v).equals(bytes(flat.tensors.get(k)!))).map(([k]) => k);
    expect(differ).toEqual([]);
    flat.moments.forEach((m, i) => expect(bytes(m).equals(bytes(per.moments[i]))).toBe(true));
    expect(flat.steps).toEqual(per.steps);
    const compiledFlat = await train(false, 3, true);
    const compiledPer = await train(false, 3, false);
    expect(compiledFlat.losses).toEqual(per.losses);
    // Per tensor: Adam and the guard's sum of squares, one dispatch each per parameter; flat: one each.
    expect(compiledPer.dispatches! - compiledFlat.dispatches!).toBe(2 * (per.params - 1));
    // Every gradient's producing kernel writes it at its flat segment on replay: the gather copies are gone.
    expect([compiledFlat.elided, compiledPer.elided]).toEqual([per.params, 0]);
  });

  it('loading a checkpoint into the live model after the capture is seen: values written in place replay, a replaced generator recaptures', async () => {
    // The run to compare with: eager steps 1-2, a "checkpoint" of that state, eager steps 3-5 from it.
    const model = new EfficientNet(config(), 3);
    const opt = new E.Adam(Object.fromEntries(model.namedParameters()), { lr: 3e-3 });
    const lines: string[] = [];
    const step = new TrainStep(model, opt, { log: (l) => lines.push(l) });
    const data = batches(5, 5);
    const run = (b: (typeof data)[number]) => step.run(b.x, [N, S, S, 3], b.y, [N, K]);
    const other = new EfficientNet(config(), 4); // the checkpoint's model: other weights, other generator
    const otherOpt = new E.Adam(Object.fromEntries(other.namedParameters()), { lr: 3e-3 });
    const ref = new TrainStep(other, otherOpt, { eager: true });
    await ref.run(data[0].x, [N, S, S, 3], data[0].y, [N, K]);
    const saved = { tensors: await E.readAll(other.namedTensors().map(([, t]) => t)), opt: otherOpt.state(), rng: [...other.rng.state] as [number, number, number, number] };
    const savedMoments = await E.readAll(Object.values(saved.opt.tensors));
    const expected: number[] = [];
    for (const b of data.slice(2)) expected.push((await ref.run(b.x, [N, S, S, 3], b.y, [N, K])).loss);

    await run(data[0]);
    await run(data[1]); // captured
    expect(step.counts).toMatchObject({ captures: 1 });
    // Load the checkpoint: weights and moments copied into the live tensors, a new generator.
    model.namedTensors().forEach(([, t], i) => t.write(saved.tensors[i]));
    const moments = Object.fromEntries(Object.entries(saved.opt.tensors).map(([k, t], i) => [k, E.tensor(savedMoments[i], t.shape)]));
    opt.loadState({ tensors: moments, steps: saved.opt.steps });
    Object.values(moments).forEach((t) => t.dispose());
    model.rng = new E.Rng(saved.rng);
    const losses: number[] = [];
    for (const b of data.slice(2)) losses.push((await run(b)).loss);
    const rngAt = model.namedTensors().length + Object.keys(opt.state().tensors).length;
    expect(lines).toEqual([`train step: state ${rngAt} (a random generator) was replaced since the capture; capturing the step again`]);
    expect(losses).toEqual(expected);
    for (const s of [step, ref]) s.dispose();
    for (const o of [opt, otherOpt]) o.dispose();
    for (const m of [model, other]) m.dispose();
  });

  it('after a non-finite step the guard keeps the weights until resetGuard, then a replayed step updates again', async () => {
    const model = new EfficientNet(config(), 7);
    const opt = new E.Adam(Object.fromEntries(model.namedParameters()), { lr: 3e-3 });
    const step = new TrainStep(model, opt, { eager: false });
    const [good1, good2, good3, good4] = batches(5, 4);
    const weights = async () => E.readAll(model.parameters());
    for (const b of [good1, good2]) expect((await step.run(b.x, [N, S, S, 3], b.y, [N, K])).finite).toBe(true);
    const before = await weights();
    const bad = Float32Array.from(good3.x);
    bad[7] = NaN;
    expect((await step.run(bad, [N, S, S, 3], good3.y, [N, K])).finite).toBe(false);
    expect((await step.run(good3.x, [N, S, S, 3], good3.y, [N, K])).finite).toBe(false); // still refused
    const held = await weights();
    held.forEach((w, i) => expect(bytes(w).equals(bytes(before[i]))).toBe(true));
    step.resetGuard();
    expect((await step.run(good4.x, [N, S, S, 3], good4.y, [N, K])).finite).toBe(true);
    const after = await weights();
    expect(after.some((w, i) => !bytes(w).equals(bytes(before[i])))).toBe(true);
    expect(step.counts).toEqual({ eager: 1, captures: 1, replays: 3 });
    step.dispose();
    opt.dispose();
    model.dispose();
  });

  it('the eval forward replays what the eager one computes, and refuses a model in training mode', async () => {
    const model = new EfficientNet(config(), 9);
    const x = batches(2, 1)[0].x;
    const compiled = new EvalForward(model, {});
    const eager = new EvalForward(model, { eager: true });
    await expect(compiled.logits(x, [N, S, S, 3])).rejects.toThrow(/eval forward: the model is in training mode/);
    model.eval();
    const want = await eager.logits(x, [N, S, S, 3]);
    const created = E.runtime().pool.created;
    expect(bytes(await eager.logits(x, [N, S, S, 3])).equals(bytes(want))).toBe(true);
    expect(E.runtime().pool.created).toBe(created); // the eager forward frees what it made
    for (let i = 0; i < 3; i++) expect(bytes(await compiled.logits(x, [N, S, S, 3])).equals(bytes(want))).toBe(true);
    expect(compiled.program).toBeDefined();
    compiled.dispose();
    eager.dispose();
    model.dispose();
  });
});

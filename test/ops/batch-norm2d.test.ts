import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { Rng } from '../../engine/random.js';
import { batchNorm2dEval, batchNorm2dTrain } from '../reference/batchnorm.js';
import { BATCHNORM_SHAPES } from '../reference/cases.js';
import { expectClose } from '../reference/compare.js';
import { swish } from '../reference/elementwise.js';
import { map, rand, randn, type RefTensor } from '../reference/tensor.js';
import { tfBatchNormTrain } from '../oracle/tf.js';
import { f32, gradcheck, toGpu, toRef, useEngine } from '../helpers/engine.js';

useEngine();
const rng = new Rng(11);
// BATCHNORM_SHAPES plus vec4 channels with several chunks per column, and M = 37 rows
// (chunks of 13 with a shorter last one) over 6 channels, and 2112 rows: 132 chunks, so a
// workgroup per column combines them (fewer are summed by one thread per column).
const SHAPES = [...BATCHNORM_SHAPES, [2, 6, 5, 8], [37, 6], [4, 16, 16, 12], [2, 33, 32, 4]];

interface Params {
  gamma: RefTensor;
  beta: RefTensor;
  rm: RefTensor;
  rv: RefTensor;
}

function params(C: number): Params {
  return {
    gamma: f32(rand([C], rng, 0.5, 1.5)),
    beta: f32(randn([C], rng, 0.5)),
    rm: f32(randn([C], rng, 0.3)),
    rv: f32(rand([C], rng, 0.5, 2)),
  };
}

describe('batchNorm2d training: forward, running stats, gradcheck', () => {
  for (const shape of SHAPES) {
    const C = shape[shape.length - 1];
    const big = shape[0] * shape[1] > 60;
    it(`forward and running stats ${JSON.stringify(shape)}`, async () => {
      const x = f32(randn(shape, rng, 2));
      const p = params(C);
      const ref = batchNorm2dTrain(x, p.gamma, p.beta, p.rm, p.rv, { momentum: 0.2, eps: 1e-3 });
      const [rm, rv] = [toGpu(p.rm), toGpu(p.rv)];
      const y = E.batchNorm2d(toGpu(x), toGpu(p.gamma), toGpu(p.beta), rm, rv, { training: true, momentum: 0.2, eps: 1e-3 });
      expectClose(await toRef(y), ref.y, 1e-5, 'y');
      expectClose(await toRef(rm), ref.runningMean, 1e-5, 'running mean');
      expectClose(await toRef(rv), ref.runningVar, 1e-5, 'running var');
    });
    if (big) continue; // central differences over every element: small shapes only
    for (const fuse of [false, true]) {
      it(`gradcheck${fuse ? ' with fused swish' : ''} ${JSON.stringify(shape)}`, async () => {
        const p = params(C);
        const [rm, rv] = [toGpu(p.rm), toGpu(p.rv)];
        await gradcheck({
          name: 'batchNorm2d train',
          inputs: [randn(shape, rng, 2), p.gamma, p.beta],
          gpu: ([x, g, b]) => E.batchNorm2d(x, g, b, rm, rv, { training: true, swish: fuse }),
          ref: ([x, g, b]) => {
            const y = batchNorm2dTrain(x, g, b, p.rm, p.rv).y;
            return fuse ? swish(y) : y;
          },
          gradTol: 2e-4,
        });
      });
    }
  }

  it('mean 1000 with unit spread: the chunked statistics keep the variance', async () => {
    const x = f32(map(randn([8, 8, 8, 4], rng), (v) => 1000 + v));
    const p = params(4);
    const ref = batchNorm2dTrain(x, p.gamma, p.beta, p.rm, p.rv);
    const rv = toGpu(p.rv);
    const y = E.batchNorm2d(toGpu(x), toGpu(p.gamma), toGpu(p.beta), toGpu(p.rm), rv, { training: true });
    // f32 inputs near 1000 carry ~6e-5 absolute error already: 1e-3 of a unit-scale output.
    expectClose(await toRef(y), ref.y, 1e-3, 'y');
    expectClose(await toRef(rv), ref.runningVar, 1e-4, 'running var');
  });
});

describe('batchNorm2d eval: running statistics', () => {
  for (const shape of [[2, 3, 3, 5], [1, 2, 2, 8]]) {
    const C = shape[shape.length - 1];
    for (const fuse of [false, true]) {
      it(`gradcheck${fuse ? ' with fused swish' : ''} ${JSON.stringify(shape)}, running stats untouched`, async () => {
        const p = params(C);
        const [rm, rv] = [toGpu(p.rm), toGpu(p.rv)];
        await gradcheck({
          name: 'batchNorm2d eval',
          inputs: [randn(shape, rng), p.gamma, p.beta],
          gpu: ([x, g, b]) => E.batchNorm2d(x, g, b, rm, rv, { training: false, swish: fuse, eps: 1e-3 }),
          ref: ([x, g, b]) => {
            const y = batchNorm2dEval(x, g, b, p.rm, p.rv, { eps: 1e-3 });
            return fuse ? swish(y) : y;
          },
        });
        expectClose(await toRef(rm), p.rm, 0, 'running mean');
        expectClose(await toRef(rv), p.rv, 0, 'running var');
      });
    }
  }
});

describe('batchNorm2d training vs the tfjs oracle', () => {
  for (const shape of [[2, 5, 3, 7], [3, 4, 4, 8], [1, 3, 3, 5], [4, 9, 9, 16], [2, 33, 32, 4]]) {
    it(`forward and gradients within 1e-4 ${JSON.stringify(shape)}`, async () => {
      const C = shape[3];
      const p = params(C);
      const x = f32(randn(shape, rng, 1.5));
      const dy = f32(randn(shape, rng));
      const tf = await tfBatchNormTrain(x, p.gamma, p.beta, 1e-5, dy);
      const [xg, gg, bg] = [toGpu(x, true), toGpu(p.gamma, true), toGpu(p.beta, true)];
      const y = E.batchNorm2d(xg, gg, bg, toGpu(p.rm), toGpu(p.rv), { training: true });
      E.backward(y, { grad: toGpu(dy) });
      expectClose(await toRef(y), tf.y, 1e-4, 'y vs tf');
      expectClose(await toRef(xg.grad!), tf.dx, 1e-4, 'dx vs tf');
      expectClose(await toRef(gg.grad!), tf.dgamma, 1e-4, 'dgamma vs tf');
      expectClose(await toRef(bg.grad!), tf.dbeta, 1e-4, 'dbeta vs tf');
    });
  }
});

// Every statistics plan any adapter can get, forced: a real GPU's 16K-thread target (a
// workgroup per channel combines >64 partials), the software adapters' 2048, a handful of
// chunks summed by one thread per channel, and a single chunk.
describe('batchNorm2d under each forced thread target (bnPlan block size)', () => {
  for (const threads of [16384, 2048, 24, 1]) {
    for (const shape of [[2, 33, 32, 4], [4, 9, 9, 16]]) {
      it(`${threads} threads: forward, running stats and gradients vs tfjs ${JSON.stringify(shape)}`, async () => {
        E.forceBatchNormThreads(threads);
        try {
          const C = shape[3];
          const p = params(C);
          const x = f32(randn(shape, rng, 1.5));
          const dy = f32(randn(shape, rng));
          const tf = await tfBatchNormTrain(x, p.gamma, p.beta, 1e-5, dy);
          const ref = batchNorm2dTrain(x, p.gamma, p.beta, p.rm, p.rv);
          const [xg, gg, bg, rv] = [toGpu(x, true), toGpu(p.gamma, true), toGpu(p.beta, true), toGpu(p.rv)];
          const y = E.batchNorm2d(xg, gg, bg, toGpu(p.rm), rv, { training: true });
          E.backward(y, { grad: toGpu(dy) });
          expectClose(await toRef(y), tf.y, 1e-4, 'y vs tf');
          expectClose(await toRef(rv), ref.runningVar, 1e-5, 'running var');
          expectClose(await toRef(xg.grad!), tf.dx, 1e-4, 'dx vs tf');
          expectClose(await toRef(gg.grad!), tf.dgamma, 1e-4, 'dgamma vs tf');
          expectClose(await toRef(bg.grad!), tf.dbeta, 1e-4, 'dbeta vs tf');
        } finally {
          E.forceBatchNormThreads(null);
        }
      });
    }
    it(`${threads} threads: gradcheck with fused swish [3, 4, 4, 8]`, async () => {
      E.forceBatchNormThreads(threads);
      try {
        const p = params(8);
        const [rm, rv] = [toGpu(p.rm), toGpu(p.rv)];
        await gradcheck({
          name: 'batchNorm2d train forced plan',
          inputs: [randn([3, 4, 4, 8], rng, 2), p.gamma, p.beta],
          gpu: ([x, g, b]) => E.batchNorm2d(x, g, b, rm, rv, { training: true, swish: true }),
          ref: ([x, g, b]) => swish(batchNorm2dTrain(x, g, b, p.rm, p.rv).y),
          gradTol: 2e-4,
        });
      } finally {
        E.forceBatchNormThreads(null);
      }
    });
  }

  it('refuses a thread target that is not a positive integer, in one line', () => {
    expect(() => E.forceBatchNormThreads(0)).toThrow(/^batchNorm2d: thread target 0 must be a positive integer$/);
    expect(() => E.forceBatchNormThreads(2.5)).toThrow(/^batchNorm2d: thread target 2.5 must be a positive integer$/);
  });
});

describe('batchNorm2d bad input', () => {
  it('names the op and the shapes', () => {
    const x = E.zeros([2, 3, 3, 4]);
    const c4 = () => E.zeros([4]);
    expect(() => E.batchNorm2d(x, E.zeros([3]), c4(), c4(), c4(), { training: true })).toThrow(/batchNorm2d: gamma .*\[3\], expected \[4\] for input .*\[2,3,3,4\]/);
    expect(() => E.batchNorm2d(E.zeros([4]), c4(), c4(), c4(), c4(), { training: true })).toThrow('needs a batch axis and a channel axis');
    expect(() => E.batchNorm2d(E.zeros([1, 1, 1, 4]), c4(), c4(), c4(), c4(), { training: true })).toThrow('training needs more than one value per channel');
    expect(() => E.batchNorm2d(x, c4(), c4(), c4(), c4(), { training: true, momentum: 2 })).toThrow('momentum 2 outside [0, 1]');
  });

  it('a running stat that requires grad is refused', () => {
    const rm = E.zeros([2]);
    rm.requiresGrad = true;
    expect(() => E.batchNorm2d(E.zeros([3, 2]), E.zeros([2]), E.zeros([2]), rm, E.zeros([2]), { training: true })).toThrow(
      /runningMean .* must not require grad/,
    );
  });
});

describe('batchNorm2d with guarded running statistics (E.GuardedRunningStats)', () => {
  const bytes = (f: Float32Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  const layers = [3, 8, 5]; // scalar and vec4 channel layouts, odd segment sizes
  // Its own generator, drawn when the file is collected: the other tests' draws stay as they were.
  const r = new Rng(23);
  const ps = layers.map((C) => ({ gamma: f32(rand([C], r, 0.5, 1.5)), beta: f32(randn([C], r, 0.5)), rm: f32(randn([C], r, 0.3)), rv: f32(rand([C], r, 0.5, 2)) }));
  const xs = layers.map((C) => f32(randn([2, 3, 4, C], r, 1.5)));
  const initial = ps.flatMap((p) => [Float32Array.from(p.rm.data), Float32Array.from(p.rv.data)]);

  /** Every layer's training forward once (unguarded, or guarded and committed under `flag`): the running stats and outputs after it. */
  async function step(flag: number | null): Promise<{ after: Float32Array[]; y: Float32Array[] }> {
    const stats = ps.flatMap((p) => [toGpu(p.rm), toGpu(p.rv)]);
    const gb = ps.map((p) => [toGpu(p.gamma), toGpu(p.beta)]);
    const x = xs.map((r) => toGpu(r));
    const run = () => layers.map((_, i) => E.batchNorm2d(x[i], gb[i][0], gb[i][1], stats[2 * i], stats[2 * i + 1], { training: true, momentum: 0.3, swish: i === 1 }));
    let ys: E.Tensor[];
    if (flag === null) ys = run();
    else {
      const guard = E.GuardedRunningStats.over(stats);
      ys = guard.track(run);
      const f = E.tensor(Float32Array.of(flag), [1]);
      guard.commit(f);
      f.dispose();
      // Another step over the same tensors shares the guard (each lets go of its hold).
      expect(E.GuardedRunningStats.over(stats)).toBe(guard);
      guard.dispose();
      guard.dispose();
    }
    const out = { after: await E.readAll(stats), y: await E.readAll(ys) };
    for (const t of [...stats, ...gb.flat(), ...x, ...ys]) t.dispose();
    return out;
  }

  it('commits the in-place update bit for bit where the flag is 1 and leaves the statistics as they were where it is 0; the outputs are the same either way', async () => {
    const plain = await step(null);
    const committed = await step(1);
    const skipped = await step(0);
    plain.after.forEach((t, i) => {
      expect(bytes(t).equals(bytes(initial[i])), `stat ${i} moves`).toBe(false);
      expect(bytes(committed.after[i]).equals(bytes(t)), `stat ${i} committed`).toBe(true);
      expect(bytes(skipped.after[i]).equals(bytes(initial[i])), `stat ${i} skipped`).toBe(true);
    });
    plain.y.forEach((t, i) => expect(bytes(skipped.y[i]).equals(bytes(t)) && bytes(committed.y[i]).equals(bytes(t)), `output ${i}`).toBe(true));
  });

  it('refuses a training BN whose statistics it does not hold, naming them', () => {
    const held = [toGpu(f32(randn([4], rng))), toGpu(f32(randn([4], rng)))];
    const other = [toGpu(f32(randn([4], rng))), toGpu(f32(randn([4], rng)))];
    const [g, b] = [toGpu(f32(randn([4], rng))), toGpu(f32(randn([4], rng)))];
    const x = toGpu(f32(randn([2, 3, 4], rng)));
    const guard = E.GuardedRunningStats.over(held);
    expect(() => guard.track(() => E.batchNorm2d(x, g, b, other[0], other[1], { training: true }))).toThrow(/batchNorm2d: running statistics #\d+\[4\] are not among the 2 this step guards/);
    guard.dispose();
    for (const t of [...held, ...other, g, b, x]) t.dispose();
  });
});

/**
 * Test harness for GPU ops: one engine per test file (vitest forks a process per file),
 * uploads of reference tensors, and the gradcheck every op goes through.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import * as E from '../../engine/index.js';
import { T, randn, type RefTensor } from '../reference/tensor.js';
import { numericVjp } from '../reference/gradcheck-numeric.js';
import { expectClose } from '../reference/compare.js';
import { Rng } from '../../engine/random.js';

export function useEngine(): void {
  beforeAll(async () => {
    await E.initEngine();
  });
  // The worker exits right after this: let Dawn deliver the destroyed device's loss first,
  // so no callback of this device is still pending when the process tears Dawn down.
  afterAll(async () => {
    const lost = E.runtime().device.lost;
    E.shutdownEngine();
    await lost;
  });
}

export function toGpu(r: RefTensor, requiresGrad = false): E.Tensor {
  const t = E.tensor(Float32Array.from(r.data), r.shape);
  t.requiresGrad = requiresGrad;
  return t;
}

export async function toRef(t: E.Tensor): Promise<RefTensor> {
  return T(t.shape, await t.data());
}

/** Rounds through f32, so references see exactly what the GPU sees. */
export function f32(r: RefTensor): RefTensor {
  return T(r.shape, Float32Array.from(r.data));
}

export interface GradcheckCase {
  name: string;
  inputs: RefTensor[];
  /** The op on the GPU. */
  gpu: (xs: E.Tensor[]) => E.Tensor;
  /** Its float64 definition. */
  ref: (xs: RefTensor[]) => RefTensor;
  /** Which inputs to differentiate (default all). */
  wrt?: number[];
  fwdTol?: number;
  gradTol?: number;
  eps?: number;
  seed?: number;
}

/**
 * Forward vs the float64 reference, then the GPU's analytic gradients (backward of
 * sum(y * dy) for a random dy) vs central differences of the reference in float64.
 */
export async function gradcheck(c: GradcheckCase): Promise<void> {
  const inputs = c.inputs.map(f32);
  const wrt = c.wrt ?? inputs.map((_, i) => i);
  const rng = new Rng(c.seed ?? 7);
  const xs = inputs.map((r, i) => toGpu(r, wrt.includes(i)));
  const expected = c.ref(inputs);
  const dy = f32(randn(expected.shape, rng));
  const y = c.gpu(xs);
  expectClose(await toRef(y), expected, c.fwdTol ?? 1e-5, `${c.name} forward`);
  const dyT = toGpu(dy);
  E.backward(y, { grad: dyT });
  const numeric = numericVjp(c.ref, inputs, dy, c.eps ?? 1e-6);
  for (const i of wrt) {
    const g = xs[i].grad;
    if (!g) throw new Error(`${c.name}: input ${i} got no gradient`);
    expectClose(await toRef(g), numeric[i], c.gradTol ?? 1e-4, `${c.name} grad of input ${i}`);
  }
  for (const t of [...xs, y, dyT]) t.dispose();
}

/** A convolution-family op on the GPU and its float64 forward and analytic backward (test/reference/conv.ts). */
export interface ConvUnderTest {
  name: string;
  gpu: (x: E.Tensor, w: E.Tensor, b: E.Tensor) => E.Tensor;
  forward: (x: RefTensor, w: RefTensor, b: RefTensor) => RefTensor;
  backward: (x: RefTensor, w: RefTensor, dy: RefTensor) => { dx: RefTensor; dw: RefTensor; db: RefTensor };
}

/** y, dx, dw and db of [x, w, b] against the reference; backward must not read back to the host. */
export async function expectConvForwardBackward(op: ConvUnderTest, inputs: RefTensor[], rng: Rng): Promise<void> {
  const [x, w, b] = inputs.map(f32);
  const expected = op.forward(x, w, b);
  const dy = f32(randn(expected.shape, rng));
  const grads = op.backward(x, w, dy);
  const [gx, gw, gb] = [toGpu(x, true), toGpu(w, true), toGpu(b, true)];
  const y = op.gpu(gx, gw, gb);
  expectClose(await toRef(y), expected, 1e-5, `${op.name} y`);
  const reads = E.runtime().stats.reads;
  E.backward(y, { grad: toGpu(dy) });
  expect(E.runtime().stats.reads, 'backward must not read back to the host').toBe(reads);
  expectClose(await toRef(gx.grad!), grads.dx, 1e-5, `${op.name} dx`);
  expectClose(await toRef(gw.grad!), grads.dw, 1e-5, `${op.name} dw`);
  expectClose(await toRef(gb.grad!), grads.db, 1e-5, `${op.name} db`);
}

/**
 * Runs `first` (which creates or reuses its pipelines), then `second`, and fails if the
 * second created any pipeline: how a test shows that two shapes share their kernels.
 */
export async function expectSharedPipelines(first: () => Promise<void>, second: () => Promise<void>): Promise<void> {
  await first();
  const before = E.runtime().stats.pipelines;
  await second();
  expect(E.runtime().stats.pipelines - before, 'pipelines the second shape created').toBe(0);
}

/**
 * Test harness for GPU ops: one engine per test file (vitest forks a process per file),
 * uploads of reference tensors, and the gradcheck every op goes through.
 */
import { afterAll, beforeAll } from 'vitest';
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

import type { Kernel } from './kernel.js';
import { sumPartialsMain } from './clip-grad-norm.js';

/** WGSL: whether an f32 is neither infinite nor NaN, by its exponent bits (a compiler may
 * assume `x != x` is false under fast math, so isnan-style tests are not relied on). */
export const FINITE_FN = `fn finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`;

/**
 * The training step's guard: FLAG[0] stays 1 while every step so far had a finite loss and
 * a finite gradient norm, and drops to 0 for good at the first that did not, so the
 * optimizer kernels that read it leave weights and moments as they were before that step
 * (and after it: the host sees the flag a step late, and the step it launched meanwhile
 * must not move them either). The sum of squares of all gradients is the sum of the
 * partials (clip-grad-norm's sumSquaresKernel). Bindings: loss, partial, flag (rw).
 */
export function stepGuardKernel(partials: number): Kernel {
  const code = `${FINITE_FN}
@group(0) @binding(0) var<storage, read> LOSS: array<f32>;
@group(0) @binding(1) var<storage, read> PART: array<f32>;
@group(0) @binding(2) var<storage, read_write> FLAG: array<f32>;
${sumPartialsMain(partials)}
  if (lid == 0u) {
    let ok = finite(LOSS[0]) && finite(red[0]);
    FLAG[0] = select(0.0, FLAG[0], ok);
  }
}`;
  return { key: `stepGuard:${partials}`, code, workgroups: [1, 1, 1] };
}

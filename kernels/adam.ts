import type { Kernel } from './kernel.js';
import { GUARD_BUFFER, guardedBody, optimFrame, optimKernelCode, optimUniforms } from './optim-wgsl.js';

export interface AdamStepParams {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  lr: number;
  /** 1-based step count of this parameter */
  step: number;
}

/**
 * One fused Adam/AdamW update of a parameter buffer, PyTorch's rule (amsgrad off):
 * Adam adds wd * p to the gradient (L2); AdamW (decoupled) scales p by 1 - lr * wd.
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps).
 * Bias corrections are computed on the host in float64 and passed as uniforms.
 * Bindings: param (rw), grad, m (rw), v (rw), [the step guard's flag when `guarded`].
 */
export function adamKernel(n: number, decoupled: boolean, s: AdamStepParams, guarded = false): Kernel {
  const f = optimFrame(n);
  const fields = ['b1', 'omb1', 'b2', 'omb2', 'eps', 'wd', 'decay', 'stepSize', 'invBc2Sqrt'];
  const body = `var p = P[i];
    var g = G[i];
    ${decoupled ? 'p = p * u.decay;' : 'g = g + u.wd * p;'}
    let m = u.b1 * M[i] + u.omb1 * g;
    let v = u.b2 * VV[i] + u.omb2 * g * g;
    M[i] = m;
    VV[i] = v;
    P[i] = p - u.stepSize * m / (sqrt(v) * u.invBc2Sqrt + u.eps);`;
  const buffers: (readonly [string, 'read' | 'read_write', string?])[] = [['P', 'read_write'], ['G', 'read'], ['M', 'read_write'], ['VV', 'read_write']];
  if (guarded) buffers.push(GUARD_BUFFER);
  const code = optimKernelCode(f, fields, buffers, guardedBody(body, guarded));
  return { key: `adam:${decoupled}:${f.vec4}:${guarded}`, code, workgroups: f.workgroups, uniforms: adamUniforms(n, s) };
}

/** adamKernel's uniforms alone (a compiled step rewrites them every step without building the WGSL). */
export function adamUniforms(n: number, s: AdamStepParams): ArrayBuffer {
  const f = optimFrame(n);
  const bc1 = 1 - s.beta1 ** s.step;
  const bc2 = 1 - s.beta2 ** s.step;
  return optimUniforms(f.count, [
    s.beta1,
    1 - s.beta1,
    s.beta2,
    1 - s.beta2,
    s.eps,
    s.weightDecay,
    1 - s.lr * s.weightDecay,
    s.lr / bc1,
    1 / Math.sqrt(bc2),
  ]);
}

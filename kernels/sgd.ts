import type { Kernel } from './kernel.js';
import { GUARD_BUFFER, guardedBody, optimFrame, optimKernelCode, optimUniforms } from './optim-wgsl.js';

export interface SgdStepParams {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** the momentum buffer is empty: PyTorch seeds it with the gradient itself */
  first: boolean;
}

/**
 * One fused SGD update, PyTorch's rule: g += wd * p; with momentum,
 * buf = first ? g : mu * buf + (1 - dampening) * g and the step is buf (nesterov:
 * g + mu * buf); p -= lr * step. Bindings: param (rw), grad, [buf (rw) with momentum],
 * [the step guard's flag when `guarded`].
 */
export function sgdKernel(n: number, s: SgdStepParams, guarded = false): Kernel {
  const f = optimFrame(n);
  const withBuf = s.momentum !== 0;
  const buffers: (readonly [string, 'read' | 'read_write', string?])[] = [['P', 'read_write'], ['G', 'read']];
  if (withBuf) buffers.push(['B', 'read_write']);
  if (guarded) buffers.push(GUARD_BUFFER);
  const update = withBuf
    ? `let b = select(u.mu * B[i] + u.omd * g, g, u.first != 0.0);
    B[i] = b;
    let d = ${s.nesterov ? 'g + u.mu * b' : 'b'};`
    : 'let d = g;';
  const body = `let p = P[i];
    let g = G[i] + u.wd * p;
    ${update}
    P[i] = p - u.lr * d;`;
  const code = optimKernelCode(f, ['lr', 'mu', 'omd', 'wd', 'first'], buffers, guardedBody(body, guarded));
  return { key: `sgd:${withBuf}:${s.nesterov}:${f.vec4}:${guarded}`, code, workgroups: f.workgroups, uniforms: sgdUniforms(n, s) };
}

/** sgdKernel's uniforms alone (a compiled step rewrites them every step). */
export function sgdUniforms(n: number, s: SgdStepParams): ArrayBuffer {
  return optimUniforms(optimFrame(n).count, [s.lr, s.momentum, 1 - s.dampening, s.weightDecay, s.first ? 1 : 0]);
}

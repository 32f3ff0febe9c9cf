/**
 * Optimizer steps and gradient clipping with PyTorch's semantics, as pure functions:
 * they return the new parameter and state and leave their inputs alone.
 */
import { T, fmtShape, sameShape, type RefTensor } from './tensor.js';

export interface AdamState {
  /** steps taken so far (0 before the first) */
  step: number;
  m: RefTensor;
  v: RefTensor;
}

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export function adamInit(param: RefTensor): AdamState {
  return { step: 0, m: T(param.shape), v: T(param.shape) };
}

function checkGrad(op: string, param: RefTensor, grad: RefTensor): void {
  if (!sameShape(param.shape, grad.shape)) throw new Error(`${op}: grad ${fmtShape(grad.shape)}, param ${fmtShape(param.shape)}`);
}

/**
 * torch.optim.Adam / AdamW (amsgrad off). Adam folds weight decay into the gradient
 * (L2: g += wd * p); AdamW decays the parameter itself first (p *= 1 - lr * wd).
 */
function adamStep(op: string, decoupled: boolean, param: RefTensor, grad: RefTensor, state: AdamState, opts: AdamOptions) {
  checkGrad(op, param, grad);
  const { lr } = opts;
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  const wd = opts.weightDecay ?? (decoupled ? 0.01 : 0);
  const step = state.step + 1;
  const bc1 = 1 - b1 ** step;
  const bc2 = 1 - b2 ** step;
  const p = T(param.shape, param.data);
  const m = T(param.shape);
  const v = T(param.shape);
  for (let i = 0; i < p.data.length; i++) {
    let g = grad.data[i];
    if (decoupled) p.data[i] *= 1 - lr * wd;
    else g += wd * p.data[i];
    m.data[i] = b1 * state.m.data[i] + (1 - b1) * g;
    v.data[i] = b2 * state.v.data[i] + (1 - b2) * g * g;
    const denom = Math.sqrt(v.data[i]) / Math.sqrt(bc2) + eps;
    p.data[i] -= (lr / bc1) * (m.data[i] / denom);
  }
  return { param: p, state: { step, m, v } };
}

export function adam(param: RefTensor, grad: RefTensor, state: AdamState, opts: AdamOptions): { param: RefTensor; state: AdamState } {
  return adamStep('adam', false, param, grad, state, opts);
}

/** weightDecay defaults to 0.01, as torch.optim.AdamW. */
export function adamw(param: RefTensor, grad: RefTensor, state: AdamState, opts: AdamOptions): { param: RefTensor; state: AdamState } {
  return adamStep('adamw', true, param, grad, state, opts);
}

export interface SgdState {
  /** null until the first step, which seeds it with the gradient itself */
  momentumBuffer: RefTensor | null;
}

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * torch.optim.SGD: g += wd * p; buf = g on the first step, else momentum * buf + (1 - dampening) * g;
 * the step uses buf (or g + momentum * buf with nesterov); p -= lr * step.
 */
export function sgd(param: RefTensor, grad: RefTensor, state: SgdState, opts: SgdOptions): { param: RefTensor; state: SgdState } {
  checkGrad('sgd', param, grad);
  const { lr } = opts;
  const mu = opts.momentum ?? 0;
  const damp = opts.dampening ?? 0;
  const wd = opts.weightDecay ?? 0;
  const nesterov = opts.nesterov ?? false;
  const p = T(param.shape, param.data);
  const buf = mu !== 0 ? T(param.shape) : null;
  for (let i = 0; i < p.data.length; i++) {
    let g = grad.data[i] + wd * param.data[i];
    if (buf) {
      buf.data[i] = state.momentumBuffer ? mu * state.momentumBuffer.data[i] + (1 - damp) * g : g;
      g = nesterov ? g + mu * buf.data[i] : buf.data[i];
    }
    p.data[i] -= lr * g;
  }
  return { param: p, state: { momentumBuffer: buf } };
}

/**
 * torch.nn.utils.clip_grad_norm_ (L2): total = sqrt(sum over tensors of |g|^2);
 * every gradient is multiplied by min(maxNorm / (total + 1e-6), 1).
 */
export function clipGradNorm(grads: readonly RefTensor[], maxNorm: number): { grads: RefTensor[]; totalNorm: number } {
  let sq = 0;
  for (const g of grads) for (const v of g.data) sq += v * v;
  const totalNorm = Math.sqrt(sq);
  const coef = Math.min(maxNorm / (totalNorm + 1e-6), 1);
  return { grads: grads.map((g) => T(g.shape, g.data.map((v) => v * coef))), totalNorm };
}

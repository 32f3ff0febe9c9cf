import { runtime } from '../runtime.js';
import type { Tensor } from '../tensor.js';
import { adamKernel, adamUniforms, type AdamStepParams } from '../../kernels/adam.js';
import { perStepUniforms } from '../capture.js';
import { Optimizer, type Params } from './optimizer.js';
import type { FlatParams } from './flat-params.js';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Adam: L2 added to the gradient (default 0); AdamW: decoupled decay (default 0.01) */
  weightDecay?: number;
  /** Flat buffers and one dispatch per step (default true); false: one kernel per parameter. */
  flat?: boolean;
}

/**
 * torch.optim.Adam (decoupled = false) and AdamW (true), amsgrad off: one fused kernel
 * over the flat buffers per step (engine/optim/optimizer.ts), else one per parameter. `lr` may be changed between steps (schedules); it and the
 * step's bias corrections travel as uniforms. State: `<param>.exp_avg`, `<param>.exp_avg_sq`.
 */
export class Adam extends Optimizer {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(
    params: Params,
    opts: AdamOptions,
    readonly decoupled = false,
  ) {
    const op = decoupled ? 'AdamW' : 'Adam';
    super(op, params, ['exp_avg', 'exp_avg_sq'], opts.flat ?? true);
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? (decoupled ? 0.01 : 0);
    for (const [k, v] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new Error(`${op}: ${k} ${v} outside [0, 1)`);
    }
    if (!(this.lr >= 0)) throw new Error(`${op}: learning rate ${this.lr} must be >= 0`);
  }

  private at(step: number): AdamStepParams {
    return { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, step };
  }

  protected updateFlat(f: FlatParams, step: number, guard?: Tensor): void {
    const n = f.layout.total;
    perStepUniforms(() => adamUniforms(n, this.at(this.advanceAll())));
    const k = adamKernel(n, this.decoupled, this.at(step), !!guard);
    const bufs = [f.P.binding, f.G.binding, this.flatState.get('exp_avg')!.binding, this.flatState.get('exp_avg_sq')!.binding];
    if (guard) bufs.push(guard.binding);
    runtime().dispatch(k, bufs);
  }

  protected update(name: string, p: Tensor, g: Tensor, step: number, guard?: Tensor): void {
    const at = (step: number) => this.at(step);
    // A compiled step's replay recomputes the step count, lr and bias corrections on the host.
    perStepUniforms(() => adamUniforms(p.size, at(this.advance(name))));
    const k = adamKernel(p.size, this.decoupled, at(step), !!guard);
    const bufs = [p.binding, g.binding, this.buffer(name, 'exp_avg').binding, this.buffer(name, 'exp_avg_sq').binding];
    if (guard) bufs.push(guard.binding);
    runtime().dispatch(k, bufs);
  }
}

/** torch.optim.AdamW: Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  constructor(params: Params, opts: AdamOptions) {
    super(params, opts, true);
  }
}

import { runtime } from '../runtime.js';
import type { Tensor } from '../tensor.js';
import { sgdKernel, sgdUniforms, type SgdStepParams } from '../../kernels/sgd.js';
import { perStepUniforms } from '../capture.js';
import { Optimizer, type Params } from './optimizer.js';
import type { FlatParams } from './flat-params.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  /** Flat buffers and one dispatch per step (default true); false: one kernel per parameter. */
  flat?: boolean;
}

/**
 * torch.optim.SGD: one fused kernel over the flat buffers per step (engine/optim/optimizer.ts),
 * else one per parameter. With momentum the state is
 * `<param>.momentum_buffer`, seeded with the first gradient as PyTorch does.
 */
export class SGD extends Optimizer {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: Params, opts: SgdOptions) {
    const momentum = opts.momentum ?? 0;
    super('SGD', params, momentum !== 0 ? ['momentum_buffer'] : [], opts.flat ?? true);
    this.lr = opts.lr;
    this.momentum = momentum;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && (momentum <= 0 || this.dampening !== 0)) throw new Error('SGD: nesterov needs momentum > 0 and dampening 0');
    if (!(momentum >= 0)) throw new Error(`SGD: momentum ${momentum} must be >= 0`);
  }

  private at(step: number): SgdStepParams {
    return { lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov, first: step === 1 };
  }

  protected updateFlat(f: FlatParams, step: number, guard?: Tensor): void {
    const n = f.layout.total;
    perStepUniforms(() => sgdUniforms(n, this.at(this.advanceAll())));
    const k = sgdKernel(n, this.at(step), !!guard);
    const bufs = [f.P.binding, f.G.binding];
    if (this.momentum !== 0) bufs.push(this.flatState.get('momentum_buffer')!.binding);
    if (guard) bufs.push(guard.binding);
    runtime().dispatch(k, bufs);
  }

  protected update(name: string, p: Tensor, g: Tensor, step: number, guard?: Tensor): void {
    const at = (step: number) => this.at(step);
    perStepUniforms(() => sgdUniforms(p.size, at(this.advance(name))));
    const k = sgdKernel(p.size, at(step), !!guard);
    const bufs = [p.binding, g.binding];
    if (this.momentum !== 0) bufs.push(this.buffer(name, 'momentum_buffer').binding);
    if (guard) bufs.push(guard.binding);
    runtime().dispatch(k, bufs);
  }
}

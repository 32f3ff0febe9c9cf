import { depthwiseConv2d, tensor, type Padding, type Rng, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { kaimingNormalFanOut } from './init.js';

/** One filter per channel (groups = channels), weight [K, K, C], no bias (BN follows). */
export class DepthwiseConv2d extends Module {
  readonly weight: Tensor;

  constructor(
    readonly channels: number,
    readonly kernel: number,
    readonly stride: number,
    readonly padding: Padding,
    rng: Rng,
  ) {
    super();
    this.weight = this.addParameter('weight', tensor(kaimingNormalFanOut(rng, kernel * kernel * channels, channels * kernel * kernel), [kernel, kernel, channels]));
  }

  forward(x: Tensor): Tensor {
    return depthwiseConv2d(x, this.weight, { stride: this.stride, padding: this.padding });
  }
}

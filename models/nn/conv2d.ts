import { conv2d, tensor, zeros, type Padding, type Rng, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { kaimingNormalFanOut } from './init.js';

export interface Conv2dLayerOptions {
  kernel: number;
  stride?: number;
  padding?: Padding;
  bias?: boolean;
}

/** A dense convolution (groups 1), weight HWIO [K, K, Cin, Cout]; 1x1 runs as a GEMM. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias?: Tensor;
  readonly stride: number;
  readonly padding: Padding;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    o: Conv2dLayerOptions,
    rng: Rng,
  ) {
    super();
    const k = o.kernel;
    this.stride = o.stride ?? 1;
    this.padding = o.padding ?? 0;
    this.weight = this.addParameter('weight', tensor(kaimingNormalFanOut(rng, k * k * inChannels * outChannels, outChannels * k * k), [k, k, inChannels, outChannels]));
    if (o.bias) this.bias = this.addParameter('bias', zeros([outChannels]));
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, { stride: this.stride, padding: this.padding, bias: this.bias });
  }
}

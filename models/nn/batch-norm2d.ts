import { batchNorm2d, tensor, zeros, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { filled } from './init.js';

/** BatchNorm2d over NHWC channels with PyTorch's conventions; `swish` fuses the activation
 * that follows it in EfficientNet into the same kernels. */
export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;

  constructor(
    readonly channels: number,
    readonly eps: number,
    readonly momentum: number,
  ) {
    super();
    this.weight = this.addParameter('weight', tensor(filled(channels, 1), [channels]));
    this.bias = this.addParameter('bias', zeros([channels]));
    this.runningMean = this.addBuffer('running_mean', zeros([channels]));
    this.runningVar = this.addBuffer('running_var', tensor(filled(channels, 1), [channels]));
  }

  forward(x: Tensor, swish = false): Tensor {
    return batchNorm2d(x, this.weight, this.bias, this.runningMean, this.runningVar, {
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
      swish,
    });
  }
}

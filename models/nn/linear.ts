import { linear, tensor, zeros, type Rng, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { uniformByOut } from './init.js';

/** y = x W + b with W [in, out] (PyTorch's weight transposed, so the GEMM reads it directly). */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
  ) {
    super();
    this.weight = this.addParameter('weight', tensor(uniformByOut(rng, inFeatures * outFeatures, outFeatures), [inFeatures, outFeatures]));
    this.bias = this.addParameter('bias', zeros([outFeatures]));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

import type { Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { BatchNorm2d } from './batch-norm2d.js';

interface ConvLike extends Module {
  forward(x: Tensor): Tensor;
}

/** torchvision's Conv2dNormActivation: conv at '0', BN at '1', then swish (fused into the
 * BN kernels) or no activation (the projection conv of an MBConv block). */
export class ConvBnAct<C extends ConvLike = ConvLike> extends Module {
  readonly conv: C;
  readonly bn: BatchNorm2d;

  constructor(
    conv: C,
    bn: BatchNorm2d,
    readonly swish: boolean,
  ) {
    super();
    this.conv = this.addChild('0', conv);
    this.bn = this.addChild('1', bn);
  }

  forward(x: Tensor): Tensor {
    const y = this.conv.forward(x);
    const out = this.bn.forward(y, this.swish);
    // The conv output is saved by BN's backward where needed; the scope would free it later anyway.
    y.dispose();
    return out;
  }
}

import { add, dropConnect, type Padding, type Rng, type Tensor } from '../../engine/index.js';
import type { BlockConfig } from '../efficientnet-config.js';
import { Container, Module } from '../module.js';
import { BatchNorm2d } from './batch-norm2d.js';
import { Conv2d } from './conv2d.js';
import { ConvBnAct } from './conv-bn-act.js';
import { DepthwiseConv2d } from './depthwise-conv2d.js';
import { SqueezeExcite } from './squeeze-excite.js';

export interface BlockContext {
  padding: (kernel: number) => Padding;
  bn: (channels: number) => BatchNorm2d;
  rng: Rng;
}

/**
 * The inverted-residual block: 1x1 expand (BN + swish), depthwise k x k (BN + swish),
 * squeeze-excite, 1x1 project (BN, no activation), then the identity shortcut with
 * per-sample stochastic depth where the shapes allow it. Children are numbered as
 * torchvision's `block` Sequential, so its state_dict names are ours.
 */
export class MBConv extends Module {
  private readonly layers: Container;
  private readonly expand?: ConvBnAct<Conv2d>;
  private readonly depthwise: ConvBnAct<DepthwiseConv2d>;
  private readonly se: SqueezeExcite;
  private readonly project: ConvBnAct<Conv2d>;

  constructor(
    readonly config: BlockConfig,
    ctx: BlockContext,
  ) {
    super();
    const b = config;
    this.layers = this.addChild('block', new Container());
    if (b.expandRatio !== 1) {
      this.expand = this.layers.add(new ConvBnAct(new Conv2d(b.inChannels, b.expandedChannels, { kernel: 1 }, ctx.rng), ctx.bn(b.expandedChannels), true));
    }
    const dw = new DepthwiseConv2d(b.expandedChannels, b.kernel, b.stride, ctx.padding(b.kernel), ctx.rng);
    this.depthwise = this.layers.add(new ConvBnAct(dw, ctx.bn(b.expandedChannels), true));
    this.se = this.layers.add(new SqueezeExcite(b.expandedChannels, b.squeezeChannels, ctx.rng));
    this.project = this.layers.add(new ConvBnAct(new Conv2d(b.expandedChannels, b.outChannels, { kernel: 1 }, ctx.rng), ctx.bn(b.outChannels), false));
  }

  forward(x: Tensor, rng: Rng): Tensor {
    let h = x;
    const step = (f: (t: Tensor) => Tensor): void => {
      const next = f(h);
      if (h !== x) h.dispose();
      h = next;
    };
    if (this.expand) step((t) => this.expand!.forward(t));
    step((t) => this.depthwise.forward(t));
    step((t) => this.se.forward(t));
    step((t) => this.project.forward(t));
    if (!this.config.residual) return h;
    const p = this.config.stochasticDepthProb;
    if (this.training && p > 0) step((t) => dropConnect(t, p, rng));
    const out = add(h, x);
    h.dispose();
    return out;
  }
}

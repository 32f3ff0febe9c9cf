import { reshape, squeezeExcite, type Rng, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { Conv2d } from './conv2d.js';

/** torchvision's SqueezeExcitation: fc1 and fc2 are 1x1 convs with bias (so the names and
 * shapes match), run through the fused squeezeExcite op on their [C, S] / [S, C] views. */
export class SqueezeExcite extends Module {
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;

  constructor(
    readonly channels: number,
    readonly squeeze: number,
    rng: Rng,
  ) {
    super();
    this.fc1 = this.addChild('fc1', new Conv2d(channels, squeeze, { kernel: 1, bias: true }, rng));
    this.fc2 = this.addChild('fc2', new Conv2d(squeeze, channels, { kernel: 1, bias: true }, rng));
  }

  forward(x: Tensor): Tensor {
    const C = this.channels;
    const S = this.squeeze;
    return squeezeExcite(x, reshape(this.fc1.weight, [C, S]), this.fc1.bias!, reshape(this.fc2.weight, [S, C]), this.fc2.bias!);
  }
}

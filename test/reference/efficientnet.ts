/**
 * EfficientNet's training-mode forward in float64, composed from the reference ops, for
 * the end-to-end gradcheck. Parameters by torchvision name in our layouts (as the model
 * holds them). No dropout or stochastic depth: the gradcheck runs with both off.
 */
import type { EfficientNetConfig } from '../../models/efficientnet-config.js';
import { batchNorm2dTrain } from './batchnorm.js';
import { conv2d, depthwiseConv2d, type Padding } from './conv.js';
import { add, swish } from './elementwise.js';
import { linear } from './linear.js';
import { bceWithLogits } from './loss.js';
import { globalAvgPool } from './pool.js';
import { reshape } from './shape.js';
import { squeezeExcite } from './squeeze-excite.js';
import type { RefTensor } from './tensor.js';

export function efficientNetForward(config: EfficientNetConfig, p: ReadonlyMap<string, RefTensor>, x: RefTensor): RefTensor {
  const get = (name: string): RefTensor => {
    const t = p.get(name);
    if (!t) throw new Error(`reference EfficientNet: no parameter ${name}`);
    return t;
  };
  const pad = (k: number): Padding => (config.padding === 'same' ? 'same' : (k - 1) >> 1);
  const bn = (prefix: string, h: RefTensor, act: boolean): RefTensor => {
    const { y } = batchNorm2dTrain(h, get(`${prefix}.weight`), get(`${prefix}.bias`), get(`${prefix}.running_mean`), get(`${prefix}.running_var`), {
      eps: config.bn.eps,
    });
    return act ? swish(y) : y;
  };
  const conv = (prefix: string, h: RefTensor, stride: number, k: number): RefTensor => conv2d(h, get(`${prefix}.weight`), undefined, { stride, padding: pad(k) });

  let h = bn('features.0.1', conv('features.0.0', x, config.stemStride, config.stemKernel), true);
  for (const b of config.blocks) {
    const pre = `features.${b.stage + 1}.${b.index}.block`;
    let layer = 0;
    let t = h;
    if (b.expandRatio !== 1) {
      t = bn(`${pre}.0.1`, conv(`${pre}.0.0`, t, 1, 1), true);
      layer++;
    }
    t = bn(`${pre}.${layer}.1`, depthwiseConv2d(t, get(`${pre}.${layer}.0.weight`), undefined, { stride: b.stride, padding: pad(b.kernel) }), true);
    layer++;
    const se = `${pre}.${layer}`;
    const C = b.expandedChannels;
    const S = b.squeezeChannels;
    t = squeezeExcite(t, {
      wReduce: reshape(get(`${se}.fc1.weight`), [C, S]),
      bReduce: get(`${se}.fc1.bias`),
      wExpand: reshape(get(`${se}.fc2.weight`), [S, C]),
      bExpand: get(`${se}.fc2.bias`),
    });
    layer++;
    t = bn(`${pre}.${layer}.1`, conv(`${pre}.${layer}.0`, t, 1, 1), false);
    h = b.residual ? add(t, h) : t;
  }
  const head = `features.${config.stages.length + 1}`;
  h = bn(`${head}.1`, conv(`${head}.0`, h, 1, 1), true);
  return linear(globalAvgPool(h), get('classifier.1.weight'), get('classifier.1.bias'));
}

export function efficientNetLoss(config: EfficientNetConfig, p: ReadonlyMap<string, RefTensor>, x: RefTensor, targets: RefTensor): number {
  return bceWithLogits(efficientNetForward(config, p, x), targets);
}

// The peer's network: tfjs-layers EfficientNet built from OUR config (models/efficientnet-config),
// so both sides run the same blocks, widths, SE squeeze and head; random weights, so the
// same shapes and FLOPs. Left out, as in tfjs: stochastic depth (it changes no FLOPs worth
// noting). tfjs's 'same' padding puts the odd pixel after, ours is symmetric: same cost.
import type * as tfl from '@tensorflow/tfjs-layers';
import type { EfficientNetConfig } from '../models/efficientnet-config.js';

type Layers = typeof tfl;
type Sym = tfl.SymbolicTensor;

export function buildPeerEfficientNet(L: Layers, config: EfficientNetConfig, size: number): tfl.LayersModel {
  const l = L.layers;
  let n = 0;
  const name = (s: string) => `${s}_${n++}`;
  const apply = (layer: tfl.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
  // Keras momentum is the running stats' keep rate; PyTorch's is the update rate.
  const bn = (x: Sym) =>
    apply(l.batchNormalization({ axis: -1, epsilon: config.bn.eps, momentum: 1 - config.bn.momentum, name: name('bn') }), x);
  const act = (x: Sym, a: 'swish' | 'sigmoid') => apply(l.activation({ activation: a, name: name(a) }), x);
  const conv = (x: Sym, filters: number, k: number, strides = 1, useBias = false) =>
    apply(l.conv2d({ filters, kernelSize: k, strides, padding: 'same', useBias, name: name('conv') }), x);

  const input = L.input({ shape: [size, size, config.inChannels], name: 'image' });
  let x = act(bn(conv(input, config.stemChannels, config.stemKernel, config.stemStride)), 'swish');
  for (const b of config.blocks) {
    const shortcut = x;
    let h = x;
    if (b.expandRatio !== 1) h = act(bn(conv(h, b.expandedChannels, 1)), 'swish');
    h = apply(l.depthwiseConv2d({ kernelSize: b.kernel, strides: b.stride, padding: 'same', useBias: false, name: name('dw') }), h);
    h = act(bn(h), 'swish');
    let se = apply(l.globalAveragePooling2d({ name: name('se_pool') }), h);
    se = apply(l.reshape({ targetShape: [1, 1, b.expandedChannels], name: name('se_shape') }), se);
    se = act(conv(se, b.squeezeChannels, 1, 1, true), 'swish');
    se = act(conv(se, b.expandedChannels, 1, 1, true), 'sigmoid');
    h = apply(l.multiply({ name: name('se_gate') }), [h, se]);
    h = bn(conv(h, b.outChannels, 1));
    if (b.residual) h = apply(l.add({ name: name('skip') }), [h, shortcut]);
    x = h;
  }
  x = act(bn(conv(x, config.headChannels, 1)), 'swish');
  x = apply(l.globalAveragePooling2d({ name: 'head_pool' }), x);
  if (config.scaling.dropout > 0) x = apply(l.dropout({ rate: config.scaling.dropout, name: 'head_dropout' }), x);
  const logits = apply(l.dense({ units: config.numClasses, name: 'logits' }), x);
  return L.model({ inputs: input, outputs: logits, name: `peer_efficientnet_${config.name}` });
}

/** Trainable parameters, to check the peer against parameterCount(config). */
export function peerParameterCount(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + w.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);
}

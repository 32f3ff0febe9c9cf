import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  MODEL_NAMES,
  convPadding,
  efficientNetConfig,
  efficientNetParameters,
  makeDivisible,
  numel,
  parameterCount,
  scaledEfficientNetConfig,
} from '../../models/efficientnet-config.js';
import { sharedFile } from '../helpers/shared-data.js';

const TORCHVISION_COUNTS: Record<string, number> = {
  b0: 5_288_548,
  b1: 7_794_184,
  b2: 9_109_994,
  b3: 12_233_232,
  b4: 19_341_616,
  b5: 30_389_784,
  b6: 43_040_704,
  b7: 66_347_960,
};

describe('EfficientNet compound scaling', () => {
  it.each(MODEL_NAMES)('%s has torchvision’s published parameter count', (m) => {
    expect(parameterCount(efficientNetConfig(m, { numClasses: 1000, inChannels: 3 }))).toBe(TORCHVISION_COUNTS[m]);
  });

  it('rounds channels like torchvision _make_divisible', () => {
    expect(makeDivisible(32 * 1.1)).toBe(32);
    expect(makeDivisible(40 * 1.1)).toBe(48);
    expect(makeDivisible(112 * 1.1)).toBe(120);
    expect(makeDivisible(10)).toBe(16); // 8 would lose more than 10%
    expect(makeDivisible(4)).toBe(8); // never below the divisor
  });

  it('scales B7 as torchvision does', () => {
    const c = efficientNetConfig('b7');
    expect(c.stemChannels).toBe(64);
    expect(c.stages.map((s) => s.outChannels)).toEqual([32, 48, 80, 160, 224, 384, 640]);
    expect(c.stages.map((s) => s.repeats)).toEqual([4, 7, 7, 10, 10, 13, 4]);
    expect(c.headChannels).toBe(2560);
    expect(c.scaling.resolution).toBe(600);
    expect(c.scaling.dropout).toBe(0.5);
  });

  it('builds B0 blocks: strides, SE width from block input, residuals, stochastic depth', () => {
    const c = efficientNetConfig('b0');
    expect(c.blocks).toHaveLength(16);
    const b = c.blocks[1]; // first block of stage 2
    expect(b).toMatchObject({ stage: 1, index: 0, inChannels: 16, expandedChannels: 96, outChannels: 24, stride: 2, squeezeChannels: 4, residual: false });
    expect(c.blocks[2]).toMatchObject({ stride: 1, inChannels: 24, squeezeChannels: 6, residual: true });
    expect(c.blocks[0].squeezeChannels).toBe(8);
    expect(c.blocks.map((x) => x.stochasticDepthProb)).toEqual(c.blocks.map((_, i) => (0.2 * i) / 16));
    expect(c.blocks[15].stochasticDepthProb).toBeLessThan(0.2);
  });

  it('applies options and BN presets, and refuses bad ones', () => {
    const c = efficientNetConfig('b0', { inChannels: 4, numClasses: 19, padding: 'same', bn: 'lukemelas' });
    expect(c.bn).toEqual({ preset: 'lukemelas', eps: 1e-3, momentum: 0.01 });
    expect(efficientNetConfig('B0').bn).toEqual({ preset: 'torchvision', eps: 1e-5, momentum: 0.1 });
    const params = efficientNetParameters(c);
    expect(params[0]).toMatchObject({ name: 'features.0.0.weight', shape: [3, 3, 4, 32], torchShape: [32, 4, 3, 3] });
    expect(params.at(-2)).toMatchObject({ name: 'classifier.1.weight', shape: [1280, 19], torchShape: [19, 1280], layout: 'linear' });
    // 19 classes and a 4th input channel: 981 fewer classifier rows, 32*9 more stem weights.
    expect(parameterCount(c)).toBe(5_288_548 - 981 * 1281 + 32 * 9);
    expect(() => efficientNetConfig('b8')).toThrow(/unknown model 'b8'/);
    expect(() => efficientNetConfig('b0', { inChannels: 2 })).toThrow(/inChannels must be 3 or 4/);
    expect(() => efficientNetConfig('b0', { numClasses: 0 })).toThrow(/numClasses must be a positive integer/);
  });

  it('makes tiny variants for tests', () => {
    const c = scaledEfficientNetConfig({ width: 0.25, depth: 0.25, resolution: 32, dropout: 0.2 }, { numClasses: 19 });
    expect(c.stemChannels).toBe(8);
    expect(c.blocks).toHaveLength(7);
    expect(c.stages.map((s) => s.outChannels)).toEqual([8, 8, 16, 24, 32, 48, 80]);
    expect(c.headChannels).toBe(320);
    expect(parameterCount(c)).toBe(129_711);
    // Three stages: small enough for float64 finite differences over every weight.
    const t = scaledEfficientNetConfig({ width: 0.25, depth: 0.25, resolution: 16, dropout: 0 }, { numClasses: 19, stages: 3 });
    expect(t.stages.map((s) => s.outChannels)).toEqual([8, 8, 16]);
    expect(t.headChannels).toBe(64);
    expect(efficientNetParameters(t).at(-3)?.name).toBe('features.4.1.running_var');
    // stem 232, blocks 210 + 1650 + 2818, head 1152, classifier 1235 (counted by hand)
    expect(parameterCount(t)).toBe(7297);
    expect(() => scaledEfficientNetConfig(t.scaling, { stages: 8 })).toThrow(/stages must be 1..7/);
  });

  it('lists our layouts: HWIO convs, [KH,KW,C] depthwise, [in,out] linear, running stats untrained', () => {
    const params = efficientNetParameters(efficientNetConfig('b0'));
    const byName = new Map(params.map((p) => [p.name, p]));
    expect(byName.get('features.1.0.block.0.0.weight')).toMatchObject({ shape: [3, 3, 32], layout: 'depthwise' });
    expect(byName.get('features.1.0.block.1.fc1.weight')).toMatchObject({ shape: [1, 1, 32, 8], layout: 'conv' });
    expect(byName.get('features.2.0.block.0.0.weight')).toMatchObject({ shape: [1, 1, 16, 96], torchShape: [96, 16, 1, 1] });
    expect(byName.get('features.3.0.block.1.0.weight')).toMatchObject({ shape: [5, 5, 144], torchShape: [144, 1, 5, 5] });
    expect(byName.get('features.8.1.running_var')).toMatchObject({ kind: 'running_var', trainable: false });
    expect(byName.get('features.8.1.weight')).toMatchObject({ kind: 'bn_weight', trainable: true });
    for (const p of params) expect(numel(p.shape)).toBe(numel(p.torchShape));
  });

  const reference = sharedFile('reference/efficientnet_b0_keys.tsv');
  const tsv = reference.path;
  it.skipIf(!reference.present)(reference.title('names and shapes equal torchvision’s B0 state_dict (reference tsv)'), () => {
    const rows = readFileSync(tsv, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    const expected = rows.filter((r) => !r[0].endsWith('num_batches_tracked')).map((r) => [r[0], r[3]]);
    const ours = efficientNetParameters(efficientNetConfig('b0')).map((p) => [p.name, JSON.stringify(p.torchShape).replace(/,/g, ', ')]);
    expect(ours).toEqual(expected);
  });
});

describe('convPadding', () => {
  it('symmetric is (k-1)/2 each side', () => {
    expect(convPadding('symmetric', 224, 3, 2)).toEqual({ before: 1, after: 1, outSize: 112 });
    expect(convPadding('symmetric', 15, 5, 1)).toEqual({ before: 2, after: 2, outSize: 15 });
  });
  it("'same' follows TensorFlow: odd pixel after, output ceil(in/stride)", () => {
    expect(convPadding('same', 224, 3, 2)).toEqual({ before: 0, after: 1, outSize: 112 });
    expect(convPadding('same', 225, 3, 2)).toEqual({ before: 1, after: 1, outSize: 113 });
    expect(convPadding('same', 14, 5, 2)).toEqual({ before: 1, after: 2, outSize: 7 });
    expect(convPadding('same', 7, 1, 1)).toEqual({ before: 0, after: 0, outSize: 7 });
  });
});

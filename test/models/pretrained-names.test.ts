import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../engine/random.js';
import {
  MODEL_NAMES,
  efficientNetConfig,
  efficientNetParameters,
  numel,
  scaledEfficientNetConfig,
  type EfficientNetConfig,
  type ParamSpec,
} from '../../models/efficientnet-config.js';
import {
  NAMINGS,
  detectNaming,
  importPretrained,
  pretrainedNameMap,
  type Naming,
  type SourceTensor,
} from '../../models/pretrained-names.js';
import { readSafetensors, writeSafetensors } from '../../models/safetensors.js';
import { sharedFile } from '../helpers/shared-data.js';

const reference = sharedFile('reference/efficientnet_b0_keys.tsv');
const TSV = reference.path;
const COLUMN: Record<Naming, number> = { torchvision: 0, timm: 1, lukemelas: 2 };

const checkpoints = new Map<string, Map<string, SourceTensor>>();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pretrained-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A synthetic ImageNet checkpoint as PyTorch would save it: PyTorch shapes, a 1000-class
 * head, num_batches_tracked, and different random values in every tensor so a weight that
 * lands in the wrong place cannot go unnoticed.
 */
function syntheticCheckpoint(config: EfficientNetConfig, naming: Naming): Map<string, SourceTensor> {
  const key = `${config.name}/${config.stages.length}/${naming}`;
  let cached = checkpoints.get(key);
  if (!cached) {
    const imagenet = scaledEfficientNetConfig(config.scaling, { numClasses: 1000, stages: config.stages.length }, config.name);
    const names = pretrainedNameMap(imagenet, naming);
    cached = new Map<string, SourceTensor>();
    for (const [id, p] of efficientNetParameters(imagenet).entries()) {
      // The integer part names the tensor, the fraction the element.
      const data = Float32Array.from({ length: numel(p.torchShape) }, (_, j) => id + ((j * 0.6180339887) % 1));
      cached.set(names.get(p.name)!, { shape: p.torchShape, data });
      if (p.kind === 'running_var')
        cached.set(names.get(p.name)!.replace(/running_var$/, 'num_batches_tracked'), { shape: [], data: new Float32Array([id]) });
    }
    checkpoints.set(key, cached);
  }
  return new Map(cached); // tests edit their copy
}

/** PyTorch flat index of the element our layout puts at `ourIndex` (written apart from the code under test). */
function torchIndexOf(p: ParamSpec, ourIndex: number): number {
  const t = p.torchShape;
  if (p.layout === 'conv') {
    const [O, I, H, W] = t;
    const o = ourIndex % O;
    const i = Math.floor(ourIndex / O) % I;
    const w = Math.floor(ourIndex / (O * I)) % W;
    const h = Math.floor(ourIndex / (O * I * W));
    return o * I * H * W + i * H * W + h * W + w;
  }
  if (p.layout === 'depthwise') {
    const [C, , H, W] = t;
    const c = ourIndex % C;
    const w = Math.floor(ourIndex / C) % W;
    const h = Math.floor(ourIndex / (C * W));
    return c * H * W + h * W + w;
  }
  if (p.layout === 'linear') {
    const [O, I] = t;
    return (ourIndex % O) * I + Math.floor(ourIndex / O);
  }
  return ourIndex;
}

/** Every non-head tensor of `config` equals the file's tensor of the mapped name, element by element. */
function expectEveryWeightInPlace(
  config: EfficientNetConfig,
  names: ReadonlyMap<string, string>,
  source: ReadonlyMap<string, SourceTensor>,
  imported: Map<string, { shape: number[]; data: Float32Array }>,
): void {
  const specs = efficientNetParameters(config).filter((p) => !p.name.startsWith('classifier.'));
  expect([...imported.keys()].sort()).toEqual(specs.map((p) => p.name).sort());
  for (const p of specs) {
    const got = imported.get(p.name)!;
    const src = source.get(names.get(p.name)!)!;
    expect(got.shape, p.name).toEqual(p.shape);
    const isStem4 = p.name === 'features.0.0.weight' && config.inChannels === 4 && src.shape[1] === 3;
    for (let j = 0; j < got.data.length; j++) {
      let want: number;
      if (isStem4) {
        // ours [KH, KW, 4, O]; the 4th input channel is the mean of the RGB filters.
        const [O, , H, W] = src.shape;
        const o = j % O;
        const i = Math.floor(j / O) % 4;
        const w = Math.floor(j / (O * 4)) % W;
        const h = Math.floor(j / (O * 4 * W));
        const at = (c: number) => src.data[((o * 3 + c) * H + h) * W + w];
        want = i < 3 ? at(i) : Math.fround((at(0) + at(1) + at(2)) / 3);
      } else want = src.data[torchIndexOf(p, j)];
      if (got.data[j] !== want) throw new Error(`${p.name}[${j}]: got ${got.data[j]}, want ${want} (from ${names.get(p.name)})`);
    }
  }
}

describe('pretrained name maps', () => {
  it.skipIf(!reference.present)(reference.title('equal the reference table for B0 under every naming'), () => {
    const rows = readFileSync(TSV, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    const config = efficientNetConfig('b0');
    for (const naming of NAMINGS) {
      const map = pretrainedNameMap(config, naming);
      const fromTsv = rows.filter((r) => !r[0].endsWith('num_batches_tracked')).map((r) => [r[0], r[COLUMN[naming]]]);
      expect([...map.entries()]).toEqual(fromTsv);
    }
  });

  it.each(MODEL_NAMES)('%s: one-to-one, with block indices that follow the stage repeats', (m) => {
    const config = efficientNetConfig(m);
    const total = config.blocks.length;
    for (const naming of NAMINGS) {
      const map = pretrainedNameMap(config, naming);
      expect(new Set(map.values()).size).toBe(map.size);
    }
    const timm = [...pretrainedNameMap(config, 'timm').values()];
    config.stages.forEach((s, i) => {
      expect(timm).toContain(`blocks.${i}.${s.repeats - 1}.conv_dw.weight`);
      expect(timm).not.toContain(`blocks.${i}.${s.repeats}.conv_dw.weight`);
    });
    const luke = [...pretrainedNameMap(config, 'lukemelas').values()];
    expect(luke).toContain(`_blocks.${total - 1}._project_conv.weight`);
    expect(luke).not.toContain(`_blocks.${total}._project_conv.weight`);
  });

  it('derives B4 names by the B0 rules', () => {
    const config = efficientNetConfig('b4'); // repeats 2 4 4 6 6 8 2
    const timm = pretrainedNameMap(config, 'timm');
    const luke = pretrainedNameMap(config, 'lukemelas');
    // stage 1 has two blocks without expansion: timm's depthwise-separable names, both of them
    expect(timm.get('features.1.1.block.0.0.weight')).toBe('blocks.0.1.conv_dw.weight');
    expect(timm.get('features.1.1.block.2.1.running_var')).toBe('blocks.0.1.bn2.running_var');
    expect(luke.get('features.1.1.block.2.0.weight')).toBe('_blocks.1._project_conv.weight');
    expect(timm.get('features.2.3.block.3.0.weight')).toBe('blocks.1.3.conv_pwl.weight');
    expect(luke.get('features.2.3.block.3.0.weight')).toBe('_blocks.5._project_conv.weight');
    expect(luke.get('features.2.3.block.0.1.bias')).toBe('_blocks.5._bn0.bias');
    expect(luke.get('features.7.1.block.1.0.weight')).toBe('_blocks.31._depthwise_conv.weight');
    expect(timm.get('features.8.1.weight')).toBe('bn2.weight');
    expect(luke.get('features.8.0.weight')).toBe('_conv_head.weight');
    expect(luke.get('classifier.1.weight')).toBe('_fc.weight');
  });

  it('detects the naming from the stem, and refuses what it cannot tell', () => {
    expect(detectNaming(['features.0.0.weight', 'x'])).toBe('torchvision');
    expect(detectNaming(['bn1.weight', 'conv_stem.weight'])).toBe('timm');
    expect(detectNaming(['_conv_stem.weight'])).toBe('lukemelas');
    expect(() => detectNaming(['module.conv_stem.weight', 'fc.weight'], 'w.safetensors')).toThrow(
      /^w\.safetensors: not EfficientNet weights under torchvision, timm or lukemelas names: .*first names: module\.conv_stem\.weight, fc\.weight\)$/,
    );
    expect(() => detectNaming(['conv_stem.weight', '_conv_stem.weight'], 'w')).toThrow('w: holds EfficientNet stems under several namings (timm, lukemelas)');
  });
});

describe('importPretrained', () => {
  it.skipIf(!reference.present).each(NAMINGS)(reference.title('B0 under %s names: through a real file, every weight lands where it belongs'), (naming) => {
    // Names and shapes straight from the reference table, not from the code under test.
    const rows = readFileSync(TSV, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    const source = new Map<string, SourceTensor>();
    const names = new Map<string, string>();
    rows.forEach((r, id) => {
      const shape = JSON.parse(r[3]) as number[];
      source.set(r[COLUMN[naming]], { shape, data: Float32Array.from({ length: numel(shape) }, (_, j) => id + ((j * 0.6180339887) % 1)) });
      names.set(r[0], r[COLUMN[naming]]);
    });
    const file = join(dir, `b0-${naming}.safetensors`);
    writeSafetensors(file, source as Map<string, { shape: number[]; data: Float32Array }>);
    const read = readSafetensors(file).tensors;

    const config = efficientNetConfig('b0', { numClasses: 19 });
    const result = importPretrained(read, config, file);
    expect(result.naming).toBe(naming);
    const head = naming === 'torchvision' ? 'classifier.1' : naming === 'timm' ? 'classifier' : '_fc';
    expect(result.dropped).toContain(`${head}.weight`);
    expect(result.dropped).toContain(`${head}.bias`);
    expect(result.dropped).toHaveLength(2 + 49); // the head, and one step counter per BN layer
    expect(result.tensors.has('classifier.1.weight')).toBe(false);
    expectEveryWeightInPlace(config, names, source, result.tensors);
  });

  it.each(['timm', 'lukemelas'] as const)('B1 under %s names (derived rules, two blocks in stage 1)', (naming) => {
    const config = efficientNetConfig('b1', { numClasses: 19 });
    const source = syntheticCheckpoint(config, naming);
    expectEveryWeightInPlace(config, pretrainedNameMap(config, naming), source, importPretrained(source, config).tensors);
  });

  it('4 input channels: the stem gains a 4th filter channel, the mean of the RGB ones', () => {
    const config = efficientNetConfig('b0', { numClasses: 19, inChannels: 4 });
    const source = syntheticCheckpoint(config, 'timm');
    const { tensors } = importPretrained(source, config);
    expect(tensors.get('features.0.0.weight')!.shape).toEqual([3, 3, 4, 32]);
    expectEveryWeightInPlace(config, pretrainedNameMap(config, 'timm'), source, tensors);
  });

  it('4 input channels from a file that already has them: taken as they are', () => {
    const config = scaledEfficientNetConfig({ width: 0.25, depth: 0.25, resolution: 32, dropout: 0.2 }, { inChannels: 4, numClasses: 19, stages: 3 }, 'tiny');
    const source = syntheticCheckpoint(config, 'torchvision');
    const rng = new Rng(99);
    source.set('features.0.0.weight', { shape: [8, 4, 3, 3], data: Float32Array.from({ length: 288 }, () => rng.normal()) });
    expectEveryWeightInPlace(config, pretrainedNameMap(config, 'torchvision'), source, importPretrained(source, config).tensors);
  });

  describe('refusals', () => {
    const config = efficientNetConfig('b0', { numClasses: 19 });

    it('a missing name', () => {
      const source = syntheticCheckpoint(config, 'timm');
      source.delete('blocks.2.1.se.conv_expand.bias');
      expect(() => importPretrained(source, config, 'in.safetensors')).toThrow(
        "in.safetensors: does not match EfficientNet-B0 (timm names): missing tensor 'blocks.2.1.se.conv_expand.bias'",
      );
    });

    it('an unexpected name', () => {
      const source = syntheticCheckpoint(config, 'lukemelas');
      source.set('_blocks.16._bn0.weight', { shape: [8], data: new Float32Array(8) });
      expect(() => importPretrained(source, config, 'in.safetensors')).toThrow(
        "in.safetensors: does not match EfficientNet-B0 (lukemelas names): unexpected tensor '_blocks.16._bn0.weight'",
      );
    });

    it('a permuted block index: missing and unexpected at once', () => {
      const source = syntheticCheckpoint(config, 'timm');
      const t = source.get('blocks.1.1.conv_dw.weight')!;
      source.delete('blocks.1.1.conv_dw.weight');
      source.set('blocks.1.2.conv_dw.weight', t);
      expect(() => importPretrained(source, config, 'p')).toThrow(
        "p: does not match EfficientNet-B0 (timm names): missing tensor 'blocks.1.1.conv_dw.weight'; unexpected tensor 'blocks.1.2.conv_dw.weight'",
      );
    });

    it('two names swapped between tensors: caught by shape', () => {
      const source = syntheticCheckpoint(config, 'torchvision');
      const a = 'features.2.0.block.0.0.weight'; // expand  [96, 16, 1, 1]
      const b = 'features.2.0.block.3.0.weight'; // project [24, 96, 1, 1]
      const ta = source.get(a)!;
      source.set(a, source.get(b)!);
      source.set(b, ta);
      expect(() => importPretrained(source, config, 'swap')).toThrow(
        `swap: tensor '${a}' has shape [24, 96, 1, 1], EfficientNet-B0 (torchvision names) needs [96, 16, 1, 1] for ${a}`,
      );
    });

    it('a wrong shape, a wrong variant, and a shape that lies about its data', () => {
      const source = syntheticCheckpoint(config, 'lukemelas');
      source.set('_bn1.weight', { shape: [1408], data: new Float32Array(1408) });
      expect(() => importPretrained(source, config, 'w')).toThrow(
        "w: tensor '_bn1.weight' has shape [1408], EfficientNet-B0 (lukemelas names) needs [1280] for features.8.1.weight",
      );
      const b1 = syntheticCheckpoint(efficientNetConfig('b1'), 'timm');
      expect(() => importPretrained(b1, config, 'b1.safetensors')).toThrow(/does not match EfficientNet-B0 \(timm names\): unexpected tensor 'blocks\.0\.1\.conv_dw\.weight' \(and \d+ more\)/);
      const lying = syntheticCheckpoint(config, 'timm');
      lying.set('bn2.bias', { shape: [1280], data: new Float32Array(3) });
      expect(() => importPretrained(lying, config, 'l')).toThrow("l: tensor 'bn2.bias' holds 3 values for shape [1280]");
    });

    it('a stem with neither 3 nor the configured channel count', () => {
      const four = efficientNetConfig('b0', { inChannels: 4 });
      const source = syntheticCheckpoint(four, 'timm');
      source.set('conv_stem.weight', { shape: [32, 2, 3, 3], data: new Float32Array(32 * 18) });
      expect(() => importPretrained(source, four, 's')).toThrow("s: tensor 'conv_stem.weight' has shape [32, 2, 3, 3], EfficientNet-B0 (timm names) needs [32, 4, 3, 3]");
    });
  });
});

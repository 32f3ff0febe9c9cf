import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { EfficientNet } from '../../models/efficientnet.js';
import { efficientNetParameters, scaledEfficientNetConfig, type EfficientNetConfig } from '../../models/efficientnet-config.js';
import { initFromPretrained, modelFromCheckpoint, optimizerFromCheckpoint, readCheckpoint, saveCheckpoint } from '../../models/checkpoint.js';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../../models/safetensors.js';
import { toTorchLayout } from '../../models/torch-layout.js';
import { useEngine } from '../helpers/engine.js';
import { adamSteps } from './adam-steps.js';

useEngine();

const tmp = () => mkdtempSync(join(tmpdir(), 'hpa-ckpt-'));

function tiny(o: { classes?: number; inChannels?: number } = {}): EfficientNetConfig {
  return scaledEfficientNetConfig({ width: 0.25, depth: 1, resolution: 16, dropout: 0.2 }, { numClasses: o.classes ?? 19, inChannels: o.inChannels ?? 3, stages: 2 }, 'tiny');
}

async function trainSteps(model: EfficientNet, opt: E.Adam, steps: number, seed = 1): Promise<number[]> {
  const rng = new E.Rng(seed);
  const n = 4;
  const x = E.tensor(Float32Array.from({ length: n * 16 * 16 * model.config.inChannels }, () => rng.normal(0, 1)), [n, 16, 16, model.config.inChannels]);
  const y = E.tensor(Float32Array.from({ length: n * model.config.numClasses }, (_, i) => (i % 3 === 0 ? 1 : 0)), [n, model.config.numClasses]);
  const losses = await adamSteps(model, opt, x, y, steps);
  x.dispose();
  y.dispose();
  return losses;
}

async function values(model: EfficientNet): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [n, t] of model.namedTensors()) out.set(n, await t.data());
  return out;
}

describe('checkpoints', () => {
  it('round trip: weights, BN statistics, Adam moments and steps, dropout RNG; resuming continues exactly', async () => {
    const dir = tmp();
    const file = join(dir, 'last.safetensors');
    const model = new EfficientNet(tiny(), 5);
    const opt = new E.AdamW(Object.fromEntries(model.namedParameters()), { lr: 3e-3, weightDecay: 0.02 });
    await trainSteps(model, opt, 2);
    await saveCheckpoint(file, model, { optimizer: opt, training: { epoch: 3, note: 'x' } });
    expect(readdirSync(dir)).toEqual(['last.safetensors']);

    const ck = readCheckpoint(file);
    expect(ck.training).toEqual({ epoch: 3, note: 'x' });
    expect(ck.spec).toMatchObject({ name: 'tiny', numClasses: 19, inChannels: 3, stages: 2 });
    const resumed = modelFromCheckpoint(ck);
    const ropt = optimizerFromCheckpoint(ck, resumed);
    expect(ropt.decoupled).toBe(true);
    expect(ropt.weightDecay).toBeCloseTo(0.02);
    expect(await values(resumed)).toEqual(await values(model));
    for (const [k, t] of Object.entries(opt.state().tensors)) expect(await ropt.state().tensors[k].data()).toEqual(await t.data());
    expect(ropt.state().steps).toEqual(opt.state().steps);

    // The same two further steps (dropout masks included) on both give identical networks.
    const a = await trainSteps(model, opt, 2, 9);
    const b = await trainSteps(resumed, ropt, 2, 9);
    expect(b).toEqual(a);
    expect(await values(resumed)).toEqual(await values(model));
    for (const m of [model, resumed]) m.dispose();
    for (const o of [opt, ropt]) o.dispose();
  });

  it('stores PyTorch layouts under torchvision names, so torchvision can load the weights', async () => {
    const file = join(tmp(), 'm.safetensors');
    const model = new EfficientNet(tiny({ classes: 7 }), 2);
    await saveCheckpoint(file, model);
    const st = readSafetensors(file);
    const specs = efficientNetParameters(model.config);
    expect([...st.tensors.keys()]).toEqual(specs.map((p) => p.name));
    const stem = model.namedTensors()[0][1];
    const want = toTorchLayout('conv', specs[0].torchShape, await stem.data());
    expect(st.tensors.get('features.0.0.weight')!.shape).toEqual([8, 3, 3, 3]);
    expect(st.tensors.get('features.0.0.weight')!.data).toEqual(want.data);
    expect(st.tensors.get('classifier.1.weight')!.shape).toEqual([7, 32]);
    expect(readCheckpoint(file).optimizer).toBeUndefined();
    expect(() => optimizerFromCheckpoint(readCheckpoint(file), model)).toThrow(/holds no optimizer state/);
    model.dispose();
  });

  it('refuses files that are not checkpoints of this network, naming file and tensor', async () => {
    const dir = tmp();
    const good = join(dir, 'good.safetensors');
    const model = new EfficientNet(tiny(), 2);
    await saveCheckpoint(good, model);
    const st = readSafetensors(good);
    const rewrite = (name: string, edit: (m: Map<string, TensorToWrite>, md: Record<string, string>) => void): string => {
      const m = new Map<string, TensorToWrite>([...st.tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data }]));
      const md = { ...st.metadata };
      edit(m, md);
      const f = join(dir, name);
      writeSafetensors(f, m, md);
      return f;
    };
    const plain = rewrite('plain.safetensors', (_, md) => delete md.format);
    expect(() => readCheckpoint(plain)).toThrow(/plain.safetensors: not an hpa-engine checkpoint/);
    const shape = rewrite('shape.safetensors', (m) => m.set('features.0.1.weight', { shape: [4, 2], data: new Float32Array(8) }));
    expect(() => readCheckpoint(shape)).toThrow(/shape.safetensors: tensor 'features.0.1.weight' has shape \[4, 2\], the model needs \[8\]/);
    const missing = rewrite('missing.safetensors', (m) => m.delete('classifier.1.bias'));
    expect(() => readCheckpoint(missing)).toThrow(/missing tensor 'classifier.1.bias'/);
    const extra = rewrite('extra.safetensors', (m) => m.set('features.9.weight', { shape: [1], data: new Float32Array(1) }));
    expect(() => readCheckpoint(extra)).toThrow(/unexpected tensor 'features.9.weight'/);
    const config = rewrite('config.safetensors', (_, md) => (md.model = '{"name": "tiny"'));
    expect(() => readCheckpoint(config)).toThrow(/metadata 'model' is not valid JSON/);
    const torn = join(dir, 'torn.safetensors');
    writeFileSync(torn, readFileSync(good).subarray(0, 200));
    expect(() => readCheckpoint(torn)).toThrow(/torn.safetensors/);
    model.dispose();
  });

  it('--init: pretrained torchvision weights land in every layer but the head; a 4th input channel gets the RGB mean', async () => {
    const dir = tmp();
    const src = tiny({ classes: 1000 });
    const specs = efficientNetParameters(src);
    const rng = new E.Rng(4);
    const tensors = new Map<string, TensorToWrite>(
      specs.map((p) => [p.name, { shape: p.torchShape, data: Float32Array.from({ length: p.torchShape.reduce((a, b) => a * b, 1) }, () => rng.normal(0, 1)) }]),
    );
    const file = join(dir, 'imagenet.safetensors');
    writeSafetensors(file, tensors);

    const model = new EfficientNet(tiny({ classes: 19, inChannels: 4 }), 1);
    const headBefore = await model.namedTensors().find(([n]) => n === 'classifier.1.weight')![1].data();
    expect(initFromPretrained(model, file)).toBe('torchvision');
    const ours = new Map(model.namedTensors());
    // A depthwise weight, converted from [C, 1, K, K] to [K, K, C].
    const dwName = 'features.1.0.block.0.0.weight';
    const dwSpec = specs.find((p) => p.name === dwName)!;
    expect(toTorchLayout('depthwise', dwSpec.torchShape, await ours.get(dwName)!.data()).data).toEqual(tensors.get(dwName)!.data);
    expect(await ours.get('features.2.0.block.3.1.running_var')!.data()).toEqual(tensors.get('features.2.0.block.3.1.running_var')!.data);
    // Stem: OIHW [8, 3, 3, 3] in the file, HWIO [3, 3, 4, 8] here; channel 3 = mean of 0..2.
    const stem = await ours.get('features.0.0.weight')!.data();
    const srcStem = tensors.get('features.0.0.weight')!.data;
    for (const [o, h, w] of [[0, 0, 0], [7, 2, 1], [3, 1, 2]]) {
      const at = (i: number) => stem[((h * 3 + w) * 4 + i) * 8 + o];
      const theirs = (i: number) => srcStem[((o * 3 + i) * 3 + h) * 3 + w];
      for (let i = 0; i < 3; i++) expect(at(i)).toBe(theirs(i));
      expect(at(3)).toBeCloseTo((theirs(0) + theirs(1) + theirs(2)) / 3, 6);
    }
    expect(await ours.get('classifier.1.weight')!.data()).toEqual(headBefore);
    model.dispose();
  });
});

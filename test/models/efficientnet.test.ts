import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { EfficientNet } from '../../models/efficientnet.js';
import { efficientNetConfig, efficientNetParameters, parameterCount, scaledEfficientNetConfig, type EfficientNetConfig, type Padding } from '../../models/efficientnet-config.js';
import { useEngine } from '../helpers/engine.js';
import { adamSteps } from './adam-steps.js';
import { efficientNetLoss } from '../reference/efficientnet.js';
import { T, type RefTensor } from '../reference/tensor.js';

useEngine();

/** Width 0.25 and two or three stages: residual blocks, expansion, SE, stride 2, k3 and k5,
 * all in a few thousand parameters. */
function tinyConfig(o: { padding?: Padding; stages?: number; inChannels?: number; classes?: number; dropout?: number } = {}): EfficientNetConfig {
  return scaledEfficientNetConfig(
    { width: 0.25, depth: 1, resolution: 16, dropout: o.dropout ?? 0 },
    { numClasses: o.classes ?? 5, inChannels: o.inChannels ?? 3, padding: o.padding, stages: o.stages ?? 3 },
    'tiny',
  );
}

function randomInput(rng: E.Rng, n: number, size: number, c: number): Float32Array {
  return Float32Array.from({ length: n * size * size * c }, () => rng.normal(0, 1));
}

function targetsFor(n: number, k: number, seed: number): Float32Array {
  return Float32Array.from({ length: n * k }, (_, i) => ((i * 7 + seed) % 3 === 0 ? 1 : 0));
}

describe('EfficientNet module tree', () => {
  it('B0 holds exactly torchvision\'s state_dict: every name in order, our layouts, 5,288,548 parameters', () => {
    const config = efficientNetConfig('b0');
    const model = new EfficientNet(config, 1);
    const ours = model.namedTensors().map(([n, t]) => `${n} ${t.shape.join('x')}`);
    const spec = efficientNetParameters(config).map((p) => `${p.name} ${p.shape.join('x')}`);
    expect(ours).toEqual(spec);
    const trainable = model.namedParameters().reduce((s, [, t]) => s + t.size, 0);
    expect(trainable).toBe(5288548);
    expect(trainable).toBe(parameterCount(config));
    model.dispose();
  });

  it('initialises as torchvision does: kaiming-normal fan-out convs, BN 1/0, uniform classifier, zero biases', async () => {
    const config = tinyConfig({ classes: 7 });
    const model = new EfficientNet(config, 3);
    const t = new Map(model.namedTensors());
    const stats = async (name: string) => {
      const d = await t.get(name)!.data();
      const mean = d.reduce((a, b) => a + b, 0) / d.length;
      const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
      return { mean, std, min: Math.min(...d), max: Math.max(...d), n: d.length };
    };
    const head = await stats(`features.${config.stages.length + 1}.0.weight`);
    expect(head.std).toBeGreaterThan(0.85 * Math.sqrt(2 / config.headChannels));
    expect(head.std).toBeLessThan(1.15 * Math.sqrt(2 / config.headChannels));
    const cls = await stats('classifier.1.weight');
    expect(cls.max).toBeLessThanOrEqual(1 / Math.sqrt(7));
    expect(cls.min).toBeGreaterThanOrEqual(-1 / Math.sqrt(7));
    expect(cls.std).toBeGreaterThan(0.8 * (1 / Math.sqrt(7)) / Math.sqrt(3));
    expect(Array.from(await t.get('features.0.1.weight')!.data()).every((v) => v === 1)).toBe(true);
    expect(Array.from(await t.get('features.0.1.running_var')!.data()).every((v) => v === 1)).toBe(true);
    for (const n of ['features.0.1.bias', 'features.0.1.running_mean', 'classifier.1.bias', 'features.1.0.block.1.fc1.bias'])
      expect(Array.from(await t.get(n)!.data()).every((v) => v === 0)).toBe(true);
    // The same seed builds the same network.
    const again = new EfficientNet(config, 3);
    expect(await again.namedTensors()[0][1].data()).toEqual(await model.namedTensors()[0][1].data());
    model.dispose();
    again.dispose();
  });

  it("freshClassifier redraws the head as a new nn.Linear(in, classes): U(+-1/sqrt(in)), seeded, bias 0, nothing else touched", async () => {
    const config = tinyConfig({ classes: 7 });
    const model = new EfficientNet(config, 3);
    const before = new Map(await Promise.all(model.namedTensors().map(async ([n, t]) => [n, await t.data()] as const)));
    model.freshClassifier(11);
    const w = await new Map(model.namedTensors()).get('classifier.1.weight')!.data();
    const r = 1 / Math.sqrt(config.headChannels);
    expect(Math.max(...w)).toBeLessThanOrEqual(r);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-r);
    const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.8 * (r / Math.sqrt(3)));
    // narrower than torchvision's 1/sqrt(classes) whenever in > classes, as for B0's 1280 -> 19
    expect(std).toBeLessThan(0.5 * (1 / Math.sqrt(7)) / Math.sqrt(3));
    for (const [n, t] of model.namedTensors()) if (n !== 'classifier.1.weight') expect(await t.data()).toEqual(before.get(n));
    const again = new EfficientNet(config, 3);
    again.freshClassifier(11);
    expect(await new Map(again.namedTensors()).get('classifier.1.weight')!.data()).toEqual(w);
    again.freshClassifier(12);
    expect(await new Map(again.namedTensors()).get('classifier.1.weight')!.data()).not.toEqual(w);
    model.dispose();
    again.dispose();
  });

  it('refuses input with the wrong channel count, naming the model and the shape', () => {
    const model = new EfficientNet(tinyConfig({ inChannels: 4 }), 0);
    const x = E.zeros([1, 16, 16, 3]);
    expect(() => model.forward(x)).toThrow(/EfficientNet-TINY: input .*\[1,16,16,3\] must be NHWC with 4 channels/);
    x.dispose();
    model.dispose();
  });
});

describe('EfficientNet end to end', () => {
  for (const padding of ['symmetric', 'same'] as const) {
    it(`gradcheck, loss = BCE-with-logits, ${padding} padding: every parameter tensor against float64 central differences`, async () => {
      const config = tinyConfig({ padding, inChannels: 4 });
      // Stochastic depth off so the float64 reference sees the same network.
      for (const b of config.blocks) b.stochasticDepthProb = 0;
      const model = new EfficientNet(config, 11);
      const rng = new E.Rng(5);
      const [N, S, K] = [2, 9, config.numClasses];
      const xData = randomInput(rng, N, S, 4);
      const yData = targetsFor(N, K, 1);
      const x = E.tensor(xData, [N, S, S, 4]);
      const y = E.tensor(yData, [N, K]);
      const loss = model.forward(x);
      const l = E.bceWithLogits(loss, y);
      E.backward(l);

      const params = new Map<string, RefTensor>();
      for (const [name, t] of model.namedTensors()) params.set(name, T(t.shape, Float64Array.from(await t.data())));
      // Running statistics moved during the forward; training BN does not read them.
      const xr = T([N, S, S, 4], Float64Array.from(xData));
      const yr = T([N, K], Float64Array.from(yData));
      const f = () => efficientNetLoss(config, params, xr, yr);
      expect(await l.item()).toBeCloseTo(f(), 4);

      const eps = 1e-4;
      let checked = 0;
      for (const [name, t] of model.namedParameters()) {
        const g = await t.grad!.data();
        const p = params.get(name)!;
        // A floor for gradients that are zero in exact arithmetic (a bias that a later
        // training-mode BN cancels) and only float32 noise on the GPU.
        const scale = Math.max(Math.sqrt(g.reduce((a, v) => a + v * v, 0) / g.length), 1e-5);
        // Three coordinates per tensor: the first, the last and one in between.
        for (const i of new Set([0, p.data.length - 1, Math.floor(p.data.length / 2)])) {
          const orig = p.data[i];
          p.data[i] = orig + eps;
          const plus = f();
          p.data[i] = orig - eps;
          const minus = f();
          p.data[i] = orig;
          const numeric = (plus - minus) / (2 * eps);
          const err = Math.abs(g[i] - numeric) / Math.max(Math.abs(numeric), scale);
          if (err > 2e-2) throw new Error(`${name}[${i}]: GPU ${g[i]} vs numeric ${numeric} (relative error ${err.toExponential(2)})`);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(100);
      for (const t of [x, y, loss, l]) t.dispose();
      model.dispose();
    });
  }

  it('train mode uses batch statistics and moves the running ones; eval mode is deterministic and uses them', async () => {
    const config = tinyConfig({ stages: 2, dropout: 0.5 });
    const model = new EfficientNet(config, 2);
    const rng = new E.Rng(9);
    const x = E.tensor(randomInput(rng, 2, 16, 3), [2, 16, 16, 3]);
    const rm = model.namedTensors().find(([n]) => n === 'features.0.1.running_mean')![1];
    const before = await rm.data();
    const run = async () => {
      const out = E.noGrad(() => model.forward(x));
      const d = await out.data();
      out.dispose();
      return d;
    };
    const t1 = await run();
    const after = await rm.data();
    expect(after).not.toEqual(before);
    const t2 = await run();
    // Dropout and drop-connect masks differ between two training forwards.
    expect(t2).not.toEqual(t1);
    model.eval();
    const e1 = await run();
    expect(await rm.data()).toEqual(await rm.data());
    const frozen = await rm.data();
    const e2 = await run();
    expect(e2).toEqual(e1);
    expect(await rm.data()).toEqual(frozen);
    model.train();
    expect(model.training).toBe(true);
    x.dispose();
    model.dispose();
  });

  it('overfits 8 fixed images: 30 Adam steps at least halve the loss', async () => {
    const config = tinyConfig({ stages: 3, classes: 19, dropout: 0.2 });
    const model = new EfficientNet(config, 4);
    const rng = new E.Rng(21);
    const x = E.tensor(randomInput(rng, 8, 32, 3), [8, 32, 32, 3]);
    const y = E.tensor(targetsFor(8, 19, 2), [8, 19]);
    const opt = new E.Adam(Object.fromEntries(model.namedParameters()), { lr: 1e-2 });
    const losses = await adamSteps(model, opt, x, y, 30);
    expect(losses[29]).toBeLessThan(losses[0] / 2);
    opt.dispose();
    for (const t of [x, y]) t.dispose();
    model.dispose();
  });
});

import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { EfficientNet } from '../../models/efficientnet.js';
import { scaledEfficientNetConfig } from '../../models/efficientnet-config.js';
import { TrainStep } from '../../pipeline/train/steps.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

/** Counts the bytes of every GPU buffer the device holds from now on (created, not yet destroyed) and their high-water mark. */
function trackDeviceBytes(device: GPUDevice) {
  const create = device.createBuffer.bind(device);
  const t = { live: 0, peak: 0, restore: () => void (device.createBuffer = create) };
  device.createBuffer = (d: GPUBufferDescriptor) => {
    const b = create(d);
    const destroy = b.destroy.bind(b);
    let gone = false;
    t.live += b.size;
    t.peak = Math.max(t.peak, t.live);
    b.destroy = () => {
      if (!gone) t.live -= b.size;
      gone = true;
      destroy();
    };
    return b;
  };
  return t;
}

describe('the capture of a training step', () => {
  it("holds the eager step's peak once: the pool's idle buffers go before the program's planned buffers are made", async () => {
    const N = 4;
    const S = 16;
    const K = 5;
    const config = scaledEfficientNetConfig({ width: 0.25, depth: 1, resolution: S, dropout: 0.2 }, { numClasses: K, stages: 3 }, 'tiny');
    const rt = E.runtime();
    rt.flush();
    rt.pool.trim();
    const bytes = trackDeviceBytes(rt.device);
    try {
      const model = new EfficientNet(config, 7);
      const opt = new E.Adam(Object.fromEntries(model.namedParameters()), { lr: 1e-3 });
      const step = new TrainStep(model, opt, {});
      const rng = new E.Rng(1);
      const x = Float32Array.from({ length: N * S * S * 3 }, () => rng.normal(0, 1));
      const y = Float32Array.from({ length: N * K }, (_, i) => i % 2);
      const run = async () => {
        bytes.peak = bytes.live;
        const start = bytes.live;
        await step.run(x, [N, S, S, 3], y, [N, K]);
        return { start, peak: bytes.peak, end: bytes.live };
      };
      const eager = await run();
      const capture = await run();
      expect(step.counts).toMatchObject({ eager: 1, captures: 1 });
      const planned = step.program!.memory.planned;
      // The capture's own buffers besides the plan: constants, the seed table, one uniform buffer.
      const slack = 64 << 10;
      expect(planned).toBeGreaterThan(slack);
      expect(capture.peak - eager.start).toBeLessThanOrEqual(eager.peak - eager.start + slack);
      const replay = await run();
      expect(replay.peak).toBe(replay.start);
      step.dispose();
      opt.dispose();
      model.dispose();
    } finally {
      bytes.restore();
    }
  });
});

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../models/safetensors.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { TRAIN_DEFAULTS, type TrainOptions } from '../../pipeline/train/options.js';
import { readMetricsCsv } from '../../pipeline/train/run-log.js';
import { BEST, LAST, trainRun } from '../../pipeline/train/run.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

let data: string;
const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const lines: string[] = [];

beforeAll(() => {
  data = join(mkdtempSync(join(tmpdir(), 'hpa-train-')), 'data');
  writeSynthDataset(data, { images: 12, size: 64, seed: 3 });
});

// B0 at 32x32: the real network, small enough for a test.
function options(out: string, o: Partial<TrainOptions> = {}): TrainOptions {
  return { ...TRAIN_DEFAULTS, data, out, size: 32, resize: 32, batch: 4, epochs: 2, cache: false, workers: 0, ...o };
}

const run = (o: Parameters<typeof trainRun>[0]) => trainRun({ log: (l) => { lines.push(l); if (process.env.TRACE) console.log((performance.now() / 1000).toFixed(2), l.slice(0, 50)); }, progressStream: quiet, ...o });

async function weights(file: string): Promise<Map<string, Float32Array>> {
  return new Map([...readSafetensors(file).tensors].map(([k, t]) => [k, t.data]));
}

describe('train', () => {
  it('trains, logs a metrics row per epoch, writes last/best checkpoints with optimizer state and the curves', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hpa-run-')), 'run');
    const r = await run({ options: options(out, { cache: join(out, 'cache') }) });
    expect(r.stopped).toBe(false);
    expect(r.rows.map((row) => row.epoch)).toEqual([1, 2]);
    const csv = readMetricsCsv(out);
    expect(csv).toHaveLength(2);
    expect(csv[1].val!.images).toBeNaN(); // not stored in the csv
    expect(csv[0].train.loss).toBeGreaterThan(0);
    for (const f of [LAST, BEST, 'curves.png', 'metrics.csv']) expect(existsSync(join(out, f))).toBe(true);
    const st = readSafetensors(join(out, LAST));
    expect([...st.tensors.keys()].some((k) => k.startsWith('optimizer.') && k.endsWith('.exp_avg_sq'))).toBe(true);
    expect(JSON.parse(st.metadata.training).progress).toMatchObject({ epoch: 2, batch: 0 });
    await expect(run({ options: options(out) })).rejects.toThrow(/already holds a run \(/);
  });

  it('Ctrl-C stops after the batch with a checkpoint, and --resume continues exactly as if never stopped', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hpa-resume-'));
    const straight = join(base, 'straight');
    await run({ options: options(straight) });

    const stopped = join(base, 'stopped');
    const first = await run({
      options: options(stopped),
      onBatch: (epoch, batch) => {
        if (epoch === 0 && batch === 1) process.emit('SIGINT');
      },
    });
    expect(first.stopped).toBe(true);
    expect(lines.some((l) => l.includes('stopped in epoch 1 after batch 1'))).toBe(true);
    expect(JSON.parse(readSafetensors(join(stopped, LAST)).metadata.training).progress).toMatchObject({ epoch: 0, batch: 1 });
    const second = await run({ resume: stopped });
    expect(second.stopped).toBe(false);
    expect(readMetricsCsv(stopped).map((r) => r.epoch)).toEqual([1, 2]);
    const a = await weights(join(straight, LAST));
    const b = await weights(join(stopped, LAST));
    expect([...b.keys()]).toEqual([...a.keys()]);
    // Bitwise equal (a byte compare: deep equality over 16M floats is slow).
    const bytes = (f: Float32Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength);
    const differ = [...a].filter(([k, v]) => !bytes(v).equals(bytes(b.get(k)!))).map(([k]) => k);
    expect(differ).toEqual([]);
    expect(readMetricsCsv(stopped)[1].train.loss).toBeCloseTo(readMetricsCsv(straight)[1].train.loss, 5);
  });

  it('warmup-cosine and pos_weight: the rate follows the step (metrics.csv), the weights are logged, and a stopped run resumes bitwise as if never stopped', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hpa-sched-'));
    const o = { schedule: 'warmup-cosine' as const, posWeight: 'sqrt' as const, lr: 2e-3 };
    const straight = join(base, 'straight');
    lines.length = 0;
    await run({ options: options(straight, o) });
    expect(lines.some((l) => /^pos_weight \(sqrt, from the 9 training images\): (\d+\.\d\d ){18}\d+\.\d\d$/.test(l))).toBe(true);
    // 9 training images in batches of 4: 2 steps an epoch, 4 in all; 1 warm-up step, then the
    // cosine over steps 1..3: an epoch's rate is its last step's, 2e-3 then 2e-3 * (1 + cos(2pi/3)) / 2.
    const rates = readMetricsCsv(straight).map((r) => r.lr);
    expect(rates[0]).toBeCloseTo(2e-3, 9);
    expect(rates[1]).toBeCloseTo(0.5e-3, 9);
    const stopped = join(base, 'stopped');
    const first = await run({ options: options(stopped, o), onBatch: (epoch, batch) => epoch === 1 && batch === 1 && void process.emit('SIGINT') });
    expect(first.stopped).toBe(true);
    await run({ resume: stopped });
    const a = await weights(join(straight, LAST));
    const b = await weights(join(stopped, LAST));
    const bytes = (f: Float32Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength);
    expect([...a].filter(([k, v]) => !bytes(v).equals(bytes(b.get(k)!))).map(([k]) => k)).toEqual([]);
    // the validation loss is the weighted objective: not the plain run's
    const plain = join(base, 'plain');
    await run({ options: options(plain, { lr: 2e-3 }) });
    expect(readMetricsCsv(plain)[0].val!.loss).not.toBeCloseTo(readMetricsCsv(straight)[0].val!.loss, 3);
  });

  it('a non-finite loss stops the run naming the step, and keeps the last good checkpoint', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hpa-nan-')), 'run');
    const err = await run({ options: options(out, { lr: 1e30, epochs: 3 }) }).catch((e: Error) => e);
    expect(String(err)).toMatch(/epoch (\d), batch \d \(step \d+\): the training loss is (NaN|Infinity|-Infinity); stopped without saving/);
    const epoch = Number(/epoch (\d)/.exec(String(err))![1]);
    // The last checkpoint is that of the epoch before, written before anything went wrong.
    if (epoch === 1) expect(existsSync(join(out, LAST))).toBe(false);
    else expect(JSON.parse(readSafetensors(join(out, LAST)).metadata.training).progress.epoch).toBe(epoch - 1);
  });

  it('refuses a test-layout folder and a blend EfficientNet cannot take', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hpa-bad-')), 'run');
    await expect(run({ options: options(out, { blend: 'green,blue' }) })).rejects.toThrow(/blend green,blue: EfficientNet takes 3 or 4 channels, the blend has 2/);
    await expect(run({ resume: out })).rejects.toThrow(/last.safetensors: not found \(nothing to resume/);
  });
});

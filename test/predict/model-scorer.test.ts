import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { EfficientNet } from '../../models/efficientnet.js';
import { efficientNetConfig } from '../../models/efficientnet-config.js';
import { saveCheckpoint } from '../../models/checkpoint.js';
import { openDataset } from '../../pipeline/dataset.js';
import { readSubmission } from '../../pipeline/submission.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { scorerFromCheckpoint } from '../../pipeline/predict/model-scorer.js';
import { predictDataset } from '../../pipeline/predict/predict.js';
import { TRAIN_DEFAULTS } from '../../pipeline/train/options.js';
import { BEST, trainRun } from '../../pipeline/train/run.js';
import { useEngine } from '../helpers/engine.js';
import { initEngine } from '../../engine/index.js';
import { cli } from '../cli/run-cli.js';

useEngine();

let base: string;
let data: string;
let best: string;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'hpa-predict-model-'));
  data = join(base, 'data');
  writeSynthDataset(data, { images: 6, size: 96, seed: 8 });
  const out = join(base, 'run');
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  await trainRun({ options: { ...TRAIN_DEFAULTS, data, out, size: 32, resize: 40, batch: 4, epochs: 1, cache: false, workers: 0 }, log: () => {}, progressStream: quiet });
  best = join(out, BEST);
});

describe('predict with trained checkpoints', () => {
  it('reads the model and its input settings from the checkpoint, and writes a row per field', async () => {
    const image = scorerFromCheckpoint(best, 4);
    const tile = scorerFromCheckpoint(best, 4);
    expect(image).toMatchObject({ blend: ['red', 'green', 'blue'], resize: 40, crop: 32 });
    expect(image.model.training).toBe(false);
    const out = join(base, 'predicted');
    const r = await predictDataset({ data, out, image, tile, tileOptions: { size: 64 }, log: () => {} });
    expect(r.rows).toBe(6);
    expect(r.cells).toBeGreaterThan(6);
    const rows = readSubmission(r.submission);
    expect(rows.map((row) => row.id)).toEqual(openDataset(data).items.map((it) => it.id));
    expect(rows.every((row) => row.predictions.every((p) => p.confidence >= 0 && p.confidence <= 1))).toBe(true);
    expect(existsSync(r.scores)).toBe(true);
    // The same input twice gives the same scores (eval mode: running statistics, no dropout).
    const x = new Float32Array(2 * 32 * 32 * 3).map((_, i) => Math.sin(i));
    expect(await image.score(x, 2)).toEqual(await image.score(x, 2));
    image.dispose();
    tile.dispose();
  });

  it('refuses checkpoints that do not fit: wrong class count, no training record, blend vs channels', async () => {
    const model = new EfficientNet(efficientNetConfig('b0', { numClasses: 5 }), 0);
    const five = join(base, 'five.safetensors');
    await saveCheckpoint(five, model, { training: { options: { blend: 'rgb', size: 32, resize: 32 } } });
    expect(() => scorerFromCheckpoint(five)).toThrow(/five.safetensors: the model has 5 classes, HPA has 19/);
    model.dispose();
    const bare = new EfficientNet(efficientNetConfig('b0', { numClasses: 19, inChannels: 4 }), 0);
    const noRecord = join(base, 'bare.safetensors');
    await saveCheckpoint(noRecord, bare);
    expect(() => scorerFromCheckpoint(noRecord)).toThrow(/bare.safetensors: no training record/);
    const mismatch = join(base, 'mismatch.safetensors');
    await saveCheckpoint(mismatch, bare, { training: { options: { blend: 'rgb', size: 32, resize: 32 } } });
    expect(() => scorerFromCheckpoint(mismatch)).toThrow(/blend 'rgb' has 3 channels but the model takes 4/);
    bare.dispose();
  });
});

describe('hpa-engine predict', () => {
  it('--json: the summary as one JSON document on stdout, the run log on stderr', async () => {
    const out = join(base, 'cli-predicted');
    const r = await cli('predict', '--data', data, '--image-model', best, '--tile-model', best, '--tile-size', '64', '--batch', '4', '--out', out, '--json');
    // The command opens and closes the engine itself; give this file's back.
    await initEngine();
    expect(r.code, r.err.join('\n')).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ fields: 6, rows: 6, weight: 0.5, submission: join(out, 'submission.csv'), scores: join(out, 'scores.json'), masks: join(out, 'masks') });
    expect(j.cells).toBeGreaterThan(6);
    expect(readSubmission(j.submission)).toHaveLength(6);
    expect(r.err.some((l) => l.startsWith('predict: 6 fields of'))).toBe(true);
  });
});


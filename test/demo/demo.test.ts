import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../models/checkpoint.js';
import { formatDemoSummary, runDemo } from '../../pipeline/demo/run.js';
import { formatDemoSeeds, runDemoSeeds } from '../../pipeline/demo/seeds.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

/** ID,Label rows of a Kaggle train.csv. */
function csvRows(file: string): Array<[string, string]> {
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',') as [string, string]);
}

const quiet = new Writable({ write: (_c, _e, cb) => cb() });

describe('demo', () => {
  it('runs the whole workflow on a shrunken preset and reports every figure and artefact', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hpa-demo-')), 'demo');
    const lines: string[] = [];
    const tiny = { size: 32, epochs: 1, batch: 4, lr: 1e-3 };
    const r = await runDemo({
      out,
      quick: true,
      log: (l) => lines.push(l),
      progressStream: quiet,
      preset: { trainFields: 8, testFields: 3, fieldSize: 192, image: tiny, tile: tiny },
    });
    for (const p of Object.values(r.paths)) expect(existsSync(p), p).toBe(true);
    expect(existsSync(join(r.paths.imageRun, 'best.safetensors'))).toBe(true);
    expect(existsSync(join(r.paths.tileRun, 'best.safetensors'))).toBe(true);
    expect(r.segmentationF1).toBeGreaterThan(0.5);
    for (const v of [r.mAP.image, r.mAP.tile, r.mAP.fused]) expect(v).toBeGreaterThanOrEqual(0);
    expect(lines.some((l) => l.includes('tile weight') && l.includes('mAP'))).toBe(true);
    const summary = formatDemoSummary(r);
    expect(summary).toMatch(/cell-level mAP, fused \(w = 0.5\)\s+\d\.\d{4}/);
    expect(summary).toContain(r.paths.submission);
    expect(r.truthTiles).toBeUndefined();
    // Weak labels: every tile carries its image's labels, exactly as train.csv gives them.
    const imageLabels = new Map(csvRows(join(r.paths.train, 'train.csv')));
    const tileRows = csvRows(join(r.paths.tiles, 'train.csv'));
    expect(tileRows.length).toBeGreaterThan(0);
    for (const [tileId, labels] of tileRows) expect(labels, tileId).toBe(imageLabels.get(tileId.replace(/_\d+$/, '')));
  });

  it('--truth-tiles trains a second tile model on the true cell labels and reports it apart', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hpa-demo-truth-')), 'demo');
    const tiny = { size: 32, epochs: 1, batch: 4, lr: 1e-3 };
    const r = await runDemo({
      out,
      quick: true,
      truthTiles: true,
      log: () => {},
      progressStream: quiet,
      preset: { trainFields: 6, testFields: 2, fieldSize: 160, image: tiny, tile: tiny },
    });
    expect(r.truthTiles).toBeDefined();
    for (const v of [r.truthTiles!.mAP.tile, r.truthTiles!.mAP.fused]) expect(v).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(r.paths.truthTileRun, 'best.safetensors'))).toBe(true);
    // The two tile sets hold the same cells; at least one truth-label tile differs from its
    // image's labels (a cell that lacks one of the field's labels), or the bound measures nothing.
    const weak = new Map(csvRows(join(r.paths.tiles, 'train.csv')));
    const truth = csvRows(join(r.paths.truthTiles, 'train.csv'));
    expect(truth.some(([id, l]) => weak.has(id) && weak.get(id) !== l)).toBe(true);
    expect(formatDemoSummary(r)).toMatch(/upper bound[^\n]*\n[^\n]*truth-label tile model\)\s+\d\.\d{3}/);
  });

  it('--seeds 2 runs the demo for two seeds, each in its own folder with its own fields, and prints both with the spread', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hpa-demo-seeds-')), 'demo');
    const tiny = { size: 32, epochs: 1, batch: 4, lr: 1e-3, schedule: 'warmup-cosine' as const, posWeight: 'sqrt' as const };
    const lines: string[] = [];
    const r = await runDemoSeeds({
      out,
      quick: true,
      seeds: 2,
      log: (l) => lines.push(l),
      progressStream: quiet,
      preset: { trainFields: 6, testFields: 2, fieldSize: 160, minCells: 3, maxCells: 6, seed: 4, image: tiny, tile: tiny },
    });
    expect(r.runs.map((x) => x.seed)).toEqual([4, 5]);
    const [a, b] = r.runs.map((x) => x.result);
    expect(a.paths.train).toBe(join(out, 'seed-4', 'train'));
    expect(b.paths.train).toBe(join(out, 'seed-5', 'train'));
    // another seed, other fields
    expect(readFileSync(join(a.paths.train, 'train.csv'), 'utf8')).not.toBe(readFileSync(join(b.paths.train, 'train.csv'), 'utf8'));
    expect(r.spread['image val F1']).toBeCloseTo(Math.abs(a.imageValF1 - b.imageValF1), 12);
    expect(r.spread['mAP fused']).toBeCloseTo(Math.abs(a.mAP.fused! - b.mAP.fused!), 12);
    const table = formatDemoSeeds(r);
    expect(table).toMatch(/figure\s+seed 4\s+seed 5\s+spread/);
    expect(table).toMatch(/mAP fused\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}/);
    expect(table).toMatch(/fused above image-only and tile-only by more than the largest mAP spread in every run: (yes|no)/);
    // each run's own summary is printed as it finishes
    expect(lines.filter((l) => l.includes('cell-level mAP, fused (w = 0.5)'))).toHaveLength(2);
    // the preset's training options reach the runs
    expect(lines.some((l) => l.includes('warmup-cosine, pos_weight sqrt'))).toBe(true);
  });

  it('imageFromTile: the tile model trains first and the image model starts from its backbone, with a fresh head', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hpa-demo-init-')), 'demo');
    // A rate so small that a step moves no weight by more than ~1e-9 (Adam's step is about
    // lr whatever the gradient): what the image model ends with is what it started from.
    // The tile model moves (both start from the same seeded init, so an unmoved tile model
    // could not tell the two apart).
    const still = { size: 32, epochs: 1, batch: 4, lr: 1e-9 };
    const moving = { ...still, lr: 1e-2 };
    const lines: string[] = [];
    const run = (imageFromTile: boolean, dir: string) =>
      runDemo({ out: join(out, dir), quick: true, log: (l) => lines.push(l), progressStream: quiet, preset: { trainFields: 6, testFields: 2, fieldSize: 160, minCells: 3, maxCells: 6, image: still, tile: moving, imageFromTile } });
    const r = await run(true, 'init');
    // from the tile model's last checkpoint (its best is the lowest val loss, often an early epoch)
    const tile = readCheckpoint(join(r.paths.tileRun, 'last.safetensors'));
    const image = readCheckpoint(join(r.paths.imageRun, 'best.safetensors'));
    expect((image.training as { options: { init?: string } }).options.init).toBe(join(r.paths.tileRun, 'last.safetensors'));
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    const conv = 'features.0.0.weight';
    expect(maxDiff(image.weights.get(conv)!.data, tile.weights.get(conv)!.data)).toBeLessThan(1e-6);
    expect(maxDiff(image.weights.get('features.8.0.weight')!.data, tile.weights.get('features.8.0.weight')!.data)).toBeLessThan(1e-6);
    // the head is the image model's own, not the tile model's
    expect(maxDiff(image.weights.get('classifier.1.weight')!.data, tile.weights.get('classifier.1.weight')!.data)).toBeGreaterThan(1e-3);
    // and drawn as a replaced nn.Linear(1280, 19)'s, not torchvision's U(+-1/sqrt(19)) (the rate moved it by ~1e-9)
    const head = image.weights.get('classifier.1.weight')!.data;
    expect(head.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThan(1 / Math.sqrt(1280) + 1e-6);
    expect(head.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeGreaterThan(0.9 / Math.sqrt(1280));
    // the tile model was trained before the image model
    const order = (what: string) => lines.findIndex((l) => l.includes(what));
    expect(order('train the tile model')).toBeGreaterThan(-1);
    expect(order('train the tile model')).toBeLessThan(order('train the image model'));
    expect(lines[order('train the image model')]).toContain('initialised from the weak-label tile model');
    // without it the image model starts from its own random init
    const s = await run(false, 'scratch');
    const scratch = readCheckpoint(join(s.paths.imageRun, 'best.safetensors'));
    expect((scratch.training as { options: { init?: string } }).options.init).toBeUndefined();
    expect(maxDiff(scratch.weights.get(conv)!.data, readCheckpoint(join(s.paths.tileRun, 'last.safetensors')).weights.get(conv)!.data)).toBeGreaterThan(1e-3);
  });

  it('refuses a non-empty folder without --force', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hpa-demo-busy-'));
    mkdirSync(join(out, 'x'));
    writeFileSync(join(out, 'x', 'keep.txt'), 'mine');
    await expect(runDemo({ out, quick: true, log: () => {} })).rejects.toThrow(/: not empty$/);
  });
});

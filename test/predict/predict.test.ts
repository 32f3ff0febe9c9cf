import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../../pipeline/dataset.js';
import { openDataset } from '../../pipeline/dataset.js';
import { sweepFusion, evaluateSubmission } from '../../pipeline/evaluate.js';
import { fuseScores, readScores, SWEEP_WEIGHTS, type FieldScores } from '../../pipeline/fusion.js';
import { NUM_LABELS } from '../../pipeline/labels.js';
import { prepareImage } from '../../pipeline/loader/prepare.js';
import { readGray, writePng } from '../../pipeline/png.js';
import { flipHorizontal } from '../../pipeline/predict/queue.js';
import { predictDataset, type PredictOptions } from '../../pipeline/predict/predict.js';
import type { Scorer } from '../../pipeline/predict/scorer.js';
import { segmentDataset } from '../../pipeline/segment/run.js';
import { readSubmission } from '../../pipeline/submission.js';
import { makeTiles } from '../../pipeline/tiles/make.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { tempDir } from '../pipeline/fixtures.js';

const SIZE = 256;
const tmp = tempDir('hpa-predict-');
const data = join(tmp.dir, 'data');
const seg = join(tmp.dir, 'seg');
let ids: string[];
let run = 0;
/** A fresh output folder per run. */
const outFile = () => join(tmp.dir, `run${++run}`);

beforeAll(() => {
  ids = writeSynthDataset(data, { images: 3, size: SIZE, seed: 21 }).ids;
  segmentDataset({ data, out: seg });
});
afterAll(() => tmp.cleanup());

/** A made-up network: label l is a sigmoid of channel (l mod c)'s mean, weighted by x so a
 * mirror image scores differently. Float32, as a real model returns. */
function fakeScores(x: Float32Array, crop: number, c: number): Float32Array {
  const out = new Float32Array(NUM_LABELS);
  for (let l = 0; l < NUM_LABELS; l++) {
    const k = l % c;
    let s = 0;
    for (let p = 0; p < crop * crop; p++) s += x[p * c + k] * ((p % crop) + 1) / crop;
    out[l] = 1 / (1 + Math.exp(-(s / (crop * crop) + (l - 9) / 10)));
  }
  return out;
}

interface Recording {
  inputs: Float32Array[];
  batches: number[];
}

function fakeScorer(blend: Channel[], resize: number, crop: number, batchSize: number): Scorer & { rec: Recording } {
  const rec: Recording = { inputs: [], batches: [] };
  const per = crop * crop * blend.length;
  return {
    blend,
    resize,
    crop,
    batchSize,
    rec,
    async score(x, n) {
      expect(x.length).toBe(n * per);
      rec.batches.push(n);
      const out = new Float32Array(n * NUM_LABELS);
      for (let i = 0; i < n; i++) {
        const xi = x.slice(i * per, (i + 1) * per);
        rec.inputs.push(xi);
        out.set(fakeScores(xi, crop, blend.length), i * NUM_LABELS);
      }
      return out;
    },
  };
}

const imageScorer = () => fakeScorer(['red', 'green', 'blue'], 72, 64, 2);
const tileScorer = () => fakeScorer(['green', 'blue', 'red', 'yellow'], 40, 32, 5);

/** What the loader gives for a field (or tile) of a Kaggle-layout folder. */
function loaderInput(dir: string, id: string, s: Scorer): Float32Array {
  const ds = openDataset(dir, { check: 'none' });
  return prepareImage({ id, files: s.blend.map((c) => ds.channelPath(id, c)), channels: s.blend, resize: s.resize, crop: s.crop, normalize: true }).x;
}

async function predict(o: Partial<PredictOptions> & { image: Scorer }): Promise<{ lines: string[]; r: Awaited<ReturnType<typeof predictDataset>> }> {
  const lines: string[] = [];
  const r = await predictDataset({ data, out: outFile(), log: (l) => lines.push(l), ...o });
  return { lines, r };
}

describe('predictDataset with an image and a tile model', () => {
  const image = imageScorer();
  const tile = tileScorer();
  const tileOptions = { size: 48, margin: 3, maskOthers: true };
  let r: Awaited<ReturnType<typeof predictDataset>>;
  let scores: FieldScores[];
  beforeAll(async () => {
    ({ r } = await predict({ seg, image, tile, weight: 0.3, tileOptions }));
    scores = readScores(r.scores);
  });

  it('writes one row per field in csv order, with 19 fused triples per cell', () => {
    expect([r.submission, r.scores, r.masks]).toEqual(['submission.csv', 'scores.json', 'masks'].map((f) => join(tmp.dir, `run${run}`, f)));
    expect(r).toMatchObject({ fields: 3, rows: 3, weight: 0.3 });
    const rows = readSubmission(r.submission);
    expect(rows.map((row) => row.id)).toEqual(ids);
    expect(scores.map((s) => s.id)).toEqual(ids);
    expect(r.cells).toBe(scores.reduce((n, s) => n + s.cells.length, 0));
    expect(r.cells).toBeGreaterThan(6);
    rows.forEach((row, f) => {
      const s = scores[f];
      expect([row.width, row.height, s.width, s.height]).toEqual([SIZE, SIZE, SIZE, SIZE]);
      expect(row.predictions).toHaveLength(s.cells.length * NUM_LABELS);
      s.cells.forEach((_, i) => {
        const fused = fuseScores(0.3, s.tiles[i], s.image);
        for (let l = 0; l < NUM_LABELS; l++) {
          const p = row.predictions[i * NUM_LABELS + l];
          expect(p.label).toBe(l);
          expect(p.confidence).toBe(Number(fused[l].toPrecision(7)));
        }
      });
    });
  });

  it('caches the cells of the segmentation it was given, and the scores of the networks', () => {
    image.rec.inputs.forEach((x, f) => expect(x).toEqual(loaderInput(data, ids[f], image)));
    scores.forEach((s, f) => {
      const mask = readGray(s.mask);
      expect(mask.data).toEqual(Uint16Array.from(readGray(join(seg, `${s.id}_cells.png`)).data));
      expect(new Set(mask.data)).toEqual(new Set([0, ...s.cells]));
      expect(s.image).toEqual([...fakeScores(image.rec.inputs[f], 64, 3)]);
    });
    const tiles = scores.flatMap((s) => s.tiles);
    expect(tile.rec.inputs).toHaveLength(tiles.length);
    tiles.forEach((t, i) => expect(t).toEqual([...fakeScores(tile.rec.inputs[i], 32, 4)]));
  });

  it('fills tile batches across fields', () => {
    const n = r.cells;
    expect(tile.rec.batches).toEqual([...Array(Math.floor(n / 5)).fill(5), ...(n % 5 ? [n % 5] : [])]);
    expect(image.rec.batches).toEqual([2, 1]);
  });

  it('gives the tile model what tiles + loader give for the same cell', () => {
    const tilesDir = join(tmp.dir, 'tiles');
    const made = makeTiles({ data, seg, out: tilesDir, ...tileOptions });
    expect(made.tiles).toBe(r.cells);
    const tileIds = scores.flatMap((s) => s.cells.map((c) => `${s.id}_${c}`));
    tileIds.forEach((id, i) => expect(tile.rec.inputs[i]).toEqual(loaderInput(tilesDir, id, tile)));
  });

  it('feeds evaluate: the submission scores against the truth, the scores file sweeps', () => {
    const ev = evaluateSubmission(r.submission, data);
    expect(ev.fields).toBe(3);
    expect(ev.mAP).not.toBeNull();
    const sweep = sweepFusion(readScores(r.scores), data, SWEEP_WEIGHTS);
    expect(sweep.map((s) => s.weight)).toEqual(SWEEP_WEIGHTS);
    const at = sweep.find((s) => s.weight === 0.3)!.result;
    expect(at.labels.map((l) => l.truePositives)).toEqual(ev.labels.map((l) => l.truePositives));
    expect(at.mAP).toBeCloseTo(ev.mAP!, 6);
  });
});

describe('predictDataset with the image model only', () => {
  it('segments each field itself, forces the tile weight to 0 and says so', async () => {
    const image = imageScorer();
    const progress: number[][] = [];
    const { r, lines } = await predict({ image, weight: 0.7, progress: (done, total) => progress.push([done, total]) });
    expect(progress).toEqual([[1, 3], [2, 3], [3, 3]]);
    expect(r.weight).toBe(0);
    expect(lines.some((l) => /no tile model: tile weight forced to 0/.test(l) && /; weight 0.7 ignored/.test(l))).toBe(true);
    const scores = readScores(r.scores);
    const rows = readSubmission(r.submission);
    scores.forEach((s, f) => {
      // The same segmentation `hpa-engine segment` writes.
      expect(readGray(s.mask).data).toEqual(Uint16Array.from(readGray(join(seg, `${s.id}_cells.png`)).data));
      s.tiles.forEach((t) => expect(t).toEqual(s.image));
      rows[f].predictions.forEach((p) => expect(p.confidence).toBe(Number(s.image[p.label].toPrecision(7))));
    });
  });

  it('averages the probabilities of the image and its mirror with --tta flip', async () => {
    const image = imageScorer();
    const { r } = await predict({ seg, image, tta: 'flip' });
    expect(image.rec.batches).toEqual([2, 2, 2]);
    const scores = readScores(r.scores);
    scores.forEach((s, f) => {
      const x = loaderInput(data, s.id, image);
      const mirror = flipHorizontal(x, 64, 64, 3);
      expect(image.rec.inputs[2 * f]).toEqual(x);
      expect(image.rec.inputs[2 * f + 1]).toEqual(mirror);
      const a = fakeScores(x, 64, 3);
      const b = fakeScores(mirror, 64, 3);
      expect(a).not.toEqual(b);
      expect(s.image).toEqual([...a].map((v, l) => (v + b[l]) / 2));
    });
  });
});

describe('predictDataset outputs and inputs', () => {
  it('refuses to replace outputs without force, before scoring anything', async () => {
    const out = outFile();
    const first = await predictDataset({ data, seg, out, image: imageScorer() });
    const before = statSync(first.submission).mtimeMs;
    const image = imageScorer();
    await expect(predictDataset({ data, seg, out, image })).rejects.toThrow(`${first.submission}: already exists`);
    expect(image.rec.batches).toEqual([]);
    expect(statSync(first.submission).mtimeMs).toBe(before);
    const other = join(tmp.dir, 'other');
    mkdirSync(join(other, 'masks'), { recursive: true });
    writeFileSync(join(other, 'masks', 'x.png'), '');
    await expect(predictDataset({ data, seg, out: other, image })).rejects.toThrow(`${join(other, 'masks')}: not empty`);
    const r = await predictDataset({ data, seg, out, image, force: true });
    expect(r.rows).toBe(3);
  });

  it('reads the test layout, and gives a field with no cells an empty row', async () => {
    const root = join(tmp.dir, 'kaggle-test');
    mkdirSync(join(root, 'test'), { recursive: true });
    const order = [ids[2], 'blank', ids[0]];
    for (const c of ['red', 'green', 'blue', 'yellow']) {
      for (const id of [ids[0], ids[2]]) copyFileSync(join(data, 'train', `${id}_${c}.png`), join(root, 'test', `${id}_${c}.png`));
      writePng(join(root, 'test', `blank_${c}.png`), SIZE, SIZE, new Uint8Array(SIZE * SIZE));
    }
    writeFileSync(join(root, 'sample_submission.csv'), ['ID,ImageWidth,ImageHeight,PredictionString', ...order.map((id) => `${id},${SIZE},${SIZE},0 1 eNoLCAgIAAQ4AXQ=`)].join('\n') + '\n');
    // train.csv beside it: the split says which csv to predict.
    writeFileSync(join(root, 'train.csv'), `ID,Label\n${ids[0]},0\n`);
    const { r, lines } = await predict({ data: root, split: 'test', image: imageScorer(), tile: tileScorer() });
    expect(lines.some((l) => /blank: blue channel is flat/.test(l))).toBe(true);
    const rows = readSubmission(r.submission);
    expect(rows.map((row) => row.id)).toEqual(order);
    expect(rows[1].predictions).toEqual([]);
    expect(readFileSync(r.submission, 'utf8').split('\n')[2]).toBe(`blank,${SIZE},${SIZE},`);
    const scores = readScores(r.scores);
    expect(scores[1]).toMatchObject({ id: 'blank', cells: [], tiles: [] });
    expect(rows[0].predictions.length).toBeGreaterThan(0);
    // The cached scores of the real fields still score against their truth.
    expect(sweepFusion(scores.filter((s) => s.id !== 'blank'), data, [0.5])[0].result.fields).toBe(2);
  });

  it('names a segmentation file that is missing or the wrong size', async () => {
    const bad = join(tmp.dir, 'bad-seg');
    mkdirSync(bad);
    for (const id of ids.slice(1)) copyFileSync(join(seg, `${id}_cells.png`), join(bad, `${id}_cells.png`));
    await expect(predict({ seg: bad, image: imageScorer() })).rejects.toThrow(`${join(bad, `${ids[0]}_cells.png`)}: file not found`);
    writePng(join(bad, `${ids[0]}_cells.png`), 8, 8, new Uint16Array(64));
    await expect(predict({ seg: bad, image: imageScorer() })).rejects.toThrow(`${join(bad, `${ids[0]}_cells.png`)}: 8x8 but the field ${ids[0]} is ${SIZE}x${SIZE}`);
  });

  it('refuses a model that does not return probabilities', async () => {
    const image = { ...imageScorer(), score: async (_x: Float32Array, n: number) => new Float32Array(n * NUM_LABELS).fill(3) };
    await expect(predict({ seg, image })).rejects.toThrow('image model: score 3 is not a probability');
    expect(existsSync(join(tmp.dir, `run${run}`, 'submission.csv'))).toBe(false);
  });
});

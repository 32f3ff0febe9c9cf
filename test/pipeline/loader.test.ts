import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_AUGMENT, DEFAULT_AUGMENT } from '../../pipeline/augment.js';
import { toUnit } from '../../pipeline/blend.js';
import { openDataset } from '../../pipeline/dataset.js';
import { Loader, type Batch, type LoaderOptions } from '../../pipeline/loader/loader.js';
import { WorkerPool } from '../../pipeline/loader/pool.js';
import { readGray } from '../../pipeline/png.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { centerCrop, interleave, normalize, resizePlane } from '../../pipeline/transforms.js';
import { tempDir } from './fixtures.js';

const tmp = tempDir('hpa-loader-');
// Starting a worker from the TypeScript sources costs about a second, so the tests share.
const pool2 = new WorkerPool(2);
afterAll(async () => {
  await pool2.close();
  tmp.cleanup();
});
const data = join(tmp.dir, 'data');
writeSynthDataset(data, { images: 5, size: 64, seed: 4 });
const ds = openDataset(data);

async function all(opts: Partial<LoaderOptions>): Promise<Batch[]> {
  const pool = opts.workers === 2 ? pool2 : undefined;
  const loader = new Loader({ dataset: ds, blend: ['red', 'green', 'blue'], batchSize: 2, resize: 48, crop: 40, pool, ...opts });
  const out: Batch[] = [];
  try {
    for await (const b of loader.epoch(opts.seed ?? 0)) out.push(b);
  } finally {
    await loader.close();
  }
  return out;
}

/** The definition: decode, scale to [0,1], area resize, centre crop, interleave, normalise. */
function reference(id: string, channels: string[], resize: number, crop: number): Float32Array {
  const planes = channels.map((c) => {
    const img = readGray(join(data, 'train', `${id}_${c}.png`));
    const unit = toUnit(img);
    return centerCrop(resizePlane(unit, img.width, img.height, resize, resize), resize, resize, crop, crop);
  });
  return normalize(interleave(planes), channels.length);
}

describe('Loader', () => {
  it('yields NHWC batches equal to the plain definition, with multi-hot targets, in worker threads', async () => {
    const batches = await all({ workers: 2 });
    expect(batches.map((b) => b.size)).toEqual([2, 2, 1]);
    expect(batches.flatMap((b) => b.ids)).toEqual(ds.items.map((i) => i.id));
    const b = batches[1];
    expect(b.x).toHaveLength(2 * 40 * 40 * 3);
    expect(b.y).toHaveLength(2 * 19);
    const want = reference(b.ids[1], ['red', 'green', 'blue'], 48, 40);
    const got = b.x.subarray(40 * 40 * 3);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
    expect(worst).toBeLessThan(1e-5);
    const labels = ds.items[3].labels!;
    expect([...b.y.subarray(19)].flatMap((v, l) => (v ? [l] : []))).toEqual(labels);
  });

  it('gives the same batches with any number of workers, augmentation included', async () => {
    const opts = { shuffle: true, seed: 9, augment: DEFAULT_AUGMENT, dropLast: true };
    const a = await all({ ...opts, workers: 0 });
    const b = await all({ ...opts, workers: 2, prefetch: 3 });
    expect(a).toHaveLength(2);
    expect(b.map((x) => x.ids)).toEqual(a.map((x) => x.ids));
    b.forEach((batch, k) => expect(batch.x).toEqual(a[k].x));
    const plain = await all({ shuffle: true, seed: 9, augment: NO_AUGMENT, dropLast: true, workers: 0 });
    expect(plain[0].x).not.toEqual(a[0].x);
  });

  it('shuffles by seed and epoch', async () => {
    const loader = new Loader({ dataset: ds, blend: ['green'], batchSize: 5, workers: 0, shuffle: true, seed: 3, resize: 32, crop: 32 });
    expect(loader.order(0)).toEqual(loader.order(0));
    expect(loader.order(1)).not.toEqual(loader.order(0));
    expect([...loader.order(1)].sort()).toEqual([0, 1, 2, 3, 4]);
    await loader.close();
  });

  it('caches resized channels on disk and notices a changed source', async () => {
    const cacheDir = join(tmp.dir, 'cache');
    const opts = { cacheDir, workers: 2, blend: ['red', 'yellow'] as const };
    const cold = await all({ ...opts, blend: [...opts.blend] });
    expect(cold.reduce((s, b) => s + b.cacheHits, 0)).toBe(0);
    const warm = await all({ ...opts, blend: [...opts.blend] });
    expect(warm.reduce((s, b) => s + b.cacheHits, 0)).toBe(5 * 2);
    warm.forEach((b, k) => {
      let worst = 0;
      for (let i = 0; i < b.x.length; i++) worst = Math.max(worst, Math.abs(b.x[i] - cold[k].x[i]));
      expect(worst).toBeLessThan(1e-4); // 16-bit cache of [0,1] values, after /std
    });
    const f = join(data, 'train', `${ds.items[0].id}_red.png`);
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    const again = await all({ ...opts, blend: [...opts.blend] });
    expect(again.reduce((s, b) => s + b.cacheHits, 0)).toBe(5 * 2 - 1);
  });

  it('reports a corrupt channel by file and ID', async () => {
    const bad = join(tmp.dir, 'bad');
    writeSynthDataset(bad, { images: 2, size: 32, seed: 1 });
    const bds = openDataset(bad);
    const f = bds.channelPath(bds.items[1].id, 'blue');
    const bytes = readFileSync(f);
    bytes[bytes.length - 20] ^= 0xff;
    writeFileSync(f, bytes);
    const loader = new Loader({ dataset: bds, blend: ['blue'], batchSize: 1, pool: pool2, resize: 32, crop: 32 });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const b of loader.epoch()) seen.push(...b.ids);
      })(),
    ).rejects.toThrow(/_blue\.png: (not a readable PNG|corrupt PNG|truncated PNG)/);
    expect(seen).toEqual([bds.items[0].id]);
    await loader.close();
    // the shared pool survives a failed job and a closed loader
    expect((await pool2.run({ id: 'x', files: [bds.channelPath(bds.items[0].id, 'red')], channels: ['red'], resize: 16, crop: 16, normalize: false })).x).toHaveLength(256);
  });

  it('reports a missing channel by file and ID, cache or not', async () => {
    for (const cacheDir of [undefined, join(tmp.dir, 'cache-missing')]) {
      const job = { id: 'gone', files: [join(data, 'train', 'gone_red.png')], channels: ['red'], resize: 16, crop: 16, normalize: false, cacheDir };
      await expect(pool2.run(job)).rejects.toThrow(/gone_red\.png: file not found \(ID gone\)$/);
    }
  });

  it('refuses options that cannot work', () => {
    expect(() => new Loader({ dataset: ds, blend: ['red'], batchSize: 0, workers: 0 })).toThrow(/batch size must be a positive integer/);
    expect(() => new Loader({ dataset: ds, blend: ['red'], batchSize: 1, resize: 32, crop: 40, workers: 0 })).toThrow(/crop 40 is larger than resize 32/);
    expect(() => new Loader({ dataset: ds, blend: ['red'], batchSize: 1, indices: [7], workers: 0 })).toThrow(/index 7 is not in the dataset/);
  });
});

// `npm run bench -- loader [--images=6] [--size=2048] [--workers=2] [--batch=4]`: images/s of
// the data loader on synthetic HPA fields (decode + area resize + crop + normalise), first
// with an empty cache, then from the cache, then decoding on the main thread for contrast.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../pipeline/dataset.js';
import { Loader } from '../pipeline/loader/loader.js';
import { WorkerPool } from '../pipeline/loader/pool.js';
import { writeSynthDataset } from '../pipeline/synth/write.js';
import { countOption } from './args.js';
import type { BenchRow } from './report.js';

export async function loaderBench(args: string[]): Promise<BenchRow[]> {
  const images = countOption(args, 'loader', 'images', 6);
  const size = countOption(args, 'loader', 'size', 2048);
  const workers = countOption(args, 'loader', 'workers', 2, 0);
  const batch = countOption(args, 'loader', 'batch', 4);
  const root = mkdtempSync(join(tmpdir(), 'hpa-bench-loader-'));
  const rows: BenchRow[] = [];
  try {
    const t0 = performance.now();
    writeSynthDataset(join(root, 'data'), { images, size, seed: 1 });
    const synthS = (performance.now() - t0) / 1000;
    const ds = openDataset(join(root, 'data'));
    const run = async (mode: string, w: number, cacheDir?: string, pool?: WorkerPool) => {
      const loader = new Loader({ dataset: ds, blend: ['red', 'green', 'blue', 'yellow'], batchSize: batch, workers: w, pool, cacheDir });
      const t = performance.now();
      let n = 0;
      let hits = 0;
      for await (const b of loader.epoch(0)) {
        n += b.size;
        hits += b.cacheHits;
      }
      const s = (performance.now() - t) / 1000;
      await loader.close();
      rows.push({ mode, workers: w, images: n, field: `${size}^2 x4`, out: '224^2 x4', 'cache hits': hits, seconds: s, 'images/s': n / s });
    };
    const pool = new WorkerPool(workers);
    try {
      // Starting threads is paid once per run; keep it out of the per-epoch figures.
      await run('warm-up (no cache)', workers, undefined, pool);
      const cache = join(root, 'cache');
      await run('cold cache', workers, cache, pool);
      await run('cached', workers, cache, pool);
    } finally {
      await pool.close();
    }
    await run('main thread, no cache', 0);
    rows.push({ mode: `synth ${images} fields`, workers: 0, images, field: `${size}^2 x5 files`, seconds: synthS, 'images/s': images / synthS });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

import { execFileSync } from 'node:child_process';
import { closeSync, constants, copyFileSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../pipeline/dataset.js';
import { Loader, type Batch } from '../../pipeline/loader/loader.js';
import { WorkerPool } from '../../pipeline/loader/pool.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { tempDir } from './fixtures.js';

const tmp = tempDir('hpa-pool-');
afterAll(() => tmp.cleanup());
const data = join(tmp.dir, 'data');
const ids = writeSynthDataset(data, { images: 4, size: 64, seed: 9 }).ids;
const job = (id: string) => ({ id, files: [join(data, 'train', `${id}_blue.png`)], channels: ['blue' as const], resize: 32, crop: 32, normalize: true });

/** Resolves once a process has opened `fifo` for reading (a worker is blocked inside it). */
async function readerOf(fifo: string): Promise<number> {
  for (;;) {
    try {
      return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function replaced(pool: WorkerPool, old: readonly unknown[]): Promise<void> {
  while (pool.threads.length < pool.size || pool.threads.some((w) => old.includes(w))) await new Promise((r) => setTimeout(r, 20));
}

describe('WorkerPool when a worker dies', () => {
  // A named pipe as one field's channel: the worker that reads it is provably mid-image
  // (blocked in the read) when the test kills it. POSIX only.
  it.skipIf(process.platform === 'win32')('a worker killed mid-epoch: the epoch fails naming the field, the worker is replaced, the next epoch runs', async () => {
    const victim = ids[2];
    const red = join(data, 'train', `${victim}_red.png`);
    const saved = join(tmp.dir, 'red.png');
    copyFileSync(red, saved);
    rmSync(red);
    execFileSync('mkfifo', [red]);
    const pool = new WorkerPool(2);
    const ds = openDataset(data, { check: 'none' });
    const loader = new Loader({ dataset: ds, blend: ['red', 'green', 'blue'], batchSize: 1, resize: 32, crop: 32, pool, prefetch: 1 });
    try {
      const seen: string[] = [];
      const outcome = (async () => {
        for await (const b of loader.epoch(0)) seen.push(...(b as Batch).ids);
      })().then(
        () => null,
        (e: Error) => e,
      );
      const writer = await readerOf(red);
      const killed = [...pool.threads];
      // A thread blocked in a read stops when the read returns: end it after the kill.
      const stopped = Promise.all(killed.map((w) => w.terminate()));
      closeSync(writer);
      await stopped;
      expect((await outcome)?.message).toMatch(new RegExp(`^loader: the worker preparing ${victim} \\(${red}, .*\\) died: exit code 1$`));
      expect(seen).toEqual(ids.slice(0, 2));
      await replaced(pool, killed);
      expect(pool.threads).toHaveLength(2);

      rmSync(red);
      copyFileSync(saved, red);
      const again: string[] = [];
      for await (const b of loader.epoch(0)) again.push(...b.ids);
      expect(again).toEqual(ids);
    } finally {
      await loader.close();
      await pool.close();
    }
  });

  it('a pool whose every worker died takes the next job on a replacement', async () => {
    const pool = new WorkerPool(1);
    try {
      expect((await pool.run(job(ids[0]))).x.length).toBe(32 * 32);
      const old = [...pool.threads];
      await old[0].terminate();
      await replaced(pool, old);
      expect((await pool.run(job(ids[1]))).x.length).toBe(32 * 32);
    } finally {
      await pool.close();
    }
  });

  it('workers that die before preparing anything are replaced a few times, then every job fails: never a hang', async () => {
    const pool = new WorkerPool(1);
    try {
      let message = '';
      for (let i = 0; i < 10 && !message; i++) {
        const old = [...pool.threads];
        if (!old.length) break;
        await old[0].terminate();
        await new Promise((r) => setTimeout(r, 50));
        if (pool.threads.length) await replaced(pool, old);
      }
      await expect(pool.run(job(ids[0]))).rejects.toThrow(/^loader: decode workers keep dying before they prepare an image \(4 so far, the last: exit code \d+\)$/);
    } finally {
      await pool.close();
    }
  });
});

describe('WorkerPool.close', () => {
  // In a process of its own: a vitest worker has other handles that keep its loop alive.
  it('settles even when nothing else keeps the event loop alive, idle or with an image in flight (the process must not exit 13 mid-close)', () => {
    const pool = join(process.cwd(), 'dist', 'pipeline', 'loader', 'pool.js');
    const script = `import { WorkerPool } from ${JSON.stringify(pool)};
const idle = new WorkerPool(2);
await idle.run(${JSON.stringify(job(ids[0]))});
await idle.close();
const busy = new WorkerPool(1);
const late = busy.run(${JSON.stringify(job(ids[1]))}).catch((e) => e.message);
// the worker finishes and posts its reply while this thread is busy: the reply is handled during close
for (const t = Date.now(); Date.now() - t < 1500; );
await busy.close();
console.log('closed', await late);`;
    const file = join(tmp.dir, 'close.mjs'); // a file, not -e: workers inherit execArgv
    writeFileSync(file, script);
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
    expect(out.trim()).toBe('closed loader: the worker pool was closed');
  });
});

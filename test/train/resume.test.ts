/**
 * `train --resume RUN` through the real command line: extending a finished run, a new
 * learning rate, and every flag that would change what the run is, refused by name.
 * A tiny B0 (32 px) on 12 synthetic fields, real PNGs and real checkpoints.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../models/safetensors.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { readMetricsCsv } from '../../pipeline/train/run-log.js';
import { BEST, LAST } from '../../pipeline/train/run.js';

/** The built binary (test/global-setup.ts keeps it current), one process per command line:
 * each opens and closes its own adapter, as a user's commands do. */
const MAIN = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
async function cli(...args: string[]): Promise<{ code: number | null; out: string; err: string[] }> {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  // stderr also carries the progress bar; the error line is the one that starts with our name.
  return { code: r.status, out: r.stdout, err: r.stderr.split('\n').filter((l) => l.startsWith('hpa-engine:')) };
}

const dir = mkdtempSync(join(tmpdir(), 'hpa-extend-'));
const data = join(dir, 'data');
const run = join(dir, 'run');
const TINY = ['--size', '32', '--resize', '32', '--batch', '4', '--workers', '0', '--no-cache'];

const progressOf = (file: string) => JSON.parse(readSafetensors(file).metadata.training).progress as { epoch: number; bestEpoch: number; bestLoss: number };
/** A digest of each file: vitest's deep equality over a 16 MB Buffer takes minutes. */
const digest = (...files: string[]) => files.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex'));

beforeAll(async () => {
  writeSynthDataset(data, { images: 12, size: 64, seed: 3 });
  const r = await cli('train', '--data', data, '--out', run, ...TINY, '--epochs', '2');
  expect(r.code, r.err.join('\n')).toBe(0);
});

describe('train --resume', () => {
  it('refuses a finished run with nothing more to do, and an --epochs at or below the epochs done, naming --epochs', async () => {
    const before = digest(join(run, LAST), join(run, 'metrics.csv'));
    const none = await cli('train', '--resume', run);
    expect(none.code).toBe(2);
    expect(none.err).toEqual([`hpa-engine: train: --epochs: ${run}: has finished its 2 epochs; ask for more epochs to extend it (see hpa-engine train --help)`]);
    for (const n of ['1', '2']) {
      const r = await cli('train', '--resume', run, '--epochs', n);
      expect(r.code).toBe(2);
      expect(r.err).toEqual([`hpa-engine: train: --epochs: ${run}: has done 2 epochs already; ask for more than 2 to extend it (see hpa-engine train --help)`]);
    }
    expect(digest(join(run, LAST), join(run, 'metrics.csv'))).toEqual(before);
  });

  it('refuses --model, --blend, --size (and any other flag) whose value differs from the run\'s, naming the flag, and touches nothing', async () => {
    const before = digest(join(run, LAST), join(run, BEST), join(run, 'metrics.csv'));
    const cases: Array<[string[], string, RegExp]> = [
      [['--model', 'b1'], '--model', /model b0, not b1/],
      [['--blend', 'ybr'], '--blend', /blend rgb, not ybr/],
      [['--size', '24'], '--size', /size 32, not 24/],
      [['--batch', '2'], '--batch', /batch 4, not 2/],
      [['--seed', '5'], '--seed', /seed 0, not 5/],
      [['--schedule', 'warmup-cosine'], '--schedule', /schedule constant, not warmup-cosine/],
      [['--pos-weight', 'sqrt'], '--pos-weight', /posWeight none, not sqrt/],
      [['--cache', join(dir, 'c')], '--cache', /cache false, not /],
      [['--data', dir], '--data', new RegExp(`data ${data}, not ${dir}`)],
    ];
    for (const [args, flagName, says] of cases) {
      const r = await cli('train', '--resume', run, '--epochs', '3', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0].startsWith(`hpa-engine: train: ${flagName}: ${run}: the run was trained with `), r.err[0]).toBe(true);
      expect(r.err[0]).toMatch(says);
    }
    expect(digest(join(run, LAST), join(run, BEST), join(run, 'metrics.csv'))).toEqual(before);
  });

  it('--epochs N extends a finished run exactly as a run asked for N from the start: metrics.csv and curves.png continue, best is the best of all epochs', async () => {
    const r = await cli('train', '--resume', run, '--epochs', '3', '--size', '32', '--model', 'b0', '--data', data);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out).toContain(`resuming ${run}: epochs: 2 -> 3 (2 done)`);
    const rows = readMetricsCsv(run);
    expect(rows.map((row) => row.epoch)).toEqual([1, 2, 3]);
    expect(existsSync(join(run, 'curves.png'))).toBe(true);
    expect(progressOf(join(run, LAST)).epoch).toBe(3);
    const losses = rows.map((row) => row.val!.loss);
    const bestEpoch = losses.indexOf(Math.min(...losses)) + 1;
    expect(progressOf(join(run, LAST)).bestEpoch).toBe(bestEpoch);
    expect(progressOf(join(run, BEST)).epoch).toBe(bestEpoch);

    const straight = join(dir, 'straight');
    const s = await cli('train', '--data', data, '--out', straight, ...TINY, '--epochs', '3');
    expect(s.code, s.err.join('\n')).toBe(0);
    const a = readSafetensors(join(straight, LAST)).tensors;
    const b = readSafetensors(join(run, LAST)).tensors;
    const differ = [...a].filter(([k, t]) => !Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(b.get(k)!.data.buffer, b.get(k)!.data.byteOffset, b.get(k)!.data.byteLength)));
    expect(differ.map(([k]) => k)).toEqual([]);
    expect(readMetricsCsv(straight).map((row) => row.val!.loss)).toEqual(losses);
  });

  it('--lr changes the rate from the next epoch on: logged, and in metrics.csv', async () => {
    const r = await cli('train', '--resume', run, '--epochs', '4', '--lr', '0.0001');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out).toContain(`resuming ${run}: learning rate: 0.001 -> 0.0001 from epoch 4`);
    expect(readMetricsCsv(run).map((row) => row.lr)).toEqual([0.001, 0.001, 0.001, 0.0001]);
    const record = JSON.parse(readSafetensors(join(run, LAST)).metadata.training);
    expect(record.options.lr).toBe(0.0001);
    expect(record.progress.epoch).toBe(4);
  });
});

/**
 * kill -9 in the middle of an epoch: a real `hpa-engine train` process (and the child that
 * runs the command) killed with SIGKILL, no handler run. Every checkpoint left must read
 * whole, and `--resume` must finish the run with as many epochs as were asked.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../models/safetensors.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { readMetricsCsv } from '../../pipeline/train/run-log.js';

const MAIN = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

describe('train after kill -9', () => {
  it('leaves no torn checkpoint, and --resume ends the run with the epochs asked', { timeout: 400_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpa-kill-'));
    const data = join(dir, 'data');
    writeSynthDataset(data, { images: 40, size: 64, seed: 3 });
    const run = join(dir, 'run');
    const args = ['train', '--data', data, '--out', run, '--size', '32', '--resize', '32', '--batch', '2', '--epochs', '3', '--workers', '0', '--no-cache'];
    // Its own process group: main.ts runs the command in a child, and both must die at once.
    const child = spawn(process.execPath, [MAIN, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
      child.stderr.on('data', (d) => (stderr += d));
      child.stdout.on('data', (d) => {
        const first = !/\n {4}1 \|/.test(stdout);
        stdout += d;
        // Epoch 1's row is printed just before its checkpoint is written: once that file is
        // there, the run is inside epoch 2 (15 batches), whose checkpoint is not yet on disk.
        if (first && /\n {4}1 \|/.test(stdout)) {
          const poll = setInterval(() => {
            if (!existsSync(join(run, 'last.safetensors')) || !existsSync(join(run, 'best.safetensors'))) return; // epoch 1 is the best so far
            clearInterval(poll);
            process.kill(-child.pid!, 'SIGKILL');
          }, 20);
        }
      });
      child.on('close', (_c, s) => resolve(s));
    });
    expect(signal, stdout + stderr.slice(-2000)).toBe('SIGKILL');

    const checkpoints = readdirSync(run).filter((f) => f.includes('.safetensors'));
    expect(checkpoints.sort()).toEqual(['best.safetensors', 'last.safetensors']);
    for (const f of checkpoints) {
      const st = readSafetensors(join(run, f)); // throws on a short or garbled file
      expect(st.tensors.size, f).toBeGreaterThan(0);
    }
    const killedAt = JSON.parse(readSafetensors(join(run, 'last.safetensors')).metadata.training).progress;
    // Killed in epoch 2 (or, on a slow moment, just after it): a whole epoch's checkpoint.
    expect(killedAt.batch).toBe(0);
    expect([1, 2]).toContain(killedAt.epoch);

    const resumed = spawnSync(process.execPath, [MAIN, 'train', '--resume', run], { encoding: 'utf8' });
    expect(resumed.status, resumed.stderr.slice(-2000)).toBe(0);
    expect(readMetricsCsv(run).map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(JSON.parse(readSafetensors(join(run, 'last.safetensors')).metadata.training).progress).toMatchObject({ epoch: 3, batch: 0 });
    for (const f of ['best.safetensors', 'last.safetensors']) expect(readSafetensors(join(run, f)).tensors.size).toBeGreaterThan(0);
  });
});

// `npm run bench -- train-cli [--images=400] [--size=128] [--batch=2] [--epochs=3] [--rounds=2]`:
// ms per training step of the `hpa-engine train` binary itself (loader, step, progress and
// metrics included), compiled against `--eager`, alternated in the same run. Under
// HPA_BACKEND=null (the default here) it is the host's cost alone, which is what issue 11's
// 5x target measures; HPA_BACKEND=vulkan times it on the adapter instead. Epoch 1 is left
// out: it captures the step and fills the loader's cache.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMetricsCsv } from '../pipeline/train/run-log.js';
import { writeSynthDataset } from '../pipeline/synth/write.js';
import { countOption } from './args.js';
import type { BenchRow } from './report.js';
import { median } from './stats.js';

const MAIN = join(import.meta.dirname, '..', 'cli', 'main.js');

export async function trainCliBench(args: string[]): Promise<BenchRow[]> {
  const images = countOption(args, 'train-cli', 'images', 400);
  const size = countOption(args, 'train-cli', 'size', 128);
  const batch = countOption(args, 'train-cli', 'batch', 2);
  const epochs = countOption(args, 'train-cli', 'epochs', 3, 2); // epoch 1 is not counted
  const rounds = countOption(args, 'train-cli', 'rounds', 2);
  const backend = process.env.HPA_BACKEND?.trim() || 'null';
  const root = mkdtempSync(join(tmpdir(), 'hpa-bench-train-cli-'));
  const rows: BenchRow[] = [];
  try {
    writeSynthDataset(join(root, 'data'), { images, size, seed: 1 });
    const msPerStep = (mode: 'compiled' | 'eager', round: number): number => {
      const out = join(root, `run-${mode}-${round}`);
      const argv = [MAIN, 'train', '--data', join(root, 'data'), '--out', out, '--size', String(size), '--resize', String(size), '--batch', String(batch), '--epochs', String(epochs)];
      if (mode === 'eager') argv.push('--eager');
      const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, HPA_BACKEND: backend } });
      if (r.status !== 0) throw new Error(`train-cli bench: ${mode} train exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
      const later = readMetricsCsv(out).filter((row) => row.epoch > 1);
      return median(later.map((row) => (batch * 1000) / row.imagesPerSecond));
    };
    for (let round = 1; round <= rounds; round++) {
      const compiled = msPerStep('compiled', round);
      const eager = msPerStep('eager', round);
      rows.push({ round, backend, shape: `b${batch}x${size}`, epochs: `2..${epochs}`, 'compiled ms/step': compiled, 'eager ms/step': eager, 'eager / compiled': eager / compiled });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

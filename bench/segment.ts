// `npm run bench -- segment [--reps=N]`: seconds per 2048^2 field, PNG decode (four channels)
// and segmentation apart. Uses the real HPA sample fields when ../shared/hpa-sample is
// there, else renders a synthetic 2048^2 field.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readGrayFile } from '../pipeline/segment/channels.js';
import { segmentField, type FieldChannels } from '../pipeline/segment/field.js';
import { writeSynthDataset } from '../pipeline/synth/write.js';
import type { BenchRow } from './report.js';
import { median } from './stats.js';

// Relative to the package root, where npm run bench starts.
const SAMPLE = resolve('../shared/hpa-sample');
const REAL_IDS = ['5c27f04c-bb99-11e8-b2b9-ac1f6b6435d0', 'b6a469d8-bbad-11e8-b2ba-ac1f6b6435d0'];

function measure(source: string, dir: string, id: string, reps: number): BenchRow {
  const decodes: number[] = [];
  let ch: FieldChannels | undefined;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    ch = {
      red: readGrayFile(join(dir, `${id}_red.png`)),
      green: readGrayFile(join(dir, `${id}_green.png`)),
      blue: readGrayFile(join(dir, `${id}_blue.png`)),
      yellow: readGrayFile(join(dir, `${id}_yellow.png`)),
    };
    decodes.push((performance.now() - t) / 1000);
  }
  const segs: number[] = [];
  const cpus: number[] = [];
  let cells = 0;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    const c0 = process.cpuUsage();
    cells = segmentField(ch!, {}, id).cells.count;
    const c = process.cpuUsage(c0);
    segs.push((performance.now() - t) / 1000);
    cpus.push((c.user + c.system) / 1e6);
  }
  return {
    field: `${source} ${id.slice(0, 8)}`,
    size: `${ch!.blue.width}x${ch!.blue.height}`,
    cells,
    'decode s (4 PNGs)': median(decodes),
    'segment s (median)': median(segs),
    'segment s (best)': Math.min(...segs),
    // CPU time is what the machine class decides; wall time also counts other users' load.
    'segment cpu s (median)': median(cpus),
  };
}

export async function segmentBench(args: string[]): Promise<BenchRow[]> {
  const flag = args.find((a) => a.startsWith('--reps='));
  const reps = flag ? Math.max(1, Math.floor(Number(flag.slice(7))) || 1) : 5;
  if (REAL_IDS.every((id) => existsSync(join(SAMPLE, `${id}_blue.png`)))) {
    return REAL_IDS.map((id) => measure('real', SAMPLE, id, reps));
  }
  const tmp = mkdtempSync(join(tmpdir(), 'bench-segment-'));
  try {
    const { ids } = writeSynthDataset(tmp, { images: 1, size: 2048, seed: 1 });
    return [measure('synthetic', join(tmp, 'train'), ids[0], reps)];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

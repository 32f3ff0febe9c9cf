import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePng } from '../../pipeline/png.js';

export function tempDir(prefix = 'hpa-pipeline-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A channel image whose samples encode the channel and position, so tests can tell
 * which file ended up where. */
export function channelData(w: number, h: number, depth: 8 | 16, channel: number): Uint8Array | Uint16Array {
  const max = depth === 16 ? 65535 : 255;
  const data = depth === 16 ? new Uint16Array(w * h) : new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = Math.round(((x + 2 * y + 37 * channel) % 50) / 49 * max);
  return data;
}

export const COLORS = ['red', 'green', 'blue', 'yellow'] as const;

/** Writes `{id}_{red,green,blue,yellow}.png` into `dir`. */
export function writeField(dir: string, id: string, w = 8, h = 8, depth: 8 | 16 = 8): void {
  mkdirSync(dir, { recursive: true });
  COLORS.forEach((c, i) => writePng(join(dir, `${id}_${c}.png`), w, h, channelData(w, h, depth, i)));
}

/** A train layout: `root/train.csv` and images in `root/train/`. */
export function writeTrainSet(root: string, rows: [string, string][], w = 8, h = 8): void {
  writeFileSync(join(root, 'train.csv'), ['ID,Label', ...rows.map((r) => r.join(','))].join('\n') + '\n');
  for (const [id] of rows) writeField(join(root, 'train'), id, w, h);
}

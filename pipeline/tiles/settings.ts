import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../engine/io/atomic-write.js';
import { infoPath } from '../segment/output.js';
import type { TileOptions } from './crop.js';

/** What `tiles` writes beside train.csv: how its cells were cut, so predict can cut the
 * same way for a model trained on the folder. */
export const TILES_JSON = 'tiles.json';

export interface TileSettings extends TileOptions {
  /** The segmentation scale the cells came from (SEG/{ID}.json), when it says. */
  segmentScale?: number;
  /** Tiles labelled with their true cell's labels rather than their image's. */
  truthLabels: boolean;
  /** The segmentation folder the cells came from. */
  seg: string;
}

export function writeTileSettings(dir: string, s: TileSettings): void {
  writeFileAtomic(join(dir, TILES_JSON), JSON.stringify(s, null, 2) + '\n');
}

/** The segmentation scale SEG/{ID}.json records for a field (undefined when absent). */
export function segmentScaleOf(seg: string, id: string): number | undefined {
  const file = infoPath(seg, id);
  if (!existsSync(file)) return undefined;
  const scale = (JSON.parse(readFileSync(file, 'utf8')) as { scale?: unknown }).scale;
  return typeof scale === 'number' ? scale : undefined;
}

/** TILES/tiles.json, or undefined for a folder cut before tiles recorded its settings. */
export function readTileSettings(dir: string): TileSettings | undefined {
  const file = join(dir, TILES_JSON);
  if (!existsSync(file)) return undefined;
  let s: Partial<TileSettings>;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as Partial<TileSettings>;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  for (const k of ['size', 'margin'] as const) {
    if (!Number.isInteger(s[k]) || (s[k] as number) < 0) throw new Error(`${file}: '${k}' must be a non-negative integer, got ${JSON.stringify(s[k])}`);
  }
  if (typeof s.maskOthers !== 'boolean') throw new Error(`${file}: 'maskOthers' must be true or false, got ${JSON.stringify(s.maskOthers)}`);
  return s as TileSettings;
}

/** A tile option given by hand that disagrees with how the tile model's training tiles were
 * cut. `option` is the TileOptions key, so the CLI can name its flag. */
export class TileSettingsConflictError extends Error {
  constructor(
    readonly option: keyof TileOptions,
    readonly settingsFile: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The tile options predict must use for a tile model trained on `data` (its training
 * record's data folder): that folder's tiles.json, with anything given by hand checked
 * against it. Undefined when the folder records no settings (then what is given, or the
 * defaults, is used as before).
 */
export function tileOptionsForModel(data: string, given: Partial<TileOptions>): TileSettings | undefined {
  const s = readTileSettings(data);
  if (!s) return undefined;
  for (const k of ['size', 'margin', 'maskOthers'] as const) {
    const v = given[k];
    if (v !== undefined && v !== s[k]) {
      throw new TileSettingsConflictError(k, join(data, TILES_JSON), `the tile model was trained on tiles cut with ${k} ${String(s[k])} (${join(data, TILES_JSON)}), not ${String(v)}; leave it out and predict cuts them the same way`);
    }
  }
  return s;
}

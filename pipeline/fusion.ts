import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../engine/io/atomic-write.js';
import { NUM_LABELS } from './labels.js';
import type { Prediction } from './submission.js';
import { refuseOverwrite } from '../engine/io/refuse-overwrite.js';

/** Everything the fusion needs for one field, so the tile weight can be changed without
 * running a network again. */
export interface FieldScores {
  id: string;
  width: number;
  height: number;
  /** Instance values of the scored cells in the mask image. */
  cells: number[];
  /** Image-level sigmoid scores, one per label. */
  image: number[];
  /** Tile-level sigmoid scores, one row of NUM_LABELS per cell, in `cells` order. */
  tiles: number[][];
  /** The cell instance mask PNG (as written: relative to the scores file's folder). */
  mask: string;
}

/** The tile weights a fusion sweep tries: 0.0, 0.1, ..., 1.0. */
export const SWEEP_WEIGHTS: readonly number[] = Array.from({ length: 11 }, (_, i) => i / 10);

/** fused = w * tile + (1 - w) * image, per label. */
export function fuseScores(w: number, tile: ArrayLike<number>, image: ArrayLike<number>): Float64Array {
  const out = new Float64Array(image.length);
  for (let c = 0; c < image.length; c++) out[c] = w * tile[c] + (1 - w) * image[c];
  return out;
}

/** One `label confidence mask` triple per cell and label, with fused confidences; `masks`
 * holds each cell's submission mask string (rle.ts encodeCellMasks). */
export function fieldPredictions(field: FieldScores, w: number, masks: ReadonlyMap<number, string>): Prediction[] {
  const preds: Prediction[] = [];
  field.cells.forEach((cell, i) => {
    const mask = masks.get(cell);
    if (mask === undefined) throw new Error(`field ${field.id}: no mask for cell ${cell}`);
    fuseScores(w, field.tiles[i], field.image).forEach((confidence, label) => preds.push({ label, confidence, mask }));
  });
  return preds;
}

/**
 * The cached-scores file, JSON:
 *
 *   { "format": "hpa-engine/scores", "version": 1, "labels": 19,
 *     "fields": [ { "id": "...", "width": 2048, "height": 2048,
 *                   "cells": [1, 2, ...], "image": [19 numbers],
 *                   "tiles": [[19 numbers], ...one per cell], "mask": "masks/ID.png" } ] }
 *
 * JSON because it is small next to the images (a field is 20 numbers per cell) and a reader
 * can check it by eye. A relative "mask" is relative to the folder of the scores file, so
 * the folder can be moved as a whole.
 */
const FORMAT = 'hpa-engine/scores';
const VERSION = 1;

export function writeScores(file: string, fields: readonly FieldScores[], force = false): void {
  refuseOverwrite(file, force);
  const base = dirname(resolve(file));
  const out = fields.map((f) => ({ ...f, mask: isAbsolute(f.mask) ? relative(base, f.mask) : f.mask }));
  writeFileAtomic(file, JSON.stringify({ format: FORMAT, version: VERSION, labels: NUM_LABELS, fields: out }) + '\n');
}

/** Reads and checks a scores file; mask paths come back resolved. Errors name the file and field. */
export function readScores(file: string): FieldScores[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${file}: file not found`);
    throw new Error(`${file}: not a scores file (${(e as Error).message})`);
  }
  const d = doc as { format?: unknown; version?: unknown; labels?: unknown; fields?: unknown };
  if (typeof d !== 'object' || d === null || d.format !== FORMAT) throw new Error(`${file}: not a scores file (format is not '${FORMAT}')`);
  if (d.version !== VERSION) throw new Error(`${file}: scores version ${String(d.version)}, this build reads ${VERSION}`);
  if (d.labels !== NUM_LABELS) throw new Error(`${file}: scores for ${String(d.labels)} labels, expected ${NUM_LABELS}`);
  if (!Array.isArray(d.fields)) throw new Error(`${file}: 'fields' is not a list`);
  const base = dirname(resolve(file));
  const seen = new Set<string>();
  return d.fields.map((raw: unknown, k: number) => {
    const f = raw as Partial<Record<keyof FieldScores, unknown>>;
    const where = `${file}: field ${k + 1}${typeof f?.id === 'string' ? ` (ID ${f.id})` : ''}`;
    if (typeof f !== 'object' || f === null) throw new Error(`${where}: not an object`);
    if (typeof f.id !== 'string' || !f.id) throw new Error(`${where}: 'id' is not a string`);
    if (seen.has(f.id)) throw new Error(`${where}: ID given twice`);
    seen.add(f.id);
    for (const key of ['width', 'height'] as const) {
      if (!Number.isInteger(f[key]) || (f[key] as number) < 1) throw new Error(`${where}: '${key}' is not a positive integer`);
    }
    if (typeof f.mask !== 'string' || !f.mask) throw new Error(`${where}: 'mask' is not a path`);
    const cells = f.cells;
    if (!Array.isArray(cells) || cells.some((c) => !Number.isInteger(c) || c < 1)) {
      throw new Error(`${where}: 'cells' is not a list of positive instance values`);
    }
    if (new Set(cells).size !== cells.length) throw new Error(`${where}: 'cells' lists a cell twice`);
    checkScores(f.image, `${where}: 'image'`);
    if (!Array.isArray(f.tiles) || f.tiles.length !== cells.length) {
      throw new Error(`${where}: 'tiles' needs one row per cell (${cells.length})`);
    }
    f.tiles.forEach((row, i) => checkScores(row, `${where}: 'tiles' row ${i + 1} (cell ${cells[i]})`));
    return {
      id: f.id,
      width: f.width as number,
      height: f.height as number,
      cells: cells as number[],
      image: f.image as number[],
      tiles: f.tiles as number[][],
      mask: resolve(base, f.mask),
    };
  });
}

function checkScores(v: unknown, where: string): void {
  if (!Array.isArray(v) || v.length !== NUM_LABELS || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new Error(`${where} is not a list of ${NUM_LABELS} numbers`);
  }
}

import { join } from 'node:path';
import { writeFileAtomic } from '../../engine/io/atomic-write.js';
import { readGray, writePng } from '../png.js';
import type { Labels } from './planes.js';
import { labelBoxes } from './morphology.js';
import { touchesBorder } from './sizes.js';

/** The most instances a 16-bit label PNG can hold. */
export const MAX_LABEL = 65535;

export const cellsPath = (dir: string, id: string) => join(dir, `${id}_cells.png`);
export const nucleiPath = (dir: string, id: string) => join(dir, `${id}_nuclei.png`);
export const infoPath = (dir: string, id: string) => join(dir, `${id}.json`);

/** Writes instance labels as a 16-bit grayscale PNG (0 = background), atomically. */
export function writeLabelPng(file: string, labels: Labels): void {
  if (labels.count > MAX_LABEL) {
    throw new Error(`${file}: ${labels.count} objects do not fit a 16-bit label image (at most ${MAX_LABEL})`);
  }
  const out = new Uint16Array(labels.data.length);
  for (let i = 0; i < out.length; i++) out[i] = labels.data[i];
  writePng(file, labels.width, labels.height, out);
}

/** Reads an 8- or 16-bit instance label PNG. Values need not be consecutive; count is the
 * largest. */
export function readLabelPng(file: string): Labels {
  const img = readGray(file);
  const data = Uint32Array.from(img.data);
  let count = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > count) count = data[i];
  return { width: img.width, height: img.height, data, count };
}

export interface CellInfo {
  cell: number;
  /** Inclusive pixel box [x0, y0, x1, y1] at full resolution. */
  bbox: [number, number, number, number];
  area: number;
  nucleusArea: number;
  /** Touches the image edge: part of the cell may be out of view. */
  border: boolean;
}

export interface FieldInfo {
  id: string;
  width: number;
  height: number;
  scale: number;
  cellCount: number;
  cells: CellInfo[];
  warnings: string[];
}

export function fieldInfo(id: string, cells: Labels, nuclei: Labels, scale: number, warnings: string[]): FieldInfo {
  const boxes = labelBoxes(cells);
  const nucleusBoxes = labelBoxes(nuclei);
  const border = touchesBorder(cells);
  const list: CellInfo[] = [];
  for (let l = 1; l <= cells.count; l++) {
    const b = boxes[l];
    if (!b.area) continue;
    list.push({ cell: l, bbox: [b.x0, b.y0, b.x1, b.y1], area: b.area, nucleusArea: nucleusBoxes[l]?.area ?? 0, border: !!border[l] });
  }
  return { id, width: cells.width, height: cells.height, scale, cellCount: list.length, cells: list, warnings };
}

/** One cell per line: a field's json stays readable and diffable with hundreds of cells. */
export function formatFieldInfo(info: FieldInfo): string {
  const { cells, ...head } = info;
  const top = JSON.stringify(head, null, 1).slice(0, -2);
  const rows = cells.map((c) => '  ' + JSON.stringify(c)).join(',\n');
  return `${top},\n "cells": [${rows ? '\n' + rows + '\n ' : ''}]\n}\n`;
}

export function writeFieldInfo(file: string, info: FieldInfo): void {
  writeFileAtomic(file, formatFieldInfo(info));
}

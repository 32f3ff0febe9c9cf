import { deflateSync, inflateSync } from 'node:zlib';
import type { GrayImage } from './png.js';

/**
 * COCO run-length encoding, as the Kaggle HPA submission wants it.
 *
 * Counts alternate zero and one runs over the pixels in column-major order (x outer, y inner,
 * as numpy's Fortran order), always starting with a zero run (0 when the mask starts with a
 * one). The text form is COCO's: each count, from the third on, is stored as the difference
 * to the count two before it (runs of the same kind have similar lengths), as little-endian
 * 5-bit groups with a continuation bit (0x20), sign taken from bit 0x10 of the last group,
 * each group offset by 48 so it is a printable character. The submission then deflates the
 * text at level 9 and base64-encodes it.
 */
export type RleCounts = number[];

/** Counts of a row-major binary mask (any non-zero byte is foreground). */
export function maskToCounts(mask: Uint8Array, width: number, height: number): RleCounts {
  if (mask.length !== width * height) throw new Error(`maskToCounts: ${mask.length} pixels do not fill ${width}x${height}`);
  const counts: RleCounts = [];
  let prev = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0, i = x; y < height; y++, i += width) {
      const v = mask[i] !== 0 ? 1 : 0;
      if (v !== prev) {
        counts.push(run);
        run = 0;
        prev = v;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

/** The row-major binary mask (0/1) that counts describe. */
export function countsToMask(counts: RleCounts, width: number, height: number): Uint8Array {
  checkCounts(counts, width, height);
  const mask = new Uint8Array(width * height);
  let p = 0;
  for (let k = 0; k < counts.length; k++) {
    const end = p + counts[k];
    if (k & 1) for (let q = p; q < end; q++) mask[(q % height) * width + Math.floor(q / height)] = 1;
    p = end;
  }
  return mask;
}

/** Throws unless counts are non-negative integers that cover exactly width*height pixels. */
export function checkCounts(counts: RleCounts, width: number, height: number): void {
  let sum = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k];
    if (!Number.isInteger(c) || c < 0) throw new Error(`RLE count ${k} is ${c} (must be a non-negative integer)`);
    sum += c;
  }
  if (sum !== width * height) throw new Error(`RLE covers ${sum} pixels, not ${width}x${height} = ${width * height}`);
}

/** COCO's compact text form of the counts (rleToString in maskApi.c). */
export function countsToString(counts: RleCounts): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      let c = x & 0x1f;
      // Arithmetic shift: a negative difference ends when only sign bits are left.
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

/** Inverse of countsToString (rleFrString in maskApi.c), with checks C does not make. */
export function stringToCounts(text: string): RleCounts {
  const counts: RleCounts = [];
  let p = 0;
  while (p < text.length) {
    // Arithmetic in doubles rather than `<<`: JS shifts wrap at 32 bits.
    let x = 0;
    let scale = 1;
    let more = true;
    while (more) {
      if (p >= text.length) throw new Error(`RLE text ends inside count ${counts.length}`);
      const c = text.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`RLE text has '${text[p]}' at ${p} (allowed '0'..'o')`);
      x += (c & 0x1f) * scale;
      scale *= 32;
      more = (c & 0x20) !== 0;
      p++;
      if (!more && c & 0x10) x -= scale;
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    if (x < 0) throw new Error(`RLE count ${counts.length} is negative (${x})`);
    counts.push(x);
  }
  return counts;
}

/** The submission's mask string: base64(zlib level 9(COCO text)). */
export function encodeCounts(counts: RleCounts): string {
  return deflateSync(Buffer.from(countsToString(counts), 'latin1'), { level: 9 }).toString('base64');
}

/** Inverse of encodeCounts; the counts must cover width*height. Errors are one line and
 * name no file: callers prefix the row. */
export function decodeCounts(encoded: string, width: number, height: number): RleCounts {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) throw new Error(`mask is not base64`);
  let text: string;
  try {
    text = inflateSync(Buffer.from(encoded, 'base64')).toString('latin1');
  } catch (e) {
    throw new Error(`mask is not zlib data (${(e as Error).message})`);
  }
  const counts = stringToCounts(text);
  checkCounts(counts, width, height);
  return counts;
}

/** Inclusive bounding box of one cell in a label image. */
export interface CellBox {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Bounding boxes of every non-zero label, in one row-major pass over the image. */
export function cellBoxes(labels: GrayImage): Map<number, CellBox> {
  const { width, height, data } = labels;
  const boxes = new Map<number, CellBox>();
  for (let y = 0, i = 0; y < height; y++) {
    let last = 0;
    let box: CellBox | undefined;
    for (let x = 0; x < width; x++, i++) {
      const v = data[i];
      if (v === 0) continue;
      // Cells are spans along a row, so the box lookup is mostly skipped.
      if (v !== last || box === undefined) {
        last = v;
        box = boxes.get(v);
        if (box === undefined) {
          box = { x0: x, x1: x, y0: y, y1: y };
          boxes.set(v, box);
        }
        if (x < box.x0) box.x0 = x;
        if (y > box.y1) box.y1 = y;
      }
      if (x > box.x1) box.x1 = x;
    }
  }
  return boxes;
}

/** Counts of the mask `labels == id`, from one column-major pass over the cell's box
 * (everything outside the box is zero, so the rest of the image is never read). */
export function cellCounts(labels: GrayImage, id: number, box: CellBox): RleCounts {
  const { width: W, height: H, data } = labels;
  const counts: RleCounts = [];
  let end = 0; // column-major index just past the last one-run written
  let start = -1; // start of the open one-run, or -1
  // A run may carry on into the next column only when the box spans whole columns.
  const fullColumns = box.y0 === 0 && box.y1 === H - 1;
  for (let x = box.x0; x <= box.x1; x++) {
    const base = x * H;
    for (let y = box.y0, i = box.y0 * W + x; y <= box.y1; y++, i += W) {
      if (data[i] === id) {
        if (start < 0) start = base + y;
      } else if (start >= 0) {
        counts.push(start - end, base + y - start);
        end = base + y;
        start = -1;
      }
    }
    if (start >= 0 && !fullColumns) {
      const stop = base + box.y1 + 1;
      counts.push(start - end, stop - start);
      end = stop;
      start = -1;
    }
  }
  if (start >= 0) {
    const stop = box.x1 * H + box.y1 + 1;
    counts.push(start - end, stop - start);
    end = stop;
  }
  if (end < W * H || counts.length === 0) counts.push(W * H - end);
  return counts;
}

/** The submission mask string of every cell in a label image (or of the listed cells;
 * a listed cell that is not in the image is an error naming `what`). */
export function encodeCellMasks(labels: GrayImage, what: string, ids?: readonly number[]): Map<number, string> {
  const boxes = cellBoxes(labels);
  const out = new Map<number, string>();
  for (const id of ids ?? [...boxes.keys()].sort((a, b) => a - b)) {
    const box = boxes.get(id);
    if (!box) throw new Error(`${what}: cell ${id} is not in the mask image`);
    out.set(id, encodeCounts(cellCounts(labels, id, box)));
  }
  return out;
}

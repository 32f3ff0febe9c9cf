import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readFailure } from './read-error.js';

export interface PngInfo {
  width: number;
  height: number;
  depth: number;
  colorType: number;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/** Reads the size from the IHDR chunk and checks that the file ends with IEND, without
 * decoding: enough to catch a missing, mislabelled or truncated channel file across a
 * whole dataset in seconds. Corruption inside the image data needs a full decode. */
export function pngInfo(file: string): PngInfo {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw readFailure(file, e);
  }
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(33);
    const got = readSync(fd, head, 0, 33, 0);
    if (got < 33 || SIGNATURE.some((b, i) => head[i] !== b)) throw new Error(`${file}: not a PNG file`);
    if (head.toString('latin1', 12, 16) !== 'IHDR') throw new Error(`${file}: not a PNG file (no IHDR chunk)`);
    const tail = Buffer.alloc(12);
    readSync(fd, tail, 0, 12, Math.max(0, size - 12));
    if (size < 45 || IEND.some((b, i) => tail[i] !== b)) throw new Error(`${file}: truncated PNG (no IEND at the end)`);
    return { width: head.readUInt32BE(16), height: head.readUInt32BE(20), depth: head[24], colorType: head[25] };
  } finally {
    closeSync(fd);
  }
}

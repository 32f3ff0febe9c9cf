import { readFileSync } from 'node:fs';
import { decode, encode } from 'fast-png';
import { writeFileAtomic } from '../engine/io/atomic-write.js';

/** A single-channel image as it came from disk: 8-bit or 16-bit samples, row-major. */
export interface GrayImage {
  width: number;
  height: number;
  depth: 8 | 16;
  data: Uint8Array | Uint16Array;
}

/** Decodes a grayscale PNG (8 or 16 bit). RGB(A) files are reduced to their first channel,
 * as HPA channel files are sometimes saved that way. Errors name the file. */
export function decodeGray(bytes: Uint8Array, file: string): GrayImage {
  let png;
  try {
    png = decode(bytes, { checkCrc: true });
  } catch (e) {
    throw new Error(`${file}: not a readable PNG (${(e as Error).message})`);
  }
  const { width, height, depth, channels } = png;
  if (depth !== 8 && depth !== 16) throw new Error(`${file}: unsupported PNG bit depth ${depth} (need 8 or 16)`);
  if (png.palette) throw new Error(`${file}: palette PNGs are not microscopy channels`);
  const n = width * height;
  if (png.data.length < n * channels) throw new Error(`${file}: truncated PNG data (${png.data.length} of ${n * channels} samples)`);
  let data: Uint8Array | Uint16Array;
  if (channels === 1) {
    data = depth === 8 ? new Uint8Array(png.data.buffer, png.data.byteOffset, n) : (png.data as Uint16Array);
  } else {
    data = depth === 8 ? new Uint8Array(n) : new Uint16Array(n);
    for (let i = 0; i < n; i++) data[i] = png.data[i * channels];
  }
  return { width, height, depth, data };
}

export function readGray(file: string): GrayImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file}: file not found` : `${file}: cannot read (${code ?? (e as Error).message})`);
  }
  return decodeGray(bytes, file);
}

/** Encodes 1 (gray), 3 (RGB) or 4 (RGBA) interleaved channels. */
export function encodePng(width: number, height: number, data: Uint8Array | Uint16Array, channels = 1): Uint8Array {
  const depth = data instanceof Uint16Array ? 16 : 8;
  if (data.length !== width * height * channels) {
    throw new Error(`encodePng: ${data.length} samples do not fill ${width}x${height}x${channels}`);
  }
  return encode({ width, height, data, depth, channels });
}

/** Writes a PNG atomically, so an interrupted run never leaves a torn image behind. */
export function writePng(file: string, width: number, height: number, data: Uint8Array | Uint16Array, channels = 1): void {
  writeFileAtomic(file, encodePng(width, height, data, channels));
}

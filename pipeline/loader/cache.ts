import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * Resized channels on disk, so epochs after the first skip the PNG decode and the area
 * resize (the loader's whole cost). One file per (id, channel, size); the header keeps the
 * source's mtime and byte size, so an edited image is decoded again.
 *
 * Layout: 'HPAC' | u32 version | u32 width | u32 height | f64 source mtimeMs |
 * f64 source bytes | width*height u16 samples (value * 65535, little-endian).
 */
const MAGIC = 0x43415048; // 'HPAC' little-endian
const VERSION = 1;
const HEADER = 32;

export interface CachedPlane {
  width: number;
  height: number;
  data: Float32Array;
}

export function cachePath(dir: string, id: string, channel: string, size: number): string {
  return join(dir, `${id}_${channel}_${size}.u16`);
}

export function sourceStamp(file: string): { mtimeMs: number; bytes: number } {
  const s = statSync(file);
  return { mtimeMs: s.mtimeMs, bytes: s.size };
}

/** The cached plane if it exists and was made from this version of the source. */
export function readCached(path: string, stamp: { mtimeMs: number; bytes: number }): CachedPlane | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return undefined;
  }
  if (buf.length < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return undefined;
  const width = buf.readUInt32LE(8);
  const height = buf.readUInt32LE(12);
  if (buf.readDoubleLE(16) !== stamp.mtimeMs || buf.readDoubleLE(24) !== stamp.bytes) return undefined;
  if (buf.length !== HEADER + width * height * 2) return undefined; // torn by a crash
  const data = new Float32Array(width * height);
  const inv = 1 / 65535;
  for (let i = 0; i < data.length; i++) data[i] = buf.readUInt16LE(HEADER + 2 * i) * inv;
  return { width, height, data };
}

/** Writes through a temporary name and a rename: readers in other workers see the old file
 * or the whole new one. No fsync: a cache lost in a crash is only recomputed. */
export function writeCached(path: string, plane: CachedPlane, stamp: { mtimeMs: number; bytes: number }, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const buf = Buffer.alloc(HEADER + plane.data.length * 2);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(VERSION, 4);
  buf.writeUInt32LE(plane.width, 8);
  buf.writeUInt32LE(plane.height, 12);
  buf.writeDoubleLE(stamp.mtimeMs, 16);
  buf.writeDoubleLE(stamp.bytes, 24);
  for (let i = 0; i < plane.data.length; i++) {
    const v = plane.data[i];
    buf.writeUInt16LE(v <= 0 ? 0 : v >= 1 ? 65535 : Math.round(v * 65535), HEADER + 2 * i);
  }
  const tmp = `${path}.${process.pid}.${threadId}.tmp`;
  writeFileSync(tmp, buf);
  renameSync(tmp, path);
}

/**
 * The safetensors format (huggingface/safetensors), read and written here:
 *   8 bytes   little-endian u64 N, the header length
 *   N bytes   JSON: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { string: string } }
 *   the rest  tensor bytes, little-endian, offsets relative to the end of the header.
 * It is data only: nothing in a file is ever run, so a downloaded checkpoint is safe to
 * open. Every check below refuses a file that would make us read the wrong bytes.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from '../engine/io/atomic-write.js';
import { refuseOverwrite } from '../engine/io/refuse-overwrite.js';

/** Bytes per element of every dtype we read; all are converted to f32 on the way in. */
const DTYPE_SIZE = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
} as const;
export type Dtype = keyof typeof DTYPE_SIZE;

/** A header larger than this is not a tensor index but an attack or a wrong file. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const METADATA_KEY = '__metadata__';

export interface TensorEntry {
  dtype: Dtype;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  /** Absolute file offset where the data section starts. */
  dataStart: number;
}

export interface StoredTensor {
  /** The dtype in the file; `data` is always f32. */
  dtype: Dtype;
  shape: number[];
  data: Float32Array;
}

export interface Safetensors {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
}

/** What the writer takes: f32 only, which is what we train and store. */
export interface TensorToWrite {
  dtype?: 'F32';
  shape: readonly number[];
  data: Float32Array;
}

function assertLittleEndianHost(): void {
  // Float32Array views use host byte order; the format is little-endian.
  if (endianness() !== 'LE') throw new Error('safetensors: big-endian hosts are not supported');
}

// Not engine/tensor's sizeOf: importing it would load the GPU runtime just to read a file.
function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function fmtShape(shape: readonly unknown[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Validates the length prefix and the JSON header. `prefix` holds the file's first bytes
 * (at least 8, and the whole header when the file has one); `fileSize` is the whole file's.
 */
export function parseSafetensorsHeader(prefix: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  if (fileSize < 8 || prefix.length < 8) throw new Error(`${file}: too short for a safetensors file (${fileSize} bytes)`);
  const n64 = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES))
    throw new Error(`${file}: safetensors header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte cap`);
  const n = Number(n64);
  if (8 + n > fileSize) throw new Error(`${file}: safetensors header length ${n} runs past the end of the file (${fileSize} bytes)`);
  if (prefix.length < 8 + n) throw new Error(`${file}: safetensors header truncated`);

  let json: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, 8 + n));
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: malformed safetensors header: ${(e as Error).message.split('\n')[0]}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new Error(`${file}: malformed safetensors header: not a JSON object`);

  const dataLength = fileSize - 8 - n;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(value, file);
      continue;
    }
    tensors.set(name, parseEntry(name, value, dataLength, file));
  }
  checkCoverage(tensors, dataLength, file);
  return { tensors, metadata, dataStart: 8 + n };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${file}: safetensors ${METADATA_KEY} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new Error(`${file}: safetensors ${METADATA_KEY} key '${k}' is not a string`);
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function parseEntry(name: string, value: unknown, dataLength: number, file: string): TensorEntry {
  const where = `${file}: tensor '${name}'`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SIZE, dtype))
    throw new Error(`${where}: unknown or unsupported dtype ${JSON.stringify(dtype)} (have: ${Object.keys(DTYPE_SIZE).join(', ')})`);
  if (!Array.isArray(shape) || !shape.every(isCount)) throw new Error(`${where}: shape must be a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1])
    throw new Error(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end`);
  const [begin, end] = offsets as [number, number];
  if (end > dataLength)
    throw new Error(`${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes)`);
  const size = DTYPE_SIZE[dtype as Dtype];
  const count = numel(shape);
  if (!Number.isSafeInteger(count * size) || count * size !== end - begin)
    throw new Error(`${where}: shape ${fmtShape(shape)} of ${dtype} needs ${count * size} bytes, data_offsets give ${end - begin}`);
  return { dtype: dtype as Dtype, shape: [...shape], dataOffsets: [begin, end] };
}

/** Tensors must tile the data section exactly: no overlap (two names, one storage), no holes. */
function checkCoverage(tensors: Map<string, TensorEntry>, dataLength: number, file: string): void {
  const sorted = [...tensors].sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let pos = 0;
  let prev = '';
  for (const [name, { dataOffsets: [begin, end] }] of sorted) {
    if (begin < pos) throw new Error(`${file}: tensor '${name}' overlaps tensor '${prev}' (data_offsets [${begin}, ${end}])`);
    if (begin > pos) throw new Error(`${file}: data bytes ${pos}..${begin} before tensor '${name}' belong to no tensor`);
    pos = end;
    prev = name;
  }
  if (pos !== dataLength) throw new Error(`${file}: data bytes ${pos}..${dataLength} at the end belong to no tensor`);
}

/** Decodes a whole file held in memory. */
export function decodeSafetensors(bytes: Uint8Array, file: string): Safetensors {
  assertLittleEndianHost();
  const header = parseSafetensorsHeader(bytes, bytes.length, file);
  const tensors = new Map<string, StoredTensor>();
  for (const [name, e] of header.tensors) {
    const raw = bytes.subarray(header.dataStart + e.dataOffsets[0], header.dataStart + e.dataOffsets[1]);
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data: toFloat32(raw, e.dtype) });
  }
  return { tensors, metadata: header.metadata };
}

export function readSafetensors(file: string): Safetensors {
  return decodeSafetensors(readFileSync(file), file);
}

/** Only the header: names, shapes and metadata (the model config) without loading the weights. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 8));
    readSync(fd, head, 0, head.length, 0);
    if (size < 8) return parseSafetensorsHeader(head, size, file);
    const n = new DataView(head.buffer).getBigUint64(0, true);
    // Read no more than the file holds; the parser then names the real problem.
    const want = n > BigInt(MAX_HEADER_BYTES) ? 8 : Math.min(size, 8 + Number(n));
    const prefix = new Uint8Array(want);
    let off = 0;
    while (off < want) {
      const got = readSync(fd, prefix, off, want - off, off);
      if (got === 0) break;
      off += got;
    }
    return parseSafetensorsHeader(prefix, size, file);
  } finally {
    closeSync(fd);
  }
}

function toFloat32(raw: Uint8Array, dtype: Dtype): Float32Array {
  const size = DTYPE_SIZE[dtype];
  const count = raw.length / size;
  // A copy: the data may sit at any byte offset, and a Float32Array view needs 4-byte alignment.
  if (dtype === 'F32') return new Float32Array(new Uint8Array(raw).buffer);
  const out = new Float32Array(count);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of an f32.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
      break;
    }
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      break;
    case 'U64':
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigUint64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(i * 4, true);
      break;
    case 'U32':
      for (let i = 0; i < count; i++) out[i] = dv.getUint32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = dv.getInt16(i * 2, true);
      break;
    case 'U16':
      for (let i = 0; i < count; i++) out[i] = dv.getUint16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = dv.getInt8(i);
      break;
    case 'U8':
      for (let i = 0; i < count; i++) out[i] = raw[i];
      break;
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = raw[i] ? 1 : 0;
      break;
  }
  return out;
}

/** IEEE 754 binary16 to number: subnormals, infinities and NaN included. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The file's bytes; tensors in the map's order, header padded to 8 bytes as the reference writer does. */
export function encodeSafetensors(tensors: ReadonlyMap<string, TensorToWrite>, metadata: Record<string, string> = {}, file = 'safetensors'): Uint8Array {
  assertLittleEndianHost();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new Error(`${file}: metadata '${k}' must be a string, got ${typeof v}`);
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === METADATA_KEY) throw new Error(`${file}: '${METADATA_KEY}' cannot name a tensor`);
    if ((t.dtype ?? 'F32') !== 'F32') throw new Error(`${file}: tensor '${name}': only F32 is written, got ${t.dtype}`);
    if (!(t.data instanceof Float32Array)) throw new Error(`${file}: tensor '${name}': data must be a Float32Array`);
    if (!t.shape.every(isCount)) throw new Error(`${file}: tensor '${name}': bad shape ${fmtShape(t.shape)}`);
    if (numel(t.shape) !== t.data.length)
      throw new Error(`${file}: tensor '${name}': shape ${fmtShape(t.shape)} holds ${numel(t.shape)} values, data has ${t.data.length}`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/**
 * Writes atomically (temp + fsync + rename): a crash leaves the old file or the new one.
 * Refuses to replace an existing file unless `overwrite` is set.
 */
export function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, TensorToWrite>,
  metadata: Record<string, string> = {},
  options: { overwrite?: boolean } = {},
): void {
  refuseOverwrite(file, options.overwrite);
  writeFileAtomic(file, encodeSafetensors(tensors, metadata, file));
}

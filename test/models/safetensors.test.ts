import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAX_HEADER_BYTES,
  halfToFloat,
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
  type TensorToWrite,
} from '../../models/safetensors.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'safetensors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file from raw parts, for formats we do not write and for broken files. */
function rawFile(name: string, header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerLength ?? json.length));
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([prefix, json, data]));
  return file;
}

function f32bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

describe('safetensors round trip', () => {
  it('writes and reads back every value bit for bit, with metadata', () => {
    const file = join(dir, 'round.safetensors');
    const special = new Float32Array([0, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, -1.5]);
    const tensors = new Map<string, TensorToWrite>([
      ['features.0.0.weight', { shape: [3, 3, 3, 32], data: Float32Array.from({ length: 864 }, (_, i) => i * 0.5 - 7) }],
      ['special', { shape: [2, 4], data: special }],
      ['scalar', { shape: [], data: new Float32Array([42]) }],
      ['empty', { shape: [0, 5], data: new Float32Array(0) }],
      // A view into a larger buffer must write only its own values.
      ['view', { shape: [2], data: new Float32Array([9, 8, 7, 6]).subarray(1, 3) }],
    ]);
    const metadata = { step: '1200', config: JSON.stringify({ model: 'b0', classes: 19 }), rng: '[1,2,3,4]' };
    writeSafetensors(file, tensors, metadata);

    const bytes = readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0); // header padded so the data starts aligned
    expect(bytes.length).toBe(8 + n + 4 * (864 + 8 + 1 + 0 + 2));

    const back = readSafetensors(file);
    expect(back.metadata).toEqual(metadata);
    expect([...back.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [name, t] of tensors) {
      const r = back.tensors.get(name)!;
      expect(r.dtype).toBe('F32');
      expect(r.shape).toEqual(t.shape);
      expect(new Uint32Array(r.data.buffer, r.data.byteOffset, r.data.length)).toEqual(
        new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length),
      );
    }
    const header = readSafetensorsHeader(file);
    expect(header.metadata).toEqual(metadata);
    expect(header.tensors.get('scalar')).toEqual({ dtype: 'F32', shape: [], dataOffsets: [3456 + 32, 3456 + 36] });
    expect(header.dataStart).toBe(8 + n);
  });

  it('never replaces a file unless asked, and leaves no temp file behind', () => {
    const file = join(dir, 'keep.safetensors');
    const one = new Map([['a', { shape: [1], data: new Float32Array([1]) }]]);
    writeSafetensors(file, one);
    expect(() => writeSafetensors(file, new Map([['a', { shape: [1], data: new Float32Array([2]) }]]))).toThrow(
      `${file}: already exists`,
    );
    expect(readSafetensors(file).tensors.get('a')!.data[0]).toBe(1);
    writeSafetensors(file, new Map([['a', { shape: [1], data: new Float32Array([2]) }]]), {}, { overwrite: true });
    expect(readSafetensors(file).tensors.get('a')!.data[0]).toBe(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses to write inconsistent tensors', () => {
    const file = join(dir, 'bad-write.safetensors');
    expect(() => writeSafetensors(file, new Map([['w', { shape: [2, 3], data: new Float32Array(5) }]]))).toThrow(
      `${file}: tensor 'w': shape [2, 3] holds 6 values, data has 5`,
    );
    expect(() => writeSafetensors(file, new Map([['__metadata__', { shape: [1], data: new Float32Array(1) }]]))).toThrow(/cannot name a tensor/);
  });
});

describe('safetensors reading other dtypes', () => {
  it('reads the format README example (I32, metadata)', () => {
    const data = new Uint8Array(new Int32Array([1, -2, 3, 2147483647]).buffer);
    const file = rawFile('readme.safetensors', '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"foo":"bar"}}', data);
    const r = readSafetensors(file);
    expect(r.metadata).toEqual({ foo: 'bar' });
    expect(r.tensors.get('test')).toEqual({ dtype: 'I32', shape: [2, 2], data: new Float32Array([1, -2, 3, 2147483648]) });
  });

  it('converts F16, BF16, F64 and I64 (num_batches_tracked) to f32', () => {
    // F16 bit patterns: 1, -2, 65504 (max), 2^-24 (smallest subnormal), inf, 0.333251953125
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x3555]);
    // BF16 is the top half of an f32: 1, -3.140625, 2^-126
    const bf16 = new Uint16Array([0x3f80, 0xc049, 0x0080]);
    const f64 = new Float64Array([0.1, -1e300, 2.5]);
    const i64 = new BigInt64Array([12345n]);
    const parts = [f16, bf16, f64, i64].map((a) => new Uint8Array(a.buffer));
    let off = 0;
    const offs = parts.map((p) => [off, (off += p.length)]);
    const file = rawFile(
      'dtypes.safetensors',
      {
        h: { dtype: 'F16', shape: [6], data_offsets: offs[0] },
        b: { dtype: 'BF16', shape: [3], data_offsets: offs[1] },
        d: { dtype: 'F64', shape: [3], data_offsets: offs[2] },
        'bn.num_batches_tracked': { dtype: 'I64', shape: [], data_offsets: offs[3] },
      },
      Buffer.concat(parts),
    );
    const r = readSafetensors(file).tensors;
    expect(Array.from(r.get('h')!.data)).toEqual([1, -2, 65504, 2 ** -24, Infinity, 0.333251953125]);
    expect(r.get('h')!.dtype).toBe('F16');
    expect(Array.from(r.get('b')!.data)).toEqual([1, -3.140625, 2 ** -126]);
    expect(Array.from(r.get('d')!.data)).toEqual([Math.fround(0.1), -Infinity, 2.5]);
    expect(Array.from(r.get('bn.num_batches_tracked')!.data)).toEqual([12345]);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
  });

  it('treats __proto__ as a plain name, never as an object to merge', () => {
    const file = rawFile(
      'proto.safetensors',
      '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"__proto__":"x"}}',
      f32bytes([5]),
    );
    const r = readSafetensors(file);
    expect(r.tensors.get('__proto__')!.data[0]).toBe(5);
    expect(Object.getOwnPropertyDescriptor(r.metadata, '__proto__')?.value).toBe('x');
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });
});

describe('safetensors refusals: one line naming the file and the tensor', () => {
  const entry = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });
  const refuse = (name: string, header: unknown, data: Uint8Array, message: string | RegExp, headerLength?: number) => {
    const file = rawFile(name, header, data, headerLength);
    const expected = typeof message === 'string' ? `${file}: ${message}` : message;
    expect(() => readSafetensors(file)).toThrow(expected);
    expect(() => readSafetensorsHeader(file)).toThrow(expected);
    try {
      readSafetensors(file);
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
      expect((e as Error).message.startsWith(file)).toBe(true);
    }
  };

  it('a file too short for the length prefix', () => {
    const file = join(dir, 'short.safetensors');
    writeFileSync(file, Buffer.from([1, 2, 3]));
    expect(() => readSafetensors(file)).toThrow(`${file}: too short for a safetensors file (3 bytes)`);
    expect(() => readSafetensorsHeader(file)).toThrow(`${file}: too short`);
  });

  it('a header length larger than the file', () => {
    refuse('long.safetensors', { a: entry('F32', [1], [0, 4]) }, f32bytes([1]), /header length 5000 runs past the end of the file \(\d+ bytes\)/, 5000);
  });

  it('a header length above the cap', () => {
    refuse('cap.safetensors', {}, new Uint8Array(0), `safetensors header length ${2 ** 40} exceeds the ${MAX_HEADER_BYTES}-byte cap`, 2 ** 40);
  });

  it('malformed JSON, or JSON that is not an object', () => {
    refuse('json.safetensors', '{"a": {"dtype": "F32",', new Uint8Array(0), /malformed safetensors header: /);
    refuse('array.safetensors', '[1, 2]', new Uint8Array(0), 'malformed safetensors header: not a JSON object');
    refuse('utf8.safetensors', Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1'), new Uint8Array(0), /malformed safetensors header/);
  });

  it('offsets out of bounds', () => {
    refuse('oob.safetensors', { w: entry('F32', [2], [0, 8]) }, f32bytes([1]), "tensor 'w': data_offsets [0, 8] run past the end of the data (4 bytes)");
    refuse('neg.safetensors', { w: entry('F32', [1], [-4, 0]) }, f32bytes([1]), "tensor 'w': data_offsets must be [begin, end] with 0 <= begin <= end");
    refuse('rev.safetensors', { w: entry('F32', [0], [4, 0]) }, f32bytes([1]), /tensor 'w': data_offsets must be/);
  });

  it('overlapping tensors', () => {
    refuse(
      'overlap.safetensors',
      { a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) },
      f32bytes([1, 2, 3]),
      "tensor 'b' overlaps tensor 'a' (data_offsets [4, 12])",
    );
  });

  it('bytes that belong to no tensor', () => {
    refuse('gap.safetensors', { a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }, f32bytes([1, 2, 3]), "data bytes 4..8 before tensor 'b' belong to no tensor");
    refuse('tail.safetensors', { a: entry('F32', [1], [0, 4]) }, f32bytes([1, 2]), 'data bytes 4..8 at the end belong to no tensor');
  });

  it('a shape that does not match the byte count of its dtype', () => {
    refuse('shape.safetensors', { w: entry('F32', [3], [0, 8]) }, f32bytes([1, 2]), "tensor 'w': shape [3] of F32 needs 12 bytes, data_offsets give 8");
    refuse('f16.safetensors', { w: entry('F16', [2], [0, 8]) }, f32bytes([1, 2]), "tensor 'w': shape [2] of F16 needs 4 bytes, data_offsets give 8");
    refuse('badshape.safetensors', { w: entry('F32', [1.5], [0, 4]) }, f32bytes([1]), "tensor 'w': shape must be a list of non-negative integers");
  });

  it('an unknown dtype', () => {
    refuse('dtype.safetensors', { w: entry('Q4', [1], [0, 4]) }, f32bytes([1]), /tensor 'w': unknown or unsupported dtype "Q4"/);
    refuse('f8.safetensors', { w: entry('F8_E4M3', [4], [0, 4]) }, f32bytes([1]), /tensor 'w': unknown or unsupported dtype "F8_E4M3"/);
  });

  it('metadata that is not a map of strings', () => {
    refuse('meta.safetensors', { __metadata__: { step: 3 } }, new Uint8Array(0), "safetensors __metadata__ key 'step' is not a string");
    refuse('meta2.safetensors', { __metadata__: ['x'] }, new Uint8Array(0), 'safetensors __metadata__ must be an object of strings');
  });
});

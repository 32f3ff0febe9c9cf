import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeGray, encodePng } from '../../pipeline/png.js';
import { decodeGrayFast, encodeGrayFast } from '../../pipeline/png-zlib.js';
import { channelData } from './fixtures.js';
import { sharedFile } from '../helpers/shared-data.js';

/** A PNG whose rows use the given filter types, built by hand: the fast-png encoder only
 * writes filter 0, and real files mix all five. */
function filteredPng(w: number, h: number, data: Uint8Array, filters: number[]): Uint8Array {
  const raw = new Uint8Array((w + 1) * h);
  for (let y = 0; y < h; y++) {
    const f = filters[y % filters.length];
    raw[y * (w + 1)] = f;
    for (let x = 0; x < w; x++) {
      const v = data[y * w + x];
      const a = x > 0 ? data[y * w + x - 1] : 0;
      const b = y > 0 ? data[(y - 1) * w + x] : 0;
      const c = x > 0 && y > 0 ? data[(y - 1) * w + x - 1] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >>> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
      raw[y * (w + 1) + 1 + x] = (v - pred) & 0xff;
    }
  }
  // Reuse a valid header from the reference encoder, swap in our IDAT.
  const ref = Buffer.from(encodePng(w, h, data));
  const idat = deflateSync(raw);
  const head = ref.subarray(0, 33);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(idat.length);
  const body = Buffer.concat([Buffer.from('IDAT'), idat]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  const iend = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  return Buffer.concat([head, len, body, crc, iend]);
}

describe('png-zlib', () => {
  it('decodes every row filter as the reference decoder does', () => {
    const w = 37;
    const h = 23;
    const data = channelData(w, h, 8, 3) as Uint8Array;
    for (const filters of [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4]]) {
      const png = filteredPng(w, h, data, filters);
      const fast = decodeGrayFast(png, 'x.png');
      expect(decodeGray(png, 'x.png').data).toEqual(data);
      expect(fast.data).toEqual(data);
    }
  });

  it('round-trips 8 and 16 bit through its encoder, readable by the reference decoder', () => {
    for (const depth of [8, 16] as const) {
      const data = channelData(19, 11, depth, 1);
      const png = encodeGrayFast(19, 11, data);
      expect(decodeGrayFast(png, 'a.png')).toEqual({ width: 19, height: 11, depth, data });
      expect(decodeGray(png, 'a.png').data).toEqual(data);
    }
  });

  it('names the file on truncated or corrupt data', () => {
    const png = encodeGrayFast(40, 40, channelData(40, 40, 8, 0));
    expect(() => decodeGrayFast(png.subarray(0, png.length - 30), 'cut.png')).toThrow(/^cut\.png: truncated PNG/);
    const bad = Buffer.from(png);
    bad[60] ^= 0xff;
    expect(() => decodeGrayFast(bad, 'bad.png')).toThrow(/^bad\.png: (not a readable PNG|corrupt PNG|truncated PNG)/);
    expect(() => decodeGrayFast(Buffer.from('hello world'), 'txt.png')).toThrow(/^txt\.png: not a PNG file/);
  });

  const blue = sharedFile('hpa-sample/5c27f04c-bb99-11e8-b2b9-ac1f6b6435d0_blue.png');
  const real = blue.path;
  it.skipIf(!blue.present)(blue.title('agrees with the reference decoder on a real HPA channel'), () => {
    const bytes = readFileSync(real);
    const a = decodeGrayFast(bytes, real);
    const b = decodeGray(bytes, real);
    expect(a.width).toBe(2048);
    expect(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))).toBe(true);
  });
});

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { composite, parseBlend, readBlend, toUnit, writeBlendPng } from '../../pipeline/blend.js';
import { openDataset } from '../../pipeline/dataset.js';
import { readGray, writePng } from '../../pipeline/png.js';
import { decodeGray } from '../../pipeline/png.js';
import { readFileSync } from 'node:fs';
import { tempDir, writeTrainSet } from './fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('blends', () => {
  it('names the original orders and accepts channel lists', () => {
    expect(parseBlend('rgb')).toEqual(['red', 'green', 'blue']);
    expect(parseBlend('ybr')).toEqual(['yellow', 'blue', 'red']);
    expect(parseBlend('rgby')).toEqual(['red', 'green', 'blue', 'yellow']);
    expect(parseBlend('green, blue')).toEqual(['green', 'blue']);
    expect(() => parseBlend('green,purple')).toThrow(/unknown channel 'purple'/);
    expect(() => parseBlend('green,green')).toThrow(/appears twice/);
  });

  it('scales 8 and 16 bit samples to [0,1]', () => {
    expect([...toUnit({ width: 2, height: 1, depth: 8, data: Uint8Array.of(0, 255) })]).toEqual([0, 1]);
    const d16 = toUnit({ width: 2, height: 1, depth: 16, data: Uint16Array.of(65535, 32768) });
    expect(d16[0]).toBe(1);
    expect(d16[1]).toBeCloseTo(0.5, 4);
  });

  it('shows 3 planes as the model sees them and 4 with yellow in red and green', () => {
    const p = (v: number) => Float32Array.of(v);
    expect([...composite([p(0.2), p(0.4), p(0.6)], parseBlend('ybr'))]).toEqual([51, 102, 153]);
    expect([...composite([p(0.2), p(0.1), p(0.3), p(0.5)], parseBlend('rgby'))]).toEqual([179, 153, 77]);
    expect([...composite([p(0.5)], ['green'])]).toEqual([128, 128, 128]);
    expect([...composite([p(0.9), p(0.9), p(0), p(0.9)], parseBlend('rgby'))]).toEqual([255, 255, 0]);
  });
});

describe('writeBlendPng (the blend command)', () => {
  it('writes a viewable RGB PNG of one field, 16-bit input included', () => {
    writeTrainSet(dir, [['a', '1']], 10, 6);
    // replace one channel with a 16-bit file of the same size
    writePng(join(dir, 'train', 'a_yellow.png'), 10, 6, new Uint16Array(60).fill(65535));
    const out = join(dir, 'a.png');
    expect(writeBlendPng(dir, 'a', 'ybr', out)).toEqual({ width: 10, height: 6 });
    const png = decodeGray(readFileSync(out), out);
    expect(png.width).toBe(10);
    // the first channel of the composite is yellow, all 65535 -> 255
    expect(png.data[0]).toBe(255);
    const planes = readBlend(openDataset(dir), 'a', ['yellow']).planes[0];
    expect(planes.every((v) => v === 1)).toBe(true);
    expect(readGray(join(dir, 'train', 'a_yellow.png')).depth).toBe(16);
  });

  it('refuses to overwrite without force, and names unknown ids', () => {
    writeTrainSet(dir, [['a', '1']]);
    const out = join(dir, 'x.png');
    writeFileSync(out, 'keep me');
    expect(() => writeBlendPng(dir, 'a', 'rgb', out)).toThrow(/x\.png: already exists$/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    writeBlendPng(dir, 'a', 'rgb', out, true);
    expect(readFileSync(out).subarray(1, 4).toString()).toBe('PNG');
    expect(() => writeBlendPng(dir, 'zz', 'rgb', join(dir, 'y.png'))).toThrow(/ID 'zz' is not in .*train\.csv/);
    expect(existsSync(join(dir, 'y.png'))).toBe(false);
  });
});

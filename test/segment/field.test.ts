import { describe, expect, it } from 'vitest';
import { segmentField } from '../../pipeline/segment/field.js';
import { matchInstances, nucleusCoverage } from '../../pipeline/segment/match.js';
import type { GrayImage } from '../../pipeline/png.js';
import { CARTOON, TOUCHING_NUCLEI, cartoonField } from './fixtures.js';

describe('segmentField on a drawn field', () => {
  const { ch, truth } = cartoonField(256, CARTOON);

  it('finds every cell, splits the touching pair, keeps the edge cell', () => {
    const seg = segmentField(ch, { scale: 1 });
    const m = matchInstances(seg.cells, truth);
    expect(m.f1).toBeGreaterThanOrEqual(0.99);
    expect(m.meanIoU).toBeGreaterThan(0.8);
    expect(nucleusCoverage(seg.nuclei, truth)).toBe(1);
    expect(seg.warnings).toEqual([]);
  });

  it('numbers each nucleus like its cell and returns full-size labels at any scale', () => {
    const seg = segmentField(ch, { scale: 0.5 });
    expect(seg.cells.width).toBe(256);
    expect(seg.nuclei.count).toBe(seg.cells.count);
    for (let i = 0; i < seg.nuclei.data.length; i++) {
      if (seg.nuclei.data[i]) expect(seg.cells.data[i]).toBe(seg.nuclei.data[i]);
    }
    expect(matchInstances(seg.cells, truth).f1).toBeGreaterThanOrEqual(0.9);
  });

  it('splits touching nuclei at their waist (and only with a split depth below the waist)', () => {
    const pair = cartoonField(228, TOUCHING_NUCLEI, 3);
    const seg = segmentField(pair.ch, { scale: 1 });
    expect(seg.nuclei.count).toBe(2);
    expect(matchInstances(seg.cells, pair.truth).f1).toBe(1);
    expect(segmentField(pair.ch, { scale: 1, nuclei: { splitDepth: 40 } }).nuclei.count).toBe(1);
  });

  it('handles 16-bit channels the same way', () => {
    const to16 = (g: GrayImage): GrayImage => ({ ...g, depth: 16, data: Uint16Array.from(g.data, (v) => v * 257) });
    const seg = segmentField({ red: to16(ch.red), green: to16(ch.green), blue: to16(ch.blue), yellow: to16(ch.yellow) }, { scale: 1 });
    expect(matchInstances(seg.cells, truth).f1).toBeGreaterThanOrEqual(0.99);
  });
});

describe('segmentField on bad input', () => {
  const { ch } = cartoonField(128, [{ x: 64, y: 64, rx: 30, ry: 25, angle: 0 }]);
  const filled = (v: number): GrayImage => ({ width: 128, height: 128, depth: 8, data: new Uint8Array(128 * 128).fill(v) });

  it('an all-black or saturated blue channel gives 0 cells and a warning', () => {
    for (const v of [0, 255]) {
      const seg = segmentField({ ...ch, blue: filled(v) }, { scale: 1 }, 'F1');
      expect(seg.cells.count).toBe(0);
      expect(seg.cells.data.every((l) => l === 0)).toBe(true);
      expect(seg.warnings.join()).toMatch(/F1: blue channel is flat/);
    }
  });

  it('noise with no nuclei gives 0 cells and a warning', () => {
    const { ch: empty } = cartoonField(128, [], 5);
    const seg = segmentField(empty, { scale: 1 }, 'F2');
    expect(seg.cells.count).toBe(0);
    expect(seg.warnings.join()).toMatch(/F2: no nuclei found/);
  });

  it('flat cytoplasm channels are left out with a warning; both flat give 0 cells', () => {
    const one = segmentField({ ...ch, red: filled(255) }, { scale: 1 }, 'F3');
    expect(one.cells.count).toBe(1);
    expect(one.warnings.join()).toMatch(/red channel is flat/);
    const both = segmentField({ ...ch, red: filled(0), yellow: filled(0) }, { scale: 1 }, 'F4');
    expect(both.cells.count).toBe(0);
    expect(both.warnings.join()).toMatch(/no cytoplasm channel/);
  });

  it('a scale outside (0, 1] or a negative green weight is a one-line error', () => {
    expect(() => segmentField(ch, { scale: 0 })).toThrow(/^segment: scale must be in \(0, 1\], got 0$/);
    expect(() => segmentField(ch, { scale: Number('x') })).toThrow(/got NaN$/);
    expect(() => segmentField(ch, { greenWeight: -1 })).toThrow(/^segment: green weight must be >= 0, got -1$/);
  });

  it('channels of different sizes are a one-line error naming the field', () => {
    const small: GrayImage = { width: 64, height: 64, depth: 8, data: new Uint8Array(64 * 64) };
    expect(() => segmentField({ ...ch, yellow: small }, {}, 'F5')).toThrow(/^F5: channel yellow is 64x64 but blue is 128x128$/);
  });
});

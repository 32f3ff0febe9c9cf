import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random.js';
import { otsuThreshold } from '../../pipeline/segment/otsu.js';
import { fillHoles, fillLabelHoles } from '../../pipeline/segment/fill-holes.js';
import { distanceTransform } from '../../pipeline/segment/distance.js';
import { hMaximaMarkers, reconstructByDilation } from '../../pipeline/segment/seeds.js';
import { seededWatershed } from '../../pipeline/segment/watershed.js';
import { closeLabels, dilate, erode } from '../../pipeline/segment/morphology.js';
import { connectedComponents } from '../../pipeline/segment/components.js';
import { filterBySize, touchesBorder } from '../../pipeline/segment/sizes.js';
import { resizeLabels } from '../../pipeline/segment/resize-labels.js';
import { gaussianBlur } from '../../pipeline/segment/smooth.js';
import type { Labels } from '../../pipeline/segment/planes.js';

const fromRows = (rows: string[]): { mask: Uint8Array; w: number; h: number } => {
  const h = rows.length;
  const w = rows[0].length;
  const mask = new Uint8Array(w * h);
  rows.forEach((r, y) => [...r].forEach((c, x) => (mask[y * w + x] = c === '#' ? 1 : 0)));
  return { mask, w, h };
};
const labels = (w: number, h: number, data: number[]): Labels => ({ width: w, height: h, data: Uint32Array.from(data), count: Math.max(0, ...data) });

describe('otsu', () => {
  it('cuts between the two modes of a bimodal sample', () => {
    const rng = new Rng(1);
    const v = new Float32Array(2000);
    for (let i = 0; i < v.length; i++) v[i] = i % 3 === 0 ? 0.8 + 0.05 * rng.normal() : 0.2 + 0.05 * rng.normal();
    const t = otsuThreshold(v);
    expect(t).toBeGreaterThan(0.35);
    expect(t).toBeLessThan(0.65);
  });
  it('is NaN for constant data (nothing to separate)', () => {
    expect(otsuThreshold(new Float32Array(10).fill(3))).toBeNaN();
  });
  it('only looks inside the mask', () => {
    const v = Float32Array.from([0, 0, 10, 10, 100, 100]);
    const t = otsuThreshold(v, Uint8Array.from([1, 1, 1, 1, 0, 0]));
    expect(t).toBeGreaterThan(0);
    expect(t).toBeLessThan(10);
  });
});

describe('hole filling', () => {
  it('fills enclosed background but not a bay open to the border', () => {
    const { mask, w, h } = fromRows(['#####....', '#...#.#.#', '#####.#.#', '......###']);
    fillHoles(mask, w, h);
    expect(mask[1 * w + 2]).toBe(1);
    expect(mask[1 * w + 7]).toBe(0); // the bay at the top right reaches the border
  });
  it('gives a hole in a label image to the label around it', () => {
    const l = labels(5, 3, [1, 1, 1, 2, 2, 1, 0, 1, 2, 0, 1, 1, 1, 2, 2]);
    fillLabelHoles(l);
    expect(l.data[6]).toBe(1);
    expect(l.data[9]).toBe(0); // touches the border: not a hole
  });
});

describe('distance transform', () => {
  it('matches brute-force Euclidean distance on a random mask', () => {
    const rng = new Rng(7);
    const w = 23;
    const h = 17;
    const mask = new Uint8Array(w * h);
    for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < 0.85 ? 1 : 0;
    const d = distanceTransform(mask, w, h).data;
    for (let i = 0; i < mask.length; i++) {
      let best = Infinity;
      for (let j = 0; j < mask.length; j++) {
        if (mask[j]) continue;
        best = Math.min(best, Math.hypot((i % w) - (j % w), Math.floor(i / w) - Math.floor(j / w)));
      }
      expect(d[i]).toBeCloseTo(mask[i] ? best : 0, 4);
    }
  });
  it('does not treat the image edge as background', () => {
    const { mask, w, h } = fromRows(['#####', '####.']);
    expect(distanceTransform(mask, w, h).data[0]).toBeCloseTo(Math.hypot(4, 1), 5);
  });
});

describe('reconstruction and h-maxima', () => {
  it('reconstruction by dilation equals iterated geodesic dilation', () => {
    const rng = new Rng(3);
    const w = 19;
    const h = 13;
    const mask = new Float32Array(w * h);
    const marker = new Float32Array(w * h);
    for (let i = 0; i < mask.length; i++) {
      mask[i] = rng.next();
      marker[i] = rng.next() < 0.05 ? mask[i] : 0;
    }
    const fast = reconstructByDilation(marker, mask, w, h);
    let g = marker.slice();
    for (let changed = true; changed; ) {
      changed = false;
      const next = g.slice();
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let m = g[y * w + x];
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < w && yy < h) m = Math.max(m, g[yy * w + xx]);
          }
          const v = Math.min(m, mask[y * w + x]);
          if (v !== next[y * w + x]) changed = true;
          next[y * w + x] = v;
        }
      }
      g = next;
    }
    expect([...fast]).toEqual([...g]);
  });

  it('keeps two peaks split by a deep saddle, merges them when the saddle is shallow', () => {
    const w = 40;
    const h = 9;
    const f = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) f[y * w + x] = Math.max(10 - Math.abs(x - 10), 10 - Math.abs(x - 29)) * (1 - Math.abs(y - 4) / 10);
    }
    const inside = new Uint8Array(w * h).fill(1);
    // Two equal peaks of height 10 (x=10, x=29) joined by a saddle of about 0.5: dynamic ~9.5.
    expect(hMaximaMarkers({ width: w, height: h, data: f }, 3, inside).count).toBe(2);
    expect(hMaximaMarkers({ width: w, height: h, data: f }, 12, inside).count).toBe(1);
  });

  it('seeds every separate object, however low its peak', () => {
    const { mask, w, h } = fromRows(['##.......', '##...####', '.....####', '.....####']);
    const d = distanceTransform(mask, w, h);
    expect(hMaximaMarkers(d, 5, mask).count).toBe(2);
  });
});

describe('seeded watershed', () => {
  it('puts the border on the ridge and leaves unreachable pixels unlabelled', () => {
    const w = 11;
    const f = new Float32Array(w);
    for (let x = 0; x < w; x++) f[x] = x === 6 ? 5 : 0;
    const seeds = labels(w, 1, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    const allowed = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1]);
    const out = seededWatershed({ width: w, height: 1, data: f }, seeds, allowed);
    // Label 1 floods the low pixels 0..5 first; 2 is walled off by the disallowed pixel 9.
    expect([...out.data]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 2]);
  });
  it('splits a plateau halfway between two seeds', () => {
    const w = 10;
    const out = seededWatershed({ width: w, height: 1, data: new Float32Array(w) }, labels(w, 1, [1, 0, 0, 0, 0, 0, 0, 0, 0, 2]), new Uint8Array(w).fill(1));
    expect([...out.data]).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
  });
});

describe('morphology and labels', () => {
  it('dilates a point into a Euclidean disk and erodes it back', () => {
    const w = 9;
    const m = new Uint8Array(w * w);
    m[4 * w + 4] = 1;
    const d = dilate(m, w, w, 2);
    expect(d.reduce((a, b) => a + b, 0)).toBe(13);
    expect(erode(d, w, w, 2).reduce((a, b) => a + b, 0)).toBe(1);
  });
  it('closing a label bridges a notch without taking a neighbour', () => {
    const l = labels(7, 3, [1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]);
    closeLabels(l, 1.5);
    expect(l.data[3]).toBe(1);
    expect([...l.data.slice(14)]).toEqual([2, 2, 2, 2, 2, 2, 2]);
  });
  it('labels 8-connected components', () => {
    const { mask, w, h } = fromRows(['#..#', '.#.#', '....', '##..']);
    expect(connectedComponents(mask, w, h).count).toBe(3);
  });
  it('size filter renumbers and lets cut objects be smaller', () => {
    const l = labels(6, 2, [1, 0, 2, 2, 0, 3, 0, 0, 2, 2, 0, 0]);
    expect([...touchesBorder(l)]).toEqual([0, 1, 1, 1]);
    const map = filterBySize(l, 4, Infinity, 0.25);
    expect([...map]).toEqual([0, 1, 2, 3]);
    const l2 = labels(6, 2, [1, 0, 2, 2, 0, 3, 0, 0, 2, 2, 0, 0]);
    filterBySize(l2, 4, Infinity, 1);
    expect(l2.count).toBe(1);
    expect([...l2.data]).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0]);
  });
  it('nearest-neighbour label resize keeps labels intact', () => {
    const up = resizeLabels(labels(2, 2, [1, 2, 3, 0]), 4, 4);
    expect([...up.data]).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 0, 0, 3, 3, 0, 0]);
  });
  it('blur preserves the mean of a constant image and spreads a spike', () => {
    const w = 15;
    const p = { width: w, height: w, data: new Float32Array(w * w).fill(2) };
    expect(gaussianBlur(p, 2).data[0]).toBeCloseTo(2, 5);
    const s = { width: w, height: w, data: new Float32Array(w * w) };
    s.data[7 * w + 7] = 1;
    const b = gaussianBlur(s, 1.5).data;
    expect(b.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 4);
    expect(b[7 * w + 7]).toBeLessThan(0.2);
  });
});

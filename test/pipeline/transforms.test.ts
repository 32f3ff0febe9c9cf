import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random.js';
import { augment, DEFAULT_AUGMENT, NO_AUGMENT } from '../../pipeline/augment.js';
import { centerCrop, interleave, normalize, normStats, resizePlane, shorterSideSize } from '../../pipeline/transforms.js';

/** Plain definition of area resizing for integer factors: the mean of each f x f block. */
function blockMean(src: Float32Array, w: number, h: number, f: number): Float32Array {
  const out = new Float32Array((w / f) * (h / f));
  for (let y = 0; y < h / f; y++)
    for (let x = 0; x < w / f; x++) {
      let s = 0;
      for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += src[(y * f + dy) * w + x * f + dx];
      out[y * (w / f) + x] = s / (f * f);
    }
  return out;
}

const ramp = (w: number, h: number) => Float32Array.from({ length: w * h }, (_, i) => ((i * 7919) % 101) / 100);

describe('resizePlane', () => {
  it('downscales by block means for integer factors', () => {
    const src = ramp(16, 12);
    const got = resizePlane(src, 16, 12, 4, 3);
    const want = blockMean(src, 16, 12, 4);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  });

  it('weighs partly covered pixels by their coverage (3 -> 2)', () => {
    const got = resizePlane(Float32Array.of(0.3, 0.6, 0.9), 3, 1, 2, 1);
    expect(got[0]).toBeCloseTo((0.3 + 0.5 * 0.6) / 1.5, 6);
    expect(got[1]).toBeCloseTo((0.5 * 0.6 + 0.9) / 1.5, 6);
  });

  it('keeps the mean for fractional area factors (no aliasing loss of mass)', () => {
    const src = ramp(23, 17);
    const got = resizePlane(src, 23, 17, 7, 5);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(got)).toBeCloseTo(mean(src), 4);
  });

  it('is the identity at the same size and interpolates when upscaling', () => {
    const src = ramp(5, 4);
    expect([...resizePlane(src, 5, 4, 5, 4)].map((v) => +v.toFixed(6))).toEqual([...src].map((v) => +v.toFixed(6)));
    // 2 -> 4 along x, half-pixel centres: [a, .75a+.25b, .25a+.75b, b]
    const up = resizePlane(Float32Array.of(0, 1), 2, 1, 4, 1);
    [0, 0.25, 0.75, 1].forEach((v, i) => expect(up[i]).toBeCloseTo(v, 6));
    const single = resizePlane(Float32Array.of(0.5), 1, 1, 3, 2);
    expect([...single]).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('scales 8-bit samples into [0,1] as it goes', () => {
    const src = Uint8Array.from({ length: 16 }, () => 255);
    expect([...resizePlane(src, 4, 4, 2, 2, 1 / 255)].every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
  });

  it('refuses samples that do not fill the size', () => {
    expect(() => resizePlane(new Float32Array(10), 4, 4, 2, 2)).toThrow(/10 samples do not fill 4x4/);
  });
});

describe('crop, layout and normalisation', () => {
  it('resizes the shorter side like torchvision Resize(int)', () => {
    expect(shorterSideSize(2048, 2048, 256)).toEqual({ width: 256, height: 256 });
    expect(shorterSideSize(3000, 2000, 256)).toEqual({ width: 384, height: 256 });
    expect(shorterSideSize(1000, 3000, 256)).toEqual({ width: 256, height: 768 });
  });

  it('center crop takes the middle window', () => {
    const src = Float32Array.from({ length: 36 }, (_, i) => i); // 6x6
    expect([...centerCrop(src, 6, 6, 2, 2)]).toEqual([14, 15, 20, 21]);
    expect(() => centerCrop(src, 6, 6, 7, 6)).toThrow(/larger than the 6x6/);
  });

  it('interleaves planes into HWC', () => {
    const a = Float32Array.of(1, 2, 3);
    const b = Float32Array.of(10, 20, 30);
    expect([...interleave([a, b])]).toEqual([1, 10, 2, 20, 3, 30]);
  });

  it('normalises with ImageNet statistics by position, the 4th with their mean', () => {
    expect(normStats(3).mean).toBeCloseTo((0.485 + 0.456 + 0.406) / 3, 7);
    expect(normStats(3).std).toBeCloseTo((0.229 + 0.224 + 0.225) / 3, 7);
    const x = normalize(Float32Array.of(0.485, 0.456, 0.406, 0.449, 1, 1, 1, 1), 4);
    [0, 0, 0, 0].forEach((v, i) => expect(x[i]).toBeCloseTo(v, 5));
    expect(x[4]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(x[7]).toBeCloseTo((1 - 0.449) / 0.226, 4);
  });
});

describe('augment', () => {
  const w = 6;
  const c = 2;
  const img = Float32Array.from({ length: w * w * c }, (_, i) => i + 1);
  const pix = (a: Float32Array, x: number, y: number) => [a[(y * w + x) * c], a[(y * w + x) * c + 1]];

  it('does nothing when every part is off', () => {
    expect(augment(img, w, w, c, new Rng(3), NO_AUGMENT)).toBe(img);
  });

  it('flips and quarter turns are exact permutations of the pixels', () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = augment(img, w, w, c, new Rng(seed), { ...DEFAULT_AUGMENT, rotate: 0, skew: 0 });
      expect([...out].sort((a, b) => a - b)).toEqual([...img]);
      // channels stay together
      for (let i = 0; i < out.length; i += c) expect(out[i + 1] - out[i]).toBe(1);
    }
  });

  it('each switch alone does what it says', () => {
    const only = (o: Partial<typeof NO_AUGMENT>) => ({ ...NO_AUGMENT, ...o });
    let flipped = 0;
    for (let seed = 0; seed < 16; seed++) {
      const out = augment(img, w, w, c, new Rng(seed), only({ hflip: true }));
      if (out === img) continue;
      flipped++;
      for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) expect(pix(out, x, y)).toEqual(pix(img, w - 1 - x, y));
    }
    expect(flipped).toBeGreaterThan(2);
    for (let seed = 0; seed < 16; seed++) {
      const out = augment(img, w, w, c, new Rng(seed), only({ vflip: true }));
      if (out !== img) for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) expect(pix(out, x, y)).toEqual(pix(img, x, w - 1 - y));
    }
  });

  it('small rotations and skews keep the centre and are seeded', () => {
    const big = 33;
    const src = Float32Array.from({ length: big * big }, (_, i) => Math.sin(i));
    const opts = { ...NO_AUGMENT, rotate: 10, skew: 0.1 };
    const a = augment(src, big, big, 1, new Rng(5), opts);
    const b = augment(src, big, big, 1, new Rng(5), opts);
    const d = augment(src, big, big, 1, new Rng(6), opts);
    expect(a).toEqual(b);
    expect(a).not.toEqual(d);
    const mid = (big * big - 1) / 2;
    expect(a[mid]).toBeCloseTo(src[mid], 6);
    expect(a).not.toEqual(src);
  });
});

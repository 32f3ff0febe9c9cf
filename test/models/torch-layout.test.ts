import { describe, expect, it } from 'vitest';
import { fromTorchLayout, toTorchLayout } from '../../models/torch-layout.js';

const seq = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

describe('PyTorch <-> our layouts', () => {
  it('conv OIHW -> HWIO', () => {
    // O=2, I=3, H=1, W=2: torch index ((o*3+i)*1+h)*2+w
    const { shape, data } = fromTorchLayout('conv', [2, 3, 1, 2], seq(12));
    expect(shape).toEqual([1, 2, 3, 2]);
    // ours[h][w][i][o], listed with o fastest
    expect(Array.from(data)).toEqual([0, 6, 2, 8, 4, 10, 1, 7, 3, 9, 5, 11]);
  });

  it('depthwise [C,1,KH,KW] -> [KH,KW,C]', () => {
    const { shape, data } = fromTorchLayout('depthwise', [3, 1, 2, 2], seq(12));
    expect(shape).toEqual([2, 2, 3]);
    expect(Array.from(data)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  });

  it('linear [out,in] -> [in,out]', () => {
    const { shape, data } = fromTorchLayout('linear', [2, 3], seq(6));
    expect(shape).toEqual([3, 2]);
    expect(Array.from(data)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('vectors are unchanged, and every layout round-trips', () => {
    expect(Array.from(fromTorchLayout('vector', [4], seq(4)).data)).toEqual([0, 1, 2, 3]);
    const cases = [
      ['conv', [5, 3, 3, 3]],
      ['conv', [7, 4, 1, 1]],
      ['depthwise', [6, 1, 5, 5]],
      ['linear', [19, 8]],
    ] as const;
    for (const [layout, shape] of cases) {
      const n = shape.reduce((a: number, b: number) => a * b, 1);
      const src = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 100);
      const ours = fromTorchLayout(layout, shape, src);
      const back = toTorchLayout(layout, shape, ours.data);
      expect(back.shape).toEqual([...shape]);
      expect(back.data).toEqual(src);
    }
  });

  it('refuses shapes that do not fit', () => {
    expect(() => fromTorchLayout('depthwise', [3, 2, 2, 2], seq(24))).toThrow(/should be \[C, 1, KH, KW\]/);
    expect(() => fromTorchLayout('linear', [2, 3], seq(5))).toThrow(/does not hold 5 values/);
    expect(() => fromTorchLayout('conv', [2, 3], seq(6))).toThrow(/should have rank 4/);
  });
});

import { describe, expect, it } from 'vitest';
import { scheduledLr, WARMUP_FRACTION } from '../../pipeline/train/schedule.js';

describe('learning-rate schedules', () => {
  it('constant is the base rate at every step', () => {
    for (const s of [0, 7, 99]) expect(scheduledLr('constant', 3e-3, s, 100)).toBe(3e-3);
  });

  it('warmup-cosine ramps linearly over the first 10% of steps, peaks at lr, then falls as half a cosine toward 0', () => {
    const lr = 1e-3;
    const total = 200;
    const warm = WARMUP_FRACTION * total; // 20
    const at = (s: number) => scheduledLr('warmup-cosine', lr, s, total);
    expect(at(0)).toBeCloseTo(lr / warm, 15);
    expect(at(9)).toBeCloseTo((lr * 10) / warm, 15);
    expect(at(warm - 1)).toBeCloseTo(lr, 15);
    expect(at(warm)).toBeCloseTo(lr, 15); // the cosine starts at its top
    // half way through the decay: cos(pi/2) = 0, so half the rate
    expect(at(warm + (total - warm) / 2)).toBeCloseTo(lr / 2, 15);
    expect(at(total - 1)).toBeGreaterThan(0);
    expect(at(total - 1)).toBeLessThan(lr * 1e-3);
    for (let s = warm; s < total - 1; s++) expect(at(s + 1)).toBeLessThan(at(s));
    for (let s = 0; s < warm - 1; s++) expect(at(s + 1)).toBeGreaterThan(at(s));
  });

  it('a run of one step still trains at a rate', () => {
    expect(scheduledLr('warmup-cosine', 1e-3, 0, 1)).toBe(1e-3);
  });

  it('a step outside the run is refused by name', () => {
    expect(() => scheduledLr('warmup-cosine', 1e-3, -1, 10)).toThrow('schedule warmup-cosine: step -1 of 10 steps is not a step of the run');
    expect(() => scheduledLr('warmup-cosine', 1e-3, 1.5, 10)).toThrow('schedule warmup-cosine');
  });
});

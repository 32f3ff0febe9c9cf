import { describe, expect, it } from 'vitest';
import { planMemory } from '../../engine/memory-plan.js';

describe('memory plan by liveness', () => {
  it('shares a buffer between values whose lifetimes do not overlap, never between live ones', () => {
    const values = [
      { bytes: 1024, first: 0, last: 2 },
      { bytes: 512, first: 1, last: 3 },
      { bytes: 1024, first: 3, last: 5 }, // after the first: may take its buffer
      { bytes: 256, first: 4, last: 4 }, // after the second
      { bytes: 2048, first: 2, last: 6 },
    ];
    const plan = planMemory(values);
    for (let i = 0; i < values.length; i++) {
      for (let j = i + 1; j < values.length; j++) {
        const overlap = values[i].first <= values[j].last && values[j].first <= values[i].last;
        if (overlap) expect(plan.slot[i]).not.toBe(plan.slot[j]);
      }
      expect(plan.slots[plan.slot[i]]).toBeGreaterThanOrEqual(values[i].bytes);
    }
    expect(plan.slot[2]).toBe(plan.slot[0]);
    expect(plan.bytes).toBe(2048 + 1024 + 512);
    expect(plan.bytes).toBeLessThan(values.reduce((s, v) => s + v.bytes, 0));
  });

  it('plans nothing into nothing', () => {
    expect(planMemory([])).toEqual({ slot: [], slots: [], bytes: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { expectClose, expectCloseScalar, worstMismatch } from './compare.js';
import { numericGrad, numericVjp } from './gradcheck-numeric.js';
import { T, map, total } from './tensor.js';

describe('numericGrad', () => {
  it('recovers known gradients of several inputs and restores them', () => {
    const x = T([3], [1, -2, 0.5]);
    const y = T([2, 1], [3, 4]);
    // f = sum(x^3) + prod(y): df/dx = 3x^2, df/dy = the other entry
    const f = ([a, b]: typeof x[]): number => total(map(a, (v) => v ** 3)) + b.data[0] * b.data[1];
    const [gx, gy] = numericGrad(f, [x, y]);
    expectClose(gx, T([3], [3, 12, 0.75]), 1e-9, 'd/dx');
    expectClose(gy, T([2, 1], [4, 3]), 1e-9, 'd/dy');
    expect([...x.data]).toEqual([1, -2, 0.5]);
  });

  it('numericVjp is the gradient of sum(dy * f)', () => {
    const x = T([2], [0.3, 1.2]);
    const [g] = numericVjp(([a]) => map(a, Math.sin), [x], T([2], [2, -1]));
    expectClose(g, T([2], [2 * Math.cos(0.3), -Math.cos(1.2)]), 1e-9, 'vjp');
  });
});

describe('expectClose', () => {
  it('scales by the largest reference magnitude and names the worst element', () => {
    const e = T([2, 2], [100, 0, 0, 1]);
    expect(worstMismatch(T([2, 2], [100, 0.001, 0, 1]), e)?.error).toBeCloseTo(1e-5, 15);
    expect(() => expectClose(T([2, 2], [100, 0, 0.5, 1]), e, 1e-4, 'dw')).toThrow(
      'dw: scaled error 5.000e-3 > 0.0001 at [1, 0]: got 0.5, expected 0',
    );
    expect(() => expectClose(T([4]), e, 1, 'dx')).toThrow('dx: shape [4], expected [2, 2]');
  });

  it('treats NaN and Inf as wrong unless the reference has the same value', () => {
    expect(() => expectClose(T([2], [1, NaN]), T([2], [1, 2]), 1, 'y')).toThrow('got NaN, expected 2');
    expect(() => expectClose(T([1], [Infinity]), T([1], [Infinity]), 0, 'y')).not.toThrow();
    expect(() => expectCloseScalar(NaN, 1, 1, 'loss')).toThrow('loss: got NaN, expected 1');
  });
});

import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random.js';
import { expectClose } from './compare.js';
import {
  UNARY, add, binary, binaryBackward, broadcastShapes, broadcastTo, div, mul, pow, powScalarBackward,
  abs, relu, sigmoid, sub, sumToShape, swish, unaryBackward, type BinaryName, type UnaryName,
} from './elementwise.js';
import { numericGrad, numericVjp } from './gradcheck-numeric.js';
import { T, dot, map, rand, randn } from './tensor.js';

describe('unary references', () => {
  it('match hand values', () => {
    const x = T([4], [-2, 0, 1, 3]);
    expect([...relu(x).data]).toEqual([0, 0, 1, 3]);
    expect([...abs(x).data]).toEqual([2, 0, 1, 3]);
    expect(sigmoid(x).data[1]).toBe(0.5);
    expect(swish(x).data[2]).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    // the stable sigmoid form: no overflow, exact limits at +-800
    expect([...sigmoid(T([2], [-800, 800])).data]).toEqual([0, 1]);
  });

  const domains: Record<UnaryName, [number, number]> = {
    neg: [-3, 3], exp: [-3, 3], log: [0.2, 3], sqrt: [0.2, 3], sigmoid: [-6, 6], swish: [-6, 6], relu: [-3, 3], abs: [-3, 3],
  };
  for (const op of Object.keys(UNARY) as UnaryName[]) {
    it(`${op}: analytic backward equals central differences`, () => {
      const rng = new Rng(11);
      // keep relu and abs away from their kink, where a difference quotient straddles two slopes
      const x = map(rand([3, 5], rng, ...domains[op]), (v) => ((op === 'relu' || op === 'abs') && Math.abs(v) < 1e-3 ? 0.5 : v));
      const dy = randn([3, 5], rng);
      const [num] = numericVjp(([t]) => map(t, UNARY[op].f), [x], dy);
      expectClose(unaryBackward(op, x, dy), num, 1e-7, `${op} backward`);
    });
  }
});

describe('broadcasting', () => {
  it('follows NumPy rules', () => {
    expect(broadcastShapes([3, 1, 5], [4, 1])).toEqual([3, 4, 5]);
    expect(broadcastShapes([], [2, 3])).toEqual([2, 3]);
    expect(() => broadcastShapes([2, 3], [4, 3], 'add')).toThrow('add: shapes [2, 3] and [4, 3] do not broadcast');
  });

  it('binary ops broadcast a row and a column', () => {
    const col = T([2, 1], [1, 2]);
    const row = T([3], [10, 20, 30]);
    expect([...add(col, row).data]).toEqual([11, 21, 31, 12, 22, 32]);
    expect([...sub(col, row).data]).toEqual([-9, -19, -29, -8, -18, -28]);
    expect([...mul(col, row).data]).toEqual([10, 20, 30, 20, 40, 60]);
    expect([...div(row, col).data]).toEqual([10, 20, 30, 5, 10, 15]);
    expect([...pow(T([2], [2, 3]), T([2, 1], [2, 3])).data]).toEqual([4, 9, 8, 27]);
    expect([...pow(T([3], [1, 2, 4]), 0.5).data]).toEqual([1, Math.SQRT2, 2]);
  });

  it('sumToShape is the adjoint of broadcastTo', () => {
    const rng = new Rng(3);
    const small = randn([3, 1, 5], rng);
    const big = randn([2, 3, 4, 5], rng);
    expect(dot(broadcastTo(small, big.shape), big)).toBeCloseTo(dot(small, sumToShape(big, small.shape)), 12);
  });

  const cases: [number[], number[]][] = [
    [[3, 4], [3, 4]],
    [[2, 3, 5], [5]],
    [[3, 1], [1, 4]],
    [[1], [2, 3]],
  ];
  for (const op of ['add', 'sub', 'mul', 'div', 'pow'] as BinaryName[]) {
    it(`${op}: analytic backward (with broadcasting) equals central differences`, () => {
      const rng = new Rng(5);
      for (const [sa, sb] of cases) {
        // positive base and a divisor away from 0 keep pow and div smooth
        const a = rand(sa, rng, 0.5, 2);
        const b = rand(sb, rng, 0.5, 2);
        const dy = randn(broadcastShapes(sa, sb), rng);
        const num = numericVjp(([x, y]) => binary(op, x, y), [a, b], dy);
        const [da, db] = binaryBackward(op, a, b, dy);
        expectClose(da, num[0], 1e-7, `${op} d/da ${sa}x${sb}`);
        expectClose(db, num[1], 1e-7, `${op} d/db ${sa}x${sb}`);
      }
    });
  }

  it('pow with a scalar exponent: backward equals central differences', () => {
    const rng = new Rng(8);
    const x = rand([7], rng, 0.3, 2);
    const dy = randn([7], rng);
    const [num] = numericGrad(([t]) => dot(dy, pow(t, 2.5)), [x]);
    expectClose(powScalarBackward(x, 2.5, dy), num, 1e-7, 'pow scalar');
  });
});

import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import * as R from '../reference/elementwise.js';
import { T, rand, randn, map } from '../reference/tensor.js';
import { Rng } from '../../engine/random.js';
import { gradcheck, toGpu, toRef, useEngine } from '../helpers/engine.js';
import { expectClose } from '../reference/compare.js';

useEngine();
const rng = new Rng(1);
// Odd and non-multiple-of-4 shapes on purpose.
const SHAPES = [[1], [7], [3, 5], [2, 3, 7]];

describe('unary ops: forward vs reference and gradcheck', () => {
  const cases: [string, (x: E.Tensor) => E.Tensor, (x: number) => number, { lo: number; hi: number }][] = [
    ['neg', E.neg, R.UNARY.neg.f, { lo: -3, hi: 3 }],
    ['exp', E.exp, R.UNARY.exp.f, { lo: -3, hi: 3 }],
    ['log', E.log, R.UNARY.log.f, { lo: 0.5, hi: 3 }],
    ['sqrt', E.sqrt, R.UNARY.sqrt.f, { lo: 0.5, hi: 3 }],
    ['sigmoid', E.sigmoid, R.UNARY.sigmoid.f, { lo: -4, hi: 4 }],
    ['swish', E.swish, R.UNARY.swish.f, { lo: -4, hi: 4 }],
    ['relu', E.relu, R.UNARY.relu.f, { lo: -3, hi: 3 }],
    ['abs', E.abs, R.UNARY.abs.f, { lo: -3, hi: 3 }],
  ];
  for (const [name, op, f, range] of cases) {
    for (const shape of SHAPES) {
      it(`${name} ${JSON.stringify(shape)}`, async () => {
        let x = rand(shape, rng, range.lo, range.hi);
        // keep relu and abs away from their kink, where central differences are undefined
        if (name === 'relu' || name === 'abs') x = map(x, (v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
        await gradcheck({ name, inputs: [x], gpu: ([a]) => op(a), ref: ([a]) => map(a, f) });
      });
    }
  }

  it('abs at its kink: |0| = 0 with gradient 0, and -0 and signs either side', async () => {
    const x = toGpu(T([5], [-2, -0, 0, 1e-30, 3]), true);
    const y = E.abs(x);
    expectClose(await toRef(y), T([5], [2, 0, 0, Math.fround(1e-30), 3]), 0, 'abs forward');
    E.backward(y, { grad: toGpu(T([5], [1, 1, 1, 1, 1])) });
    expectClose(await toRef(x.grad!), T([5], [-1, 0, 0, 1, 1]), 0, 'abs grad');
  });

  it('pow with a scalar exponent, including negative bases with integer exponents', async () => {
    for (const e of [2, 3, 0.5, -1.5]) {
      const x = e % 1 === 0 ? rand([3, 5], rng, -2, 2) : rand([3, 5], rng, 0.5, 2);
      await gradcheck({ name: `pow^${e}`, inputs: [x], gpu: ([a]) => E.powScalar(a, e), ref: ([a]) => R.pow(a, e) });
    }
  });

  it('scalar arithmetic', async () => {
    const x = rand([4, 3], rng, 0.5, 2);
    await gradcheck({ name: 'addScalar', inputs: [x], gpu: ([a]) => E.addScalar(a, 1.5), ref: ([a]) => map(a, (v) => v + 1.5) });
    await gradcheck({ name: 'mulScalar', inputs: [x], gpu: ([a]) => E.mulScalar(a, -2), ref: ([a]) => map(a, (v) => v * -2) });
    await gradcheck({ name: 'rsubScalar', inputs: [x], gpu: ([a]) => E.rsubScalar(a, 1), ref: ([a]) => map(a, (v) => 1 - v) });
    await gradcheck({ name: 'rdivScalar', inputs: [x], gpu: ([a]) => E.rdivScalar(a, 2), ref: ([a]) => map(a, (v) => 2 / v) });
  });

  it('sigmoid and swish stay finite for |x| up to 100', async () => {
    const x = toGpu(T([4], [-100, -30, 30, 100]));
    const s = await toRef(E.sigmoid(x));
    const w = await toRef(E.swish(x));
    expectClose(s, T([4], [0, R.UNARY.sigmoid.f(-30), R.UNARY.sigmoid.f(30), 1]), 1e-6, 'sigmoid');
    expect([...w.data].every(Number.isFinite)).toBe(true);
  });
});

describe('binary ops with broadcasting', () => {
  const pairs: [number[], number[]][] = [
    [[3, 5], [3, 5]],
    [[2, 3, 5], [5]],
    [[2, 1, 5], [3, 1]],
    [[7], [1]],
    [[1, 4, 1], [3, 1, 6]],
  ];
  const ops = [
    ['add', E.add],
    ['sub', E.sub],
    ['mul', E.mul],
    ['div', E.div],
    ['pow', E.pow],
  ] as const;
  for (const [name, op] of ops) {
    for (const [sa, sb] of pairs) {
      it(`${name} ${JSON.stringify(sa)} x ${JSON.stringify(sb)}`, async () => {
        const a = name === 'pow' ? rand(sa, rng, 0.5, 2) : randn(sa, rng);
        const b = name === 'div' ? rand(sb, rng, 0.5, 2) : name === 'pow' ? rand(sb, rng, -1.5, 1.5) : randn(sb, rng);
        await gradcheck({ name, inputs: [a, b], gpu: ([x, y]) => op(x, y), ref: ([x, y]) => R.binary(name, x, y) });
      });
    }
  }

  it('names the op and both shapes on a broadcast mismatch', () => {
    const a = toGpu(T([2, 3]));
    const b = toGpu(T([4]));
    expect(() => E.add(a, b)).toThrow(/add: shapes \[2,3\] and \[4\] cannot be broadcast/);
  });
});

import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import * as R from '../reference/reduce.js';
import { T, randn } from '../reference/tensor.js';
import { Rng } from '../../engine/random.js';
import { gradcheck, toGpu, toRef, useEngine } from '../helpers/engine.js';
import { expectClose } from '../reference/compare.js';

useEngine();
const rng = new Rng(2);

const CASES: [number[], number[] | undefined, boolean][] = [
  [[7], undefined, false],
  [[3, 5], [1], false],
  [[3, 5], [0], true],
  [[2, 3, 5], [0, 2], false],
  [[2, 3, 5, 3], [0, 1, 2], true], // NHWC per-channel statistics
  [[1, 9, 1], [1], false],
  [[600], [0], false], // long reduction: one workgroup cooperates
  [[2, 300, 3], [1], true],
];

describe('sum, mean and max over axes', () => {
  const ops = [
    ['sum', E.sum, R.sum],
    ['mean', E.mean, R.mean],
    ['max', E.max, R.max],
  ] as const;
  for (const [name, op, ref] of ops) {
    for (const [shape, axes, keep] of CASES) {
      it(`${name} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)} keepDims ${keep}`, async () => {
        await gradcheck({
          name,
          inputs: [randn(shape, rng)],
          gpu: ([x]) => op(x, axes, keep),
          ref: ([x]) => ref(x, axes, keep),
          fwdTol: 1e-5,
        });
      });
    }
  }

  it('max shares the gradient among ties', async () => {
    const x = toGpu(T([4], [1, 3, 3, 2]), true);
    const y = E.max(x);
    E.backward(y);
    expectClose(await toRef(x.grad!), T([4], [0, 0.5, 0.5, 0]), 1e-7, 'tie grad');
  });

  it('names the op on a bad axis', () => {
    expect(() => E.sum(toGpu(T([2, 3])), [2])).toThrow(/sum: axis 2 out of range for rank 2/);
  });
});

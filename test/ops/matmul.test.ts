import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import * as R from '../reference/matmul.js';
import { add } from '../reference/elementwise.js';
import { T, randn } from '../reference/tensor.js';
import { Rng } from '../../engine/random.js';
import { gradcheck, toGpu, useEngine } from '../helpers/engine.js';

useEngine();
const rng = new Rng(4);

describe('matmul op: forward vs reference and gradcheck', () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[1, 1], [1, 1], false, false],
    [[7, 13], [13, 5], false, false],
    [[13, 7], [13, 5], true, false],
    [[7, 13], [5, 13], false, true],
    [[13, 7], [5, 13], true, true],
    [[3, 7, 9], [3, 9, 6], false, false],
    [[3, 7, 9], [9, 6], false, false], // shared weight over a batch
    [[9, 7], [2, 9, 6], true, false], // broadcast A
    [[33, 65], [65, 17], false, false],
  ];
  for (const [sa, sb, tA, tB] of cases) {
    it(`${JSON.stringify(sa)}${tA ? 'ᵀ' : ''} x ${JSON.stringify(sb)}${tB ? 'ᵀ' : ''}`, async () => {
      await gradcheck({
        name: 'matmul',
        inputs: [randn(sa, rng), randn(sb, rng)],
        gpu: ([a, b]) => E.matmul(a, b, { transposeA: tA, transposeB: tB }),
        ref: ([a, b]) => R.matmul(a, b, { transposeA: tA, transposeB: tB }),
        gradTol: 2e-4,
      });
    });
  }

  it('with a fused bias (Linear)', async () => {
    await gradcheck({
      name: 'matmul+bias',
      inputs: [randn([6, 11], rng), randn([11, 5], rng), randn([5], rng)],
      gpu: ([a, b, c]) => E.matmul(a, b, { bias: c }),
      ref: ([a, b, c]) => add(R.matmul(a, b), c),
    });
  });

  it('names the op and shapes on mismatched inner dims', () => {
    expect(() => E.matmul(toGpu(T([2, 3])), toGpu(T([4, 5])))).toThrow(/matmul: inner dims differ: \[2,3\] x \[4,5\]/);
    expect(() => E.matmul(toGpu(T([3])), toGpu(T([3, 2])))).toThrow(/matmul: operands need rank >= 2/);
  });
});

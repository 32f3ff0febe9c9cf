/**
 * The ops that run on matmul (matmul itself, linear, the 1x1 conv's GEMM route, squeeze-excite),
 * forward vs the float64 reference and gradcheck, under every variant an adapter can get:
 * HPA_MATMUL=subgroup|tiled|basic, the override the op reads at each call. Lavapipe picks
 * 'subgroup'; real GPUs get 'tiled' and adapters without subgroups 'basic', so those must be
 * proven on the op level too, not only the kernel level (matmul-kernel.test.ts). A gradcheck
 * runs backward, which is where the A-only (dB = A^T dC) and B-only (dA = dC B^T) transposes
 * come from. Each case is profiled so the test also proves the forced variant is what ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { canRunSubgroupVariant, MATMUL_VARIANTS, whyNoSubgroupVariant, type MatmulVariant } from '../../kernels/matmul.js';
import * as R from '../reference/matmul.js';
import { add } from '../reference/elementwise.js';
import { conv2d } from '../reference/conv.js';
import { linear } from '../reference/linear.js';
import { squeezeExcite } from '../reference/squeeze-excite.js';
import { randn } from '../reference/tensor.js';
import { gradcheck, useEngine, type GradcheckCase } from '../helpers/engine.js';

useEngine();

interface OpCase {
  name: string;
  make: (rng: E.Rng) => GradcheckCase;
}

const mm = (sa: number[], sb: number[], tA: boolean, tB: boolean): OpCase => ({
  name: `matmul ${JSON.stringify(sa)}${tA ? 'ᵀ' : ''} x ${JSON.stringify(sb)}${tB ? 'ᵀ' : ''}`,
  make: (rng) => ({
    name: 'matmul',
    inputs: [randn(sa, rng), randn(sb, rng)],
    gpu: ([a, b]) => E.matmul(a, b, { transposeA: tA, transposeB: tB }),
    ref: ([a, b]) => R.matmul(a, b, { transposeA: tA, transposeB: tB }),
    gradTol: 2e-4,
  }),
});

const CASES: OpCase[] = [
  mm([1, 1], [1, 1], false, false),
  // odd sizes, each transpose alone and both
  mm([7, 13], [13, 5], false, false),
  mm([13, 7], [13, 5], true, false),
  mm([7, 13], [5, 13], false, true),
  mm([13, 7], [5, 13], true, true),
  // past one 64x64 tile of the tiled variant, with ragged edges
  mm([67, 19], [19, 33], false, false),
  mm([19, 67], [33, 19], true, true),
  // vec4-friendly sizes (the vector load paths)
  mm([12, 8], [12, 16], true, false),
  mm([8, 12], [16, 12], false, true),
  // batches: equal, B broadcast (a shared weight), A broadcast; backward sums the shared one
  mm([3, 5, 9], [3, 9, 6], false, false),
  mm([3, 7, 9], [9, 6], false, false),
  mm([2, 9, 7], [6, 9], true, true),
  mm([9, 7], [2, 9, 6], true, false),
  mm([7, 9], [2, 6, 9], false, true),
  {
    name: 'matmul + bias',
    make: (rng) => ({
      name: 'matmul+bias',
      inputs: [randn([6, 11], rng), randn([11, 5], rng), randn([5], rng)],
      gpu: ([a, b, c]) => E.matmul(a, b, { bias: c }),
      ref: ([a, b, c]) => add(R.matmul(a, b), c),
    }),
  },
  {
    name: 'linear, batch 3, 10 -> 7',
    make: (rng) => ({
      name: 'linear',
      inputs: [randn([3, 10], rng), randn([10, 7], rng), randn([7], rng)],
      gpu: ([x, w, b]) => E.linear(x, w, b),
      ref: ([x, w, b]) => linear(x, w, b),
    }),
  },
  {
    name: 'conv2d 1x1 (GEMM route), 6 -> 10, odd HW',
    make: (rng) => ({
      name: 'conv2d 1x1',
      inputs: [randn([2, 3, 5, 6], rng), randn([1, 1, 6, 10], rng), randn([10], rng)],
      gpu: ([x, w, b]) => E.conv2d(x, w, { bias: b }),
      ref: ([x, w, b]) => conv2d(x, w, b, { stride: 1, padding: 0 }),
    }),
  },
  {
    name: 'squeezeExcite x [2,3,4,7], squeeze 2',
    make: (rng) => ({
      name: 'squeezeExcite',
      inputs: [randn([2, 3, 4, 7], rng), randn([7, 2], rng, 0.5), randn([2], rng, 0.2), randn([2, 7], rng, 0.5), randn([7], rng, 0.2)],
      gpu: ([x, w1, b1, w2, b2]) => E.squeezeExcite(x, w1, b1, w2, b2),
      ref: ([x, wReduce, bReduce, wExpand, bExpand]) => squeezeExcite(x, { wReduce, bReduce, wExpand, bExpand }),
    }),
  },
];

for (const variant of MATMUL_VARIANTS) {
  describe(`ops on matmul with HPA_MATMUL=${variant}`, () => {
    const before = process.env.HPA_MATMUL;
    beforeAll(() => {
      process.env.HPA_MATMUL = variant;
      const rt = E.runtime();
      if (variant === 'subgroup' && !canRunSubgroupVariant(rt.ctx.summary, rt.features)) console.warn(`SKIPPED: ops under HPA_MATMUL=subgroup on ${rt.ctx.summary.name}: ${whyNoSubgroupVariant(rt.ctx.summary, rt.features)}`);
    });
    afterAll(() => {
      if (before === undefined) delete process.env.HPA_MATMUL;
      else process.env.HPA_MATMUL = before;
    });
    CASES.forEach((c, i) => {
      it(c.name, async (t) => {
        const rt = E.runtime();
        if (variant === 'subgroup' && !canRunSubgroupVariant(rt.ctx.summary, rt.features)) t.skip(whyNoSubgroupVariant(rt.ctx.summary, rt.features) ?? undefined);
        const { dispatches } = await E.profile(rt, () => gradcheck(c.make(new E.Rng(300 + i))));
        const ran = new Set(dispatches.map((d) => d.family).filter((f) => f.startsWith('matmul:')));
        // forward and both operand gradients at least, all in the forced variant
        expect([...ran]).toEqual([`matmul:${variant satisfies MatmulVariant}`]);
        expect(dispatches.filter((d) => d.family.startsWith('matmul:')).length).toBeGreaterThanOrEqual(3);
      });
    });
  });
}

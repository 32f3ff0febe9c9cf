/**
 * An adapter without subgroups or shader-f16 must get kernels that need neither (issue 14).
 * Lavapipe has both, so the device is opened with them masked (HPA_MASK_FEATURES, read by
 * acquireDevice): the engine must then choose the 'basic' matmul, and the ops on it must
 * compile and agree with their references. A kernel that still used subgroups would fail
 * shader compilation here instead of on a user's GPU.
 */
import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { chooseMatmulVariant } from '../../kernels/matmul.js';
import * as R from '../reference/matmul.js';
import { conv2d } from '../reference/conv.js';
import { randn } from '../reference/tensor.js';
import { gradcheck, useEngine } from '../helpers/engine.js';

// vitest runs each file in a process of its own, so this reaches only this file's device
process.env.HPA_MASK_FEATURES = 'subgroups,shader-f16';
delete process.env.HPA_MATMUL;
useEngine();

describe('a device opened without subgroups and shader-f16', () => {
  it('lacks the masked features and picks the basic matmul', () => {
    const rt = E.runtime();
    expect(rt.features.has('subgroups')).toBe(false);
    expect(rt.features.has('shader-f16')).toBe(false);
    expect(rt.device.features.has('subgroups')).toBe(false);
    expect(chooseMatmulVariant(rt.ctx.summary, rt.features)).toBe('basic');
    expect(() => {
      process.env.HPA_MATMUL = 'subgroup';
      try {
        chooseMatmulVariant(rt.ctx.summary, rt.features);
      } finally {
        delete process.env.HPA_MATMUL;
      }
    }).toThrow(/HPA_MATMUL=subgroup needs the 'subgroups' feature/);
  });

  it('runs matmul with both single transposes, forward and gradients', async () => {
    const rng = new E.Rng(11);
    const { dispatches } = await E.profile(E.runtime(), () =>
      gradcheck({
        name: 'matmul',
        inputs: [randn([2, 9, 7], rng), randn([7, 5], rng)],
        gpu: ([a, b]) => E.matmul(a, b),
        ref: ([a, b]) => R.matmul(a, b),
        gradTol: 2e-4,
      }),
    );
    expect(new Set(dispatches.filter((d) => d.family.startsWith('matmul')).map((d) => d.family))).toEqual(new Set(['matmul:basic']));
  });

  it('runs a 1x1 convolution (its GEMM route) with gradients', async () => {
    // Only the subgroup matmul enables a feature (grep 'enable ' kernels/): the direct and
    // depthwise convolutions need none, so matmul and its GEMM route are what masking can break.
    const rng = new E.Rng(12);
    await gradcheck({
      name: 'conv2d 1x1',
      inputs: [randn([1, 3, 4, 8], rng), randn([1, 1, 8, 4], rng)],
      gpu: ([x, w]) => E.conv2d(x, w),
      ref: ([x, w]) => conv2d(x, w, undefined, { stride: 1, padding: 0 }),
    });
  });
});

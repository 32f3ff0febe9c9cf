/**
 * conv2d on the GPU: forward vs the float64 reference and gradcheck on the shared edge
 * cases plus shapes that reach every kernel variant (vec4 and scalar channels, the
 * unrolled stem path, the looped general path, groups, multiplier > 1, the GEMM route
 * for 1x1 and the depthwise route for groups = channels); a larger shape against the
 * reference's analytic backward (multi-row chunks in the two-pass weight gradient);
 * random cases against the tfjs oracle; bad input.
 */
import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { Rng } from '../../engine/random.js';
import { CONV_CASES, type ConvCase } from '../reference/cases.js';
import { conv2d, conv2dBackward, type ConvOptions } from '../reference/conv.js';
import { expectClose } from '../reference/compare.js';
import { randn, type RefTensor } from '../reference/tensor.js';
import { tfConv2d } from '../oracle/tf.js';
import { expectConvForwardBackward, expectSharedPipelines, f32, gradcheck, toGpu, toRef, useEngine } from '../helpers/engine.js';

useEngine();

const EXTRA: ConvCase[] = [
  { name: 'stem path: k3 s2 same, Cin 4 -> 32 (vec4 couts, all taps unrolled)', x: [2, 9, 8, 4], KH: 3, KW: 3, Cout: 32, stride: 2, padding: 'same' },
  { name: 'stem path: k3 s2 pad1, Cin 3 -> 16', x: [1, 7, 7, 3], KH: 3, KW: 3, Cout: 16, stride: 2, padding: 1 },
  { name: 'general path, vec4 in and out: k3 s1 pad1, 8 -> 12', x: [2, 5, 6, 8], KH: 3, KW: 3, Cout: 12, stride: 1, padding: 1 },
  { name: 'general path, vec4: k5 s2 same, odd HW, 8 -> 8', x: [1, 9, 7, 8], KH: 5, KW: 5, Cout: 8, stride: 2, padding: 'same' },
  { name: 'grouped g2, 4 in / 8 out per group, s2 same', x: [1, 6, 5, 8], KH: 3, KW: 3, Cout: 16, stride: 2, padding: 'same', groups: 2 },
  { name: 'groups = Cin with multiplier 2', x: [2, 5, 5, 3], KH: 3, KW: 3, Cout: 6, stride: 1, padding: 1, groups: 3 },
  { name: 'groups = channels, C8 (depthwise route, vec4)', x: [1, 6, 7, 8], KH: 5, KW: 5, Cout: 8, stride: 1, padding: 'same', groups: 8 },
  { name: 'k1 s1 pointwise, vec4 (GEMM route)', x: [1, 4, 3, 8], KH: 1, KW: 1, Cout: 12, stride: 1, padding: 0 },
  { name: 'k3 s3 stride larger than half the kernel', x: [1, 8, 10, 2], KH: 3, KW: 3, Cout: 3, stride: 3, padding: 1 },
];

function inputs(c: ConvCase, rng: Rng, bias: boolean): RefTensor[] {
  const groups = c.groups ?? 1;
  const xs = [randn(c.x, rng), randn([c.KH, c.KW, c.x[3] / groups, c.Cout], rng)];
  if (bias) xs.push(randn([c.Cout], rng));
  return xs;
}

const opts = (c: ConvCase, bias?: E.Tensor): E.Conv2dOptions => ({ stride: c.stride, padding: c.padding, groups: c.groups, bias });

const NO_BIAS = ['k3 s1 same, odd HW', 'k5 s2 pad2', 'stem path: k3 s2 pad1, Cin 3 -> 16', 'general path, vec4 in and out: k3 s1 pad1, 8 -> 12', 'groups = channels, C8 (depthwise route, vec4)', 'k1 s1 pointwise, vec4 (GEMM route)'];

describe('conv2d forward and gradcheck', () => {
  const rng = new Rng(3);
  for (const c of [...CONV_CASES, ...EXTRA]) {
    // The bias only changes the forward kernel's last line: without it on a few paths is enough.
    for (const bias of NO_BIAS.includes(c.name) ? [true, false] : [true]) {
      it(`${c.name}${bias ? ' + bias' : ''}`, async () => {
        await gradcheck({
          name: c.name,
          inputs: inputs(c, rng, bias),
          gpu: ([x, w, b]) => E.conv2d(x, w, opts(c, b)),
          ref: ([x, w, b]) => conv2d(x, w, b, c),
        });
      });
    }
  }
});

/** The case's y, dx, dw and db against the float64 reference. */
const expectForwardBackward = (c: ConvCase, rng: Rng) =>
  expectConvForwardBackward(
    { name: c.name, gpu: (x, w, b) => E.conv2d(x, w, opts(c, b)), forward: (x, w, b) => conv2d(x, w, b, c), backward: (x, w, dy) => conv2dBackward(x, w, dy, c) },
    inputs(c, rng, true),
    rng,
  );

describe('conv2d at a larger shape vs the analytic reference backward', () => {
  // 40 output rows and enough channels that the weight gradient takes several rows per chunk.
  const cases: ConvCase[] = [
    { name: 'k3 s1 8 -> 16', x: [2, 20, 9, 8], KH: 3, KW: 3, Cout: 16, stride: 1, padding: 1 },
    { name: 'stem k3 s2 same 3 -> 32', x: [2, 33, 30, 3], KH: 3, KW: 3, Cout: 32, stride: 2, padding: 'same' },
  ];
  for (const c of cases) {
    it(c.name, () => expectForwardBackward(c, new Rng(11)));
  }

  it('skips the input gradient when the input needs none (the stem on images)', async () => {
    const rng = new Rng(5);
    const x = toGpu(randn([1, 8, 8, 3], rng));
    const w = toGpu(randn([3, 3, 3, 8], rng), true);
    const before = E.runtime().stats.dispatches;
    E.backward(E.sum(E.conv2d(x, w, { stride: 2, padding: 'same' })));
    // forward, sum, ones, sum's backward, the weight-gradient pair: no grad-input kernel
    expect(E.runtime().stats.dispatches - before).toBeLessThanOrEqual(6);
    expect(w.grad).not.toBeNull();
    expect(x.grad).toBeNull();
  });
});

/**
 * The direct kernels take batch, map sizes and padding as uniforms (the general path its
 * channel counts too; the unrolled stem path bakes them for constant weight indices), so
 * each pair below runs through the same pipelines: the second shape's forward and backward
 * create none. The first of each pair is an EXTRA case whose pipelines the gradchecks made.
 */
describe('conv2d: one pipeline per pass for every batch, map size and padding', () => {
  const pairs: [ConvCase, ConvCase][] = [
    [EXTRA[1], { name: 'stem path 3 -> 16, batch 2, 12x15 valid', x: [2, 12, 15, 3], KH: 3, KW: 3, Cout: 16, stride: 2, padding: 0 }],
    [EXTRA[2], { name: 'general path g2 16 -> 40, 7x4 pad2', x: [1, 7, 4, 16], KH: 3, KW: 3, Cout: 40, stride: 1, padding: 2, groups: 2 }],
  ];
  for (const [a, b] of pairs) {
    it(`${a.name} and ${b.name}`, async () => {
      const rng = new Rng(17);
      await expectSharedPipelines(() => expectForwardBackward(a, rng), () => expectForwardBackward(b, rng));
    });
  }
});

describe('conv2d vs the tfjs oracle on random cases', () => {
  const rng = new Rng(2024);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  for (let k = 0; k < 6; k++) {
    const groups = pick([1, 1, 2, 3]);
    const Cin = groups * (1 + rng.int(4));
    const Cout = groups * (1 + rng.int(4));
    const KH = pick([1, 3, 5]);
    const KW = pick([1, 3, KH]);
    const stride = k % 2 === 0 ? 1 : 2;
    const padding = pick<ConvOptions['padding']>(['same', 0, 1, 2]);
    const x: [number, number, number, number] = [1 + rng.int(2), 5 + rng.int(6), 5 + rng.int(6), Cin];
    const c: ConvCase = { name: `random ${k}`, x, KH, KW, Cout, stride, padding, groups };
    it(`${c.name}: x ${JSON.stringify(x)} k${KH}x${KW} s${stride} pad ${padding} groups ${groups} -> ${Cout}`, async () => {
      const [xr, wr, br] = inputs(c, rng, true).map(f32);
      const [gx, gw, gb] = [toGpu(xr, true), toGpu(wr, true), toGpu(br, true)];
      const y = E.conv2d(gx, gw, opts(c, gb));
      const dy = f32(randn(y.shape, rng));
      const tf = await tfConv2d(xr, wr, br, c, dy);
      expectClose(await toRef(y), tf.y, 1e-4, `${c.name} y`);
      E.backward(y, { grad: toGpu(dy) });
      expectClose(await toRef(gx.grad!), tf.dx, 1e-4, `${c.name} dx`);
      expectClose(await toRef(gw.grad!), tf.dw, 1e-4, `${c.name} dw`);
      expectClose(await toRef(gb.grad!), tf.db!, 1e-4, `${c.name} db`);
    });
  }
});

describe('conv2d bad input: one-line errors naming the op and shapes', () => {
  const z = (shape: number[]) => E.zeros(shape);
  const cases: [string, () => unknown, RegExp][] = [
    ['rank-3 input', () => E.conv2d(z([4, 4, 3]), z([3, 3, 3, 8])), /^conv2d: input #\d+\[4,4,3\] must be NHWC \(rank 4\)$/],
    ['rank-3 weight', () => E.conv2d(z([1, 4, 4, 3]), z([3, 3, 8])), /^conv2d: weight #\d+\[3,3,8\] must be HWIO/],
    ['channel mismatch', () => E.conv2d(z([1, 4, 4, 3]), z([3, 3, 4, 8])), /^conv2d: input #\d+\[1,4,4,3\] has 3 channels but weight #\d+\[3,3,4,8\]/],
    ['groups do not divide Cout', () => E.conv2d(z([1, 4, 4, 4]), z([3, 3, 2, 5]), { groups: 2 }), /^conv2d: .*groups 2/],
    ['kernel larger than padded input', () => E.conv2d(z([1, 3, 3, 2]), z([5, 5, 2, 4]), { padding: 0 }), /^conv2d: kernel 5x5 .* larger than the padded input 3x3 \(input #\d+\[1,3,3,2\]/],
    ['bias shape', () => E.conv2d(z([1, 4, 4, 2]), z([3, 3, 2, 4]), { bias: z([3]) }), /^conv2d: bias #\d+\[3\] must have shape \[4\]/],
    ['bad stride', () => E.conv2d(z([1, 4, 4, 2]), z([3, 3, 2, 4]), { stride: 0 }), /^conv2d: stride 0/],
  ];
  for (const [name, fn, re] of cases) {
    it(name, () => {
      let msg = '';
      try {
        fn();
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(re);
      expect(msg).not.toContain('\n');
    });
  }
});

/**
 * depthwiseConv2d on the GPU: forward vs the float64 reference and gradcheck on the
 * shared edge cases plus vec4 channels (C % 4 == 0), k7, an even kernel and unequal
 * strides; larger shapes against the reference's analytic backward (several pixel
 * blocks per row, several rows per weight-gradient chunk); random cases against the
 * tfjs oracle; bad input.
 */
import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { Rng } from '../../engine/random.js';
import { DEPTHWISE_CASES, type DepthwiseCase } from '../reference/cases.js';
import { depthwiseConv2d, depthwiseConv2dBackward, type ConvOptions } from '../reference/conv.js';
import { expectClose } from '../reference/compare.js';
import { randn, type RefTensor } from '../reference/tensor.js';
import { tfDepthwiseConv2d } from '../oracle/tf.js';
import { expectConvForwardBackward, expectSharedPipelines, f32, gradcheck, toGpu, toRef, useEngine } from '../helpers/engine.js';

useEngine();

const EXTRA: DepthwiseCase[] = [
  { name: 'k3 s1 same, C8 vec4, W 9 (partial pixel block)', x: [2, 5, 9, 8], KH: 3, KW: 3, stride: 1, padding: 'same' },
  { name: 'k3 s2 same, C12 vec4, odd HW', x: [1, 7, 9, 12], KH: 3, KW: 3, stride: 2, padding: 'same' },
  { name: 'k5 s2 same, C4 vec4, even HW', x: [2, 8, 6, 4], KH: 5, KW: 5, stride: 2, padding: 'same' },
  { name: 'k5 s1 pad2, C4, batch 1', x: [1, 5, 7, 4], KH: 5, KW: 5, stride: 1, padding: 2 },
  { name: 'k5 s1 same, C8 vec4, W 8 (one 8-wide block spans each row)', x: [2, 6, 8, 8], KH: 5, KW: 5, stride: 1, padding: 'same' },
  { name: 'k7 s1 pad3, C3', x: [1, 7, 8, 3], KH: 7, KW: 7, stride: 1, padding: 3 },
  { name: 'k2x3 stride [1,2] asymmetric pad, C5', x: [2, 5, 7, 5], KH: 2, KW: 3, stride: [1, 2], padding: { top: 1, bottom: 0, left: 0, right: 2 } },
  { name: 'k3 s3 valid, C4', x: [1, 9, 10, 4], KH: 3, KW: 3, stride: 3, padding: 0 },
];

function inputs(c: DepthwiseCase, rng: Rng, bias: boolean): RefTensor[] {
  const C = c.x[3];
  const xs = [randn(c.x, rng), randn([c.KH, c.KW, C], rng)];
  if (bias) xs.push(randn([C], rng));
  return xs;
}

const opts = (c: DepthwiseCase, bias?: E.Tensor): E.DepthwiseConv2dOptions => ({ stride: c.stride, padding: c.padding, bias });

const NO_BIAS = ['k3 s1 same, C5', 'k3 s2 same, C12 vec4, odd HW'];

describe('depthwiseConv2d forward and gradcheck', () => {
  const rng = new Rng(4);
  for (const c of [...DEPTHWISE_CASES, ...EXTRA]) {
    // The bias only changes the forward kernel's last line: without it on a few paths is enough.
    for (const bias of NO_BIAS.includes(c.name) ? [true, false] : [true]) {
      it(`${c.name}${bias ? ' + bias' : ''}`, async () => {
        await gradcheck({
          name: c.name,
          inputs: inputs(c, rng, bias),
          gpu: ([x, w, b]) => E.depthwiseConv2d(x, w, opts(c, b)),
          ref: ([x, w, b]) => depthwiseConv2d(x, w, b, c),
        });
      });
    }
  }
});

/** The case's y, dx, dw and db against the float64 reference. */
const expectForwardBackward = (c: DepthwiseCase, rng: Rng) =>
  expectConvForwardBackward(
    { name: c.name, gpu: (x, w, b) => E.depthwiseConv2d(x, w, opts(c, b)), forward: (x, w, b) => depthwiseConv2d(x, w, b, c), backward: (x, w, dy) => depthwiseConv2dBackward(x, w, dy, c) },
    inputs(c, rng, true),
    rng,
  );

describe('depthwiseConv2d at larger shapes vs the analytic reference backward', () => {
  const cases: DepthwiseCase[] = [
    { name: 'k3 s1 same, C64', x: [2, 24, 19, 64], KH: 3, KW: 3, stride: 1, padding: 'same' },
    { name: 'k5 s2 same, C36', x: [3, 17, 22, 36], KH: 5, KW: 5, stride: 2, padding: 'same' },
    { name: 'k3 s2 pad1, C30 (scalar)', x: [2, 21, 16, 30], KH: 3, KW: 3, stride: 2, padding: 1 },
    // Many channels leave few weight-gradient chunks, so a chunk runs several rows: the
    // sliding row window (k3 stride 1) shifts within an image and refills where a chunk crosses into the next.
    { name: 'k3 s1 same, C1024 (grad-weight window over chunk rows)', x: [2, 10, 4, 1024], KH: 3, KW: 3, stride: 1, padding: 'same' },
  ];
  for (const c of cases) {
    it(c.name, () => expectForwardBackward(c, new Rng(12)));
  }
});

/**
 * Batch, map sizes and padding are uniforms (a stride-2 grad-input bakes only the left
 * padding's residue modulo the stride), so each pair below runs through the same pipelines:
 * the second shape's forward and backward create none. The first of each pair is an EXTRA
 * case whose pipelines the gradchecks made.
 */
describe('depthwiseConv2d: one pipeline per pass for every batch, map size and padding', () => {
  const pairs: [DepthwiseCase, DepthwiseCase][] = [
    [EXTRA[0], { name: 'k3 s1 pad2, C8 vec4, 5x11', x: [1, 5, 11, 8], KH: 3, KW: 3, stride: 1, padding: 2 }],
    [EXTRA[1], { name: 'k3 s2 pad3, C12 vec4, batch 2, 8x10', x: [2, 8, 10, 12], KH: 3, KW: 3, stride: 2, padding: 3 }],
  ];
  for (const [a, b] of pairs) {
    it(`${a.name} and ${b.name}`, async () => {
      const rng = new Rng(23);
      await expectSharedPipelines(() => expectForwardBackward(a, rng), () => expectForwardBackward(b, rng));
    });
  }
});

// Every block size and schedule an adapter or the tuner can get, forced (the built-in rule
// picks only some of them on lavapipe): one output per thread, unrolled windows with odd
// blocks, the grad-weight's sliding window at k5 / stride 2 / one pixel, its row kernel at k3.
// Small maps only: an unrolled k5 window on a 16x16 map takes lavapipe 10-60 s to compile
// (measured under load), which belongs in the bench, not in the suite.
const FORCED_CASES: DepthwiseCase[] = [
  ...EXTRA.filter((e) => ['k3 s2 same, C12 vec4, odd HW', 'k2x3 stride [1,2] asymmetric pad, C5'].includes(e.name)),
  { name: 'k5 s2 same, C4 vec4, small map', x: [1, 6, 5, 4], KH: 5, KW: 5, stride: 2, padding: 'same' },
];
// k5 runs only where a variant differs from what the built-in rule already gives k5 (the
// sliding grad-weight window, the unrolled forward): each new k5 variant costs lavapipe
// 20-80 s of compiling on a loaded machine.
const VARIANTS: { name: string; blocks: E.DepthwiseBlocks; k5?: boolean }[] = [
  { name: '1x1 loop / dx 1x1 / dw window 1', blocks: { forward: { rows: 1, pixels: 1, schedule: 'loop' }, gradInput: { rows: 1, pixels: 1 }, gradWeight: { pixels: 1, schedule: 'window' } }, k5: true },
  { name: '2x3 unrolled / dx 3x8 / dw row 8', blocks: { forward: { rows: 2, pixels: 3, schedule: 'unrolled' }, gradInput: { rows: 3, pixels: 8 }, gradWeight: { pixels: 8, schedule: 'row' } } },
  { name: '3x2 unrolled / dx 2x3 / dw window 3', blocks: { forward: { rows: 3, pixels: 2, schedule: 'unrolled' }, gradInput: { rows: 2, pixels: 3 }, gradWeight: { pixels: 3, schedule: 'window' } }, k5: true },
  { name: '2x4 loop / dx 4x4 / dw row 4', blocks: { forward: { rows: 2, pixels: 4, schedule: 'loop' }, gradInput: { rows: 4, pixels: 4 }, gradWeight: { pixels: 4, schedule: 'row' } } },
];

describe('depthwiseConv2d under each forced block size and schedule', () => {
  const rng = new Rng(21);
  // several blocks per row and rows per thread, vec4 channels
  const large: DepthwiseCase = { name: 'k3 s1 same, C64', x: [2, 14, 19, 64], KH: 3, KW: 3, stride: 1, padding: 'same' };
  for (const v of VARIANTS) {
    for (const c of FORCED_CASES.filter((f) => v.k5 || f.KH !== 5)) {
      it(`${v.name}: gradcheck ${c.name}`, async () => {
        E.forceDepthwiseBlocks(v.blocks);
        try {
          await gradcheck({
            name: `${v.name} ${c.name}`,
            inputs: inputs(c, rng, true),
            gpu: ([x, w, b]) => E.depthwiseConv2d(x, w, opts(c, b)),
            ref: ([x, w, b]) => depthwiseConv2d(x, w, b, c),
          });
        } finally {
          E.forceDepthwiseBlocks(null);
        }
      });
    }
    {
      const c = large;
      it(`${v.name}: ${c.name} forward and backward vs the analytic reference`, async () => {
        E.forceDepthwiseBlocks(v.blocks);
        try {
          await expectForwardBackward(c, rng);
        } finally {
          E.forceDepthwiseBlocks(null);
        }
      });
    }
  }

  it('refuses a block outside 1..16 in one line', () => {
    expect(() => E.forceDepthwiseBlocks({ forward: { rows: 0, pixels: 4, schedule: 'loop' } })).toThrow(/^depthwiseConv2d: forward block .* needs rows and pixels from 1 to 16$/);
    expect(() => E.forceDepthwiseBlocks({ gradWeight: { pixels: 17, schedule: 'row' } })).toThrow(/^depthwiseConv2d: gradWeight block/);
  });

  it('reads HPA_DEPTHWISE, and names the variable and the bad part in one line', () => {
    expect(E.parseDepthwiseBlocks('forward=4x8:unrolled, gradInput=2x4,gradWeight=8:row')).toEqual({
      forward: { rows: 4, pixels: 8, schedule: 'unrolled' },
      gradInput: { rows: 2, pixels: 4 },
      gradWeight: { pixels: 8, schedule: 'row' },
    });
    expect(E.parseDepthwiseBlocks('forward=2x3')).toEqual({ forward: { rows: 2, pixels: 3, schedule: 'loop' } });
    expect(E.parseDepthwiseBlocks('')).toEqual({});
    expect(() => E.parseDepthwiseBlocks('gradWeight=4')).toThrow(/^HPA_DEPTHWISE='gradWeight=4': 'gradWeight=4' is not /);
    expect(() => E.parseDepthwiseBlocks('forward=4x8:row')).toThrow(/^HPA_DEPTHWISE=.*'forward=4x8:row' is not /);
    expect(() => E.parseDepthwiseBlocks('forward=0x8')).toThrow(/^HPA_DEPTHWISE='forward=0x8': forward block .* needs rows and pixels from 1 to 16$/);
  });

  it('runs the HPA_DEPTHWISE blocks when nothing is forced', async () => {
    const c = FORCED_CASES[0];
    const before = process.env.HPA_DEPTHWISE;
    // VARIANTS[0]'s blocks, whose pipelines an earlier test compiled already
    process.env.HPA_DEPTHWISE = 'forward=1x1:loop,gradInput=1x1,gradWeight=1:window';
    try {
      await gradcheck({
        name: `HPA_DEPTHWISE ${c.name}`,
        inputs: inputs(c, rng, true),
        gpu: ([x, w, b]) => E.depthwiseConv2d(x, w, opts(c, b)),
        ref: ([x, w, b]) => depthwiseConv2d(x, w, b, c),
      });
      // the call path reads the variable: a bad value fails the op with the variable's name
      process.env.HPA_DEPTHWISE = 'gradInput=1x99';
      const x = toGpu(f32(randn(c.x, rng)));
      const w = toGpu(f32(randn([c.KH, c.KW, c.x[3]], rng)));
      expect(() => E.depthwiseConv2d(x, w, opts(c))).toThrow(/^HPA_DEPTHWISE='gradInput=1x99': gradInput block/);
      x.dispose();
      w.dispose();
    } finally {
      if (before === undefined) delete process.env.HPA_DEPTHWISE;
      else process.env.HPA_DEPTHWISE = before;
    }
  });
});

describe('depthwiseConv2d vs the tfjs oracle on random cases', () => {
  const rng = new Rng(99);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  for (let k = 0; k < 6; k++) {
    const K = k % 2 === 0 ? 3 : 5;
    const stride = k % 4 < 2 ? 1 : 2;
    const padding = pick<ConvOptions['padding']>(['same', 'same', 1, 2]);
    const x: [number, number, number, number] = [1 + rng.int(2), 5 + rng.int(7), 5 + rng.int(7), pick([1, 3, 4, 6, 8, 12])];
    const c: DepthwiseCase = { name: `random ${k}`, x, KH: K, KW: K, stride, padding };
    it(`${c.name}: x ${JSON.stringify(x)} k${K} s${stride} pad ${padding}`, async () => {
      const [xr, wr, br] = inputs(c, rng, true).map(f32);
      const [gx, gw, gb] = [toGpu(xr, true), toGpu(wr, true), toGpu(br, true)];
      const y = E.depthwiseConv2d(gx, gw, opts(c, gb));
      const dy = f32(randn(y.shape, rng));
      const tf = await tfDepthwiseConv2d(xr, wr, br, c, dy);
      expectClose(await toRef(y), tf.y, 1e-4, `${c.name} y`);
      E.backward(y, { grad: toGpu(dy) });
      expectClose(await toRef(gx.grad!), tf.dx, 1e-4, `${c.name} dx`);
      expectClose(await toRef(gw.grad!), tf.dw, 1e-4, `${c.name} dw`);
      expectClose(await toRef(gb.grad!), tf.db!, 1e-4, `${c.name} db`);
    });
  }
});

describe('depthwiseConv2d bad input: one-line errors naming the op and shapes', () => {
  const z = (shape: number[]) => E.zeros(shape);
  const cases: [string, () => unknown, RegExp][] = [
    ['rank-3 input', () => E.depthwiseConv2d(z([4, 4, 3]), z([3, 3, 3])), /^depthwiseConv2d: input #\d+\[4,4,3\] must be NHWC \(rank 4\)$/],
    ['HWIO weight', () => E.depthwiseConv2d(z([1, 4, 4, 3]), z([3, 3, 1, 3])), /^depthwiseConv2d: weight #\d+\[3,3,1,3\] must be \[KH, KW, C\] \(rank 3\)$/],
    ['channel mismatch', () => E.depthwiseConv2d(z([1, 4, 4, 3]), z([3, 3, 4])), /^depthwiseConv2d: input #\d+\[1,4,4,3\] has 3 channels, weight #\d+\[3,3,4\] has 4$/],
    ['kernel larger than padded input', () => E.depthwiseConv2d(z([1, 2, 6, 3]), z([5, 5, 3]), { padding: 1 }), /^depthwiseConv2d: kernel 5x5 .* larger than the padded input 4x8/],
    ['bias shape', () => E.depthwiseConv2d(z([1, 4, 4, 3]), z([3, 3, 3]), { bias: z([4]) }), /^depthwiseConv2d: bias #\d+\[4\] must have shape \[3\]/],
    ['negative padding', () => E.depthwiseConv2d(z([1, 4, 4, 3]), z([3, 3, 3]), { padding: -1 }), /^depthwiseConv2d: padding -1 must be non-negative integers$/],
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

import { grid1d, type Kernel } from './kernel.js';
import { WG, flatIndexHeader } from './wgsl.js';
import { vecType, type RowSplit } from './conv2d.js';

/**
 * Depthwise convolution, NHWC, weight [KH, KW, C] (multiplier 1). Every tap loop is
 * unrolled at generation time (k3 and k5 are what EfficientNet runs; any k works, the
 * code just grows as k^2), the weights of a thread's channels sit in registers, and a
 * thread owns PX neighbouring pixels along W so one input row segment loaded into
 * registers serves all of their taps. Channels go as vec4 when C % 4 == 0.
 */
export interface DepthwiseDims {
  N: number;
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  padTop: number;
  padLeft: number;
}

function key(d: DepthwiseDims): string {
  return [d.N, d.H, d.W, d.C, d.OH, d.OW, d.KH, d.KW, d.SH, d.SW, d.padTop, d.padLeft].join(',');
}

const range = (n: number) => [...Array(n).keys()];

/** Pixels per thread along W. */
const PX = 4;

/**
 * Forward. Bindings: 0 x, 1 w, [2 bias], then y.
 */
export function depthwiseForwardKernel(d: DepthwiseDims, bias: boolean): Kernel {
  const CB = d.C % 4 === 0 ? 4 : 1;
  const T = vecType(CB);
  const NC = d.C / CB;
  const OWB = Math.ceil(d.OW / PX);
  const total = d.N * d.OH * OWB * NC;
  const span = (PX - 1) * d.SW + d.KW;
  const lines: string[] = [];
  for (let kh = 0; kh < d.KH; kh++) {
    for (let kw = 0; kw < d.KW; kw++) lines.push(`let w_${kh}_${kw} = Wt[${(kh * d.KW + kw) * NC} + cq];`);
  }
  for (const j of range(PX)) lines.push(`var acc_${j} = ${bias ? 'B[cq]' : `${T}(0.0)`};`);
  for (let kh = 0; kh < d.KH; kh++) {
    lines.push('{');
    lines.push(`  let ih = oh * ${d.SH} + ${kh - d.padTop};`);
    lines.push(`  let rowOk = ih >= 0 && ih < ${d.H};`);
    lines.push(`  let xrow = (n * ${d.H} + ih) * ${d.W};`);
    for (const t of range(span)) {
      lines.push(`  var x_${t} = ${T}(0.0);`);
      lines.push(`  if (rowOk && iw0 + ${t} >= 0 && iw0 + ${t} < ${d.W}) { x_${t} = X[(xrow + iw0 + ${t}) * ${NC} + cq]; }`);
    }
    for (const j of range(PX)) {
      const terms = range(d.KW).map((kw) => `x_${j * d.SW + kw} * w_${kh}_${kw}`);
      lines.push(`  acc_${j} += ${terms.join(' + ')};`);
    }
    lines.push('}');
  }
  for (const j of range(PX)) {
    lines.push(`if (ow0 + ${j} < ${d.OW}) { Y[((n * ${d.OH} + oh) * ${d.OW} + ow0 + ${j}) * ${NC} + cq] = acc_${j}; }`);
  }
  const bindings = [
    `@group(0) @binding(0) var<storage, read> X: array<${T}>;`,
    `@group(0) @binding(1) var<storage, read> Wt: array<${T}>;`,
    ...(bias ? [`@group(0) @binding(2) var<storage, read> B: array<${T}>;`] : []),
    `@group(0) @binding(${bias ? 3 : 2}) var<storage, read_write> Y: array<${T}>;`,
  ].join('\n');
  const code = `${flatIndexHeader(bindings)}
  if (i >= ${total}u) { return; }
  let cq = i32(i % ${NC}u);
  var r = i32(i / ${NC}u);
  let ow0 = (r % ${OWB}) * ${PX};
  r = r / ${OWB};
  let oh = r % ${d.OH};
  let n = r / ${d.OH};
  let iw0 = ow0 * ${d.SW} - ${d.padLeft};
  ${lines.join('\n  ')}
}`;
  return { key: `dwconv:fwd:${key(d)}:${bias}`, code, workgroups: grid1d(Math.ceil(total / WG)) };
}

/**
 * Gradient w.r.t. the input: dx[ih, iw] = sum over taps of dy[oh, ow] * w[kh, kw] where
 * ih = oh*SH - padTop + kh. A thread owns QX input pixels starting at a multiple of SW,
 * so which (pixel, kw) pairs meet an output column is known when the code is generated;
 * the row test (ih + padTop - kh divisible by SH) is one branch per kh.
 * Bindings: 0 dy, 1 w, 2 dx.
 */
export function depthwiseGradInputKernel(d: DepthwiseDims): Kernel {
  const CB = d.C % 4 === 0 ? 4 : 1;
  const T = vecType(CB);
  const NC = d.C / CB;
  const QX = d.SW * Math.max(1, Math.round(PX / d.SW));
  const WB = Math.ceil(d.W / QX);
  const total = d.N * d.H * WB * NC;
  // For pixel j of the block and tap kw: the output column offset q (ow = b*QX/SW + q), or none.
  const taps: { j: number; kw: number; q: number }[] = [];
  for (const j of range(QX)) {
    for (let kw = 0; kw < d.KW; kw++) {
      const m = j + d.padLeft - kw;
      if (((m % d.SW) + d.SW) % d.SW === 0) taps.push({ j, kw, q: m / d.SW });
    }
  }
  const qs = [...new Set(taps.map((t) => t.q))].sort((a, b) => a - b);
  const qName = (q: number) => `g_${q < 0 ? `m${-q}` : q}`;
  const lines: string[] = [];
  for (let kh = 0; kh < d.KH; kh++) {
    for (let kw = 0; kw < d.KW; kw++) lines.push(`let w_${kh}_${kw} = Wt[${(kh * d.KW + kw) * NC} + cq];`);
  }
  for (const j of range(QX)) lines.push(`var acc_${j} = ${T}(0.0);`);
  for (let kh = 0; kh < d.KH; kh++) {
    lines.push('{');
    lines.push(`  let numh = ih + ${d.padTop - kh};`);
    lines.push(`  let oh = numh / ${d.SH};`);
    lines.push(`  if (numh >= 0 && numh % ${d.SH} == 0 && oh < ${d.OH}) {`);
    lines.push(`    let grow = (n * ${d.OH} + oh) * ${d.OW};`);
    for (const q of qs) {
      lines.push(`    var ${qName(q)} = ${T}(0.0);`);
      lines.push(`    if (ow0 + ${q} >= 0 && ow0 + ${q} < ${d.OW}) { ${qName(q)} = G[(grow + ow0 + ${q}) * ${NC} + cq]; }`);
    }
    for (const j of range(QX)) {
      const terms = taps.filter((t) => t.j === j).map((t) => `${qName(t.q)} * w_${kh}_${t.kw}`);
      if (terms.length) lines.push(`    acc_${j} += ${terms.join(' + ')};`);
    }
    lines.push('  }');
    lines.push('}');
  }
  for (const j of range(QX)) {
    lines.push(`if (iw0 + ${j} < ${d.W}) { DX[((n * ${d.H} + ih) * ${d.W} + iw0 + ${j}) * ${NC} + cq] = acc_${j}; }`);
  }
  const code = `${flatIndexHeader(`@group(0) @binding(0) var<storage, read> G: array<${T}>;
@group(0) @binding(1) var<storage, read> Wt: array<${T}>;
@group(0) @binding(2) var<storage, read_write> DX: array<${T}>;`)}
  if (i >= ${total}u) { return; }
  let cq = i32(i % ${NC}u);
  var r = i32(i / ${NC}u);
  let b = r % ${WB};
  r = r / ${WB};
  let ih = r % ${d.H};
  let n = r / ${d.H};
  let iw0 = b * ${QX};
  let ow0 = b * ${QX / d.SW};
  ${lines.join('\n  ')}
}`;
  return { key: `dwconv:dx:${key(d)}`, code, workgroups: grid1d(Math.ceil(total / WG)) };
}

export function depthwiseGradWeightThreadsPerChunk(d: DepthwiseDims): number {
  return d.C % 4 === 0 ? d.C / 4 : d.C;
}

/**
 * First pass of the weight gradient: partial[s, kh, kw, c] = sum over the output pixels
 * of row chunk s of dy[pixel, c] * x[pixel's tap, c]. A thread keeps all KH*KW
 * accumulators of its channels in registers and walks its rows PX outputs at a time,
 * loading each input row segment once for every tap that reads it. The op sums the
 * partials over s (the second pass), so no thread loops over all of N*OH*OW.
 * Bindings: 0 x, 1 dy, 2 partial.
 */
export function depthwiseGradWeightKernel(d: DepthwiseDims, split: RowSplit): Kernel {
  const CB = d.C % 4 === 0 ? 4 : 1;
  const T = vecType(CB);
  const NC = d.C / CB;
  const total = NC * split.chunks;
  const span = (PX - 1) * d.SW + d.KW;
  const OWB = Math.ceil(d.OW / PX);
  const rows = d.N * d.OH;
  const lines: string[] = [];
  for (let kh = 0; kh < d.KH; kh++) for (let kw = 0; kw < d.KW; kw++) lines.push(`var a_${kh}_${kw} = ${T}(0.0);`);
  const body: string[] = [];
  for (const j of range(PX)) {
    body.push(`var g_${j} = ${T}(0.0);`);
    body.push(`if (ow0 + ${j} < ${d.OW}) { g_${j} = G[(grow + ow0 + ${j}) * ${NC} + cq]; }`);
  }
  body.push(`let iw0 = ow0 * ${d.SW} - ${d.padLeft};`);
  for (let kh = 0; kh < d.KH; kh++) {
    body.push('{');
    body.push(`  let ih = oh * ${d.SH} + ${kh - d.padTop};`);
    body.push(`  if (ih >= 0 && ih < ${d.H}) {`);
    body.push(`    let xrow = (n * ${d.H} + ih) * ${d.W};`);
    for (const t of range(span)) {
      body.push(`    var x_${t} = ${T}(0.0);`);
      body.push(`    if (iw0 + ${t} >= 0 && iw0 + ${t} < ${d.W}) { x_${t} = X[(xrow + iw0 + ${t}) * ${NC} + cq]; }`);
    }
    for (let kw = 0; kw < d.KW; kw++) {
      const terms = range(PX).map((j) => `g_${j} * x_${j * d.SW + kw}`);
      body.push(`    a_${kh}_${kw} += ${terms.join(' + ')};`);
    }
    body.push('  }');
    body.push('}');
  }
  const stores: string[] = [];
  for (let kh = 0; kh < d.KH; kh++) {
    for (let kw = 0; kw < d.KW; kw++) stores.push(`P[(s * ${d.KH * d.KW} + ${kh * d.KW + kw}) * ${NC} + cq] = a_${kh}_${kw};`);
  }
  const code = `${flatIndexHeader(`@group(0) @binding(0) var<storage, read> X: array<${T}>;
@group(0) @binding(1) var<storage, read> G: array<${T}>;
@group(0) @binding(2) var<storage, read_write> P: array<${T}>;`)}
  if (i >= ${total}u) { return; }
  let cq = i32(i % ${NC}u);
  let s = i32(i / ${NC}u);
  ${lines.join('\n  ')}
  let rowEnd = min((s + 1) * ${split.rowsPerChunk}, ${rows});
  for (var row = s * ${split.rowsPerChunk}; row < rowEnd; row++) {
    let n = row / ${d.OH};
    let oh = row % ${d.OH};
    let grow = row * ${d.OW};
    for (var ow0 = 0; ow0 < ${OWB * PX}; ow0 += ${PX}) {
      ${body.join('\n      ')}
    }
  }
  ${stores.join('\n  ')}
}`;
  return { key: `dwconv:dw:${key(d)}:${split.rowsPerChunk}`, code, workgroups: grid1d(Math.ceil(total / WG)) };
}

import { grid1d, type Kernel } from './kernel.js';
import { WG } from './wgsl.js';
import { convPreambleUniform, DIVMOD_LIMIT, SizeUniforms } from './conv-preamble.js';
import { vecType, type RowSplit } from './conv2d.js';

/**
 * Depthwise convolution, NHWC, weight [KH, KW, C] (multiplier 1). Each thread owns PX
 * neighbouring pixels along W of one channel vector: per kernel row it loads the row's KW
 * weights and one input row segment into registers, and every load serves all PX pixels.
 * The taps along W are unrolled at generation time and the kernel rows are a loop (any k
 * works; k3 and k5 are what EfficientNet runs). Channels go as vec4 when C % 4 == 0,
 * scalars otherwise.
 *
 * The sizes (batch, map, channels, blocks per row, chunks) are uniforms, so one pipeline
 * serves every layer of one kernel size, stride, padding and block at any batch and input
 * size: lavapipe compiles each pipeline with LLVM (seconds each at k5), and baking the sizes
 * made 36 pipelines per B0 input shape. The padding is a uniform too: 'same' pads a stride-2
 * layer by one row less on an even map than on an odd one, so input sizes with odd late maps
 * (48 px: 3x3) needed pipelines of their own. What the code's structure depends on stays
 * baked: kernel size, stride, vec4 or scalar, the block, the grad-input's left padding modulo
 * the stride (which taps meet which pixel), and the map's width (height) and padding where
 * one block spans a whole row (column), since then the taps that only read padding are left
 * out at generation time (the small late-stage maps).
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

/** What every pass bakes: the window, stride and channel vector width; the rest is uniforms (each pass adds what else it bakes). */
function key(d: DepthwiseDims, sizes: SizeUniforms): string {
  return `k${d.KH}x${d.KW}:s${d.SH}x${d.SW}:v${d.C % 4 === 0 ? 4 : 1}${sizes.max >= DIVMOD_LIMIT ? ':idiv' : ''}`;
}

const range = (n: number) => [...Array(n).keys()];

/** Multiply-adds x 2 of one pass (forward, grad-input and grad-weight do the same count). */
export function depthwiseFlops(d: DepthwiseDims): number {
  return 2 * d.N * d.OH * d.OW * d.C * d.KH * d.KW;
}

/** Bytes a pass must move at least: the input map, the output map and the weights once each. */
export function depthwiseBytes(d: DepthwiseDims, extraWeights = 0): number {
  return 4 * (d.N * d.H * d.W * d.C + d.N * d.OH * d.OW * d.C + d.KH * d.KW * d.C + extraWeights);
}

/** Pixels per thread along W. */
const PX = 4;

/**
 * A load that reads zero outside the tensor, without a branch: the index is clamped in
 * and the value selected away. On lavapipe this compiles 3x faster than an if per load
 * (seconds per kernel for k5) and runs no slower.
 */
function loadOrZero(T: string, buf: string, pixel: string, NC: string, ok: string): string {
  return `select(${T}(0.0), ${buf}[(${pixel}) * ${NC} + cq], ${ok})`;
}

/**
 * Output pixels per forward thread. Lavapipe's cost is mostly per-lane storage loads, and a
 * wider block shares each loaded input row segment among more outputs: at k3 stride 1, 8
 * pixels load 4.9 vec4 per output instead of 6.75 and ran 25-40% faster (b16/128: 64x64x32
 * 28 -> 16 ms, 32x32x144 37 -> 26 ms). At k5 or stride 2 the wider block measured slower
 * (its live row segment no longer fits), so those keep 4, except k5 on 8-wide maps, where
 * one block spans the row and its padding taps drop out (b16 8x8x672: forward 11.9 -> 8.7
 * ms, grad-input 13.9 -> 6.3).
 */
const fwdPixels = (d: DepthwiseDims): number => (d.SW === 1 && (d.OW === 8 || (d.KW <= 3 && d.OW >= 8)) ? 8 : PX);

/**
 * Output rows per forward thread: a thread walks the input rows its 4 output rows read and
 * loads each once, where a thread per row loaded every input row KH times. Interleaved A/B
 * over B0's b16/128 depthwise shapes: 1 row 181 ms, 2 rows 122, 4 rows 113, 8 rows 110.
 */
const FWD_ROWS = 4;

/**
 * A thread's block of outputs and how its loop is laid out: the tuner's candidates (issue 14)
 * and the override's values. `rows` x `pixels` outputs of one channel vector per thread.
 * 'loop': the window's input rows are a loop and each row loads the kernel row's weights
 * again (small code, quick to compile). 'unrolled': the window's rows are unrolled at
 * generation time, so every weight is loaded once per thread and which (row, kernel row)
 * pairs meet is known without a branch; on lavapipe, where each per-lane load is a
 * gather, that removes most of the weight loads (k5: 100 of 180 per 16 outputs).
 */
export interface DepthwiseBlock {
  rows: number;
  pixels: number;
  schedule: 'loop' | 'unrolled';
}

export const DEPTHWISE_SCHEDULES = ['loop', 'unrolled'] as const;

/** The built-in choice (HPA_TUNE=off's rule) for the forward pass. */
export function depthwiseForwardBlock(d: DepthwiseDims): DepthwiseBlock {
  return { rows: FWD_ROWS, pixels: fwdPixels(d), schedule: 'loop' };
}

function blockKey(b: DepthwiseBlock): string {
  return `${b.rows}x${b.pixels}${b.schedule === 'loop' ? '' : ':u'}`;
}

/**
 * Forward. Bindings: 0 x, 1 w, [2 bias], then y (sizes as uniforms after them). A thread owns
 * a block of rows x pixels output positions of one channel vector. When one block spans the
 * whole output row (small late-stage maps) its input columns are known at generation time,
 * so taps that only ever read padding are not loaded at all; likewise rows when one block
 * spans the whole height (unrolled schedule). Those variants bake the map's width (height).
 */
export function depthwiseForwardKernel(d: DepthwiseDims, bias: boolean, block: DepthwiseBlock = depthwiseForwardBlock(d)): Kernel {
  const CB = d.C % 4 === 0 ? 4 : 1;
  const T = vecType(CB);
  const PXF = Math.max(1, block.pixels);
  const PY = Math.max(1, Math.min(block.rows, d.OH));
  const OWB = Math.ceil(d.OW / PXF);
  const OHB = Math.ceil(d.OH / PY);
  const staticCols = OWB === 1;
  const staticRows = block.schedule === 'unrolled' && OHB === 1;
  const u = new SizeUniforms();
  const total = u.add('total', d.N * OHB * OWB * (d.C / CB));
  const NC = u.add('NC', d.C / CB);
  const W = staticCols ? String(d.W) : u.add('W', d.W);
  const OW = staticCols ? String(d.OW) : u.add('OW', d.OW);
  const H = staticRows ? String(d.H) : u.add('H', d.H);
  const OH = staticRows ? String(d.OH) : u.add('OH', d.OH);
  const owb = staticCols ? '' : u.add('OWB', OWB);
  const ohb = staticRows ? '' : u.add('OHB', OHB);
  const padLeft = staticCols ? String(d.padLeft) : u.add('padLeft', d.padLeft);
  const padTop = staticRows ? String(d.padTop) : u.add('padTop', d.padTop);
  const span = (PXF - 1) * d.SW + d.KW;
  // column of tap t when it is static (one block per row), else null
  const staticCol = (t: number): number | null => (staticCols ? t - d.padLeft : null);
  const liveTap = (t: number): boolean => {
    const c = staticCol(t);
    return c === null || (c >= 0 && c < d.W);
  };
  const liveOut = (j: number): boolean => !staticCols || j < d.OW;
  // Input row rr of the thread's window feeds output row py through kernel row rr - py * SH.
  const inRows = (PY - 1) * d.SH + d.KH;
  const loadRow = (ihExpr: string, staticIh: number | null): string[] => {
    const out: string[] = [];
    if (staticIh === null) {
      out.push(`let ih = ${ihExpr};`);
      out.push(`let rowOk = ih >= 0 && ih < ${H};`);
      out.push(`let xrow = (n * ${H} + clamp(ih, 0, ${H} - 1)) * ${W};`);
    } else {
      out.push(`let xrow = (n * ${H} + ${staticIh}) * ${W};`);
    }
    const rowOk = staticIh === null ? 'rowOk' : 'true';
    for (const t of range(span)) {
      if (!liveTap(t)) continue;
      const c = staticCol(t);
      out.push(
        c === null
          ? `let x_${t} = ${loadOrZero(T, 'X', `xrow + clamp(iw0 + ${t}, 0, ${W} - 1)`, NC, `${rowOk} && iw0 + ${t} >= 0 && iw0 + ${t} < ${W}`)};`
          : staticIh === null
            ? `let x_${t} = ${loadOrZero(T, 'X', `xrow + ${c}`, NC, rowOk)};`
            : `let x_${t} = X[(xrow + ${c}) * ${NC} + cq];`,
      );
    }
    return out;
  };
  const fma = (py: number, w: (kw: number) => string): string[] => {
    const out: string[] = [];
    for (const j of range(PXF)) {
      if (!liveOut(j)) continue;
      const terms = range(d.KW)
        .filter((kw) => liveTap(j * d.SW + kw))
        .map((kw) => `x_${j * d.SW + kw} * ${w(kw)}`);
      if (terms.length) out.push(`acc_${py}_${j} += ${terms.join(' + ')};`);
    }
    return out;
  };
  const lines: string[] = [];
  for (const py of range(PY)) for (const j of range(PXF)) if (liveOut(j)) lines.push(`var acc_${py}_${j} = ${bias ? 'B[cq]' : `${T}(0.0)`};`);
  if (block.schedule === 'unrolled') {
    // rows known at generation time when one block spans the height (oh0 == 0)
    const staticIh = (rr: number): number | null => (staticRows ? rr - d.padTop : null);
    const used = new Set<number>();
    const rowsCode: string[] = [];
    for (const rr of range(inRows)) {
      const sih = staticIh(rr);
      if (sih !== null && (sih < 0 || sih >= d.H)) continue;
      const body: string[] = [];
      for (const py of range(PY)) {
        const kh = rr - py * d.SH;
        if (kh < 0 || kh >= d.KH) continue;
        used.add(kh);
        body.push(...fma(py, (kw) => `w_${kh}_${kw}`));
      }
      if (!body.length) continue;
      rowsCode.push(`{\n    ${[...loadRow(`oh0 * ${d.SH} + ${rr} - ${padTop}`, sih), ...body].join('\n    ')}\n  }`);
    }
    for (const kh of [...used].sort((a, b) => a - b)) for (let kw = 0; kw < d.KW; kw++) lines.push(`let w_${kh}_${kw} = Wt[${kh * d.KW + kw} * ${NC} + cq];`);
    lines.push(...rowsCode);
  } else {
    const row = loadRow(`oh0 * ${d.SH} + rr - ${padTop}`, null);
    for (const py of range(PY)) {
      const inner: string[] = [];
      for (let kw = 0; kw < d.KW; kw++) inner.push(`let w_${kw} = Wt[(kh * ${d.KW} + ${kw}) * ${NC} + cq];`);
      inner.push(...fma(py, (kw) => `w_${kw}`));
      // the branch is uniform: every lane of a thread block shares rr
      row.push(
        PY === 1
          ? `{ let kh = rr;\n      ${inner.join('\n      ')}\n    }`
          : `{ let kh = rr - ${py * d.SH};\n    if (kh >= 0 && kh < ${d.KH}) {\n      ${inner.join('\n      ')}\n    } }`,
      );
    }
    lines.push(`for (var rr = 0; rr < ${inRows}; rr++) {\n    ${row.join('\n    ')}\n  }`);
  }
  for (const py of range(PY)) {
    const rowStores: string[] = [];
    for (const j of range(PXF)) {
      if (!liveOut(j)) continue;
      const store = `Y[((n * ${OH} + oh0 + ${py}) * ${OW} + ow0 + ${j}) * ${NC} + cq] = acc_${py}_${j};`;
      rowStores.push(staticCols ? store : `if (ow0 + ${j} < ${OW}) { ${store} }`);
    }
    // a block past the last row of a map whose height the pipeline does not know
    const guarded = py > 0 && (!staticRows || d.OH % PY !== 0);
    lines.push(guarded ? `if (oh0 + ${py} < ${OH}) {\n    ${rowStores.join('\n    ')}\n  }` : rowStores.join('\n  '));
  }
  const split: string[] = [];
  let rest = 'r';
  if (staticCols) split.push('let ow0 = 0;');
  else {
    split.push(`let qw = divmod(r, ${owb});`, `let ow0 = qw.y * ${PXF};`);
    rest = 'qw.x';
  }
  if (staticRows) split.push('let oh0 = 0;', `let n = ${rest};`);
  else split.push(`let qh = divmod(${rest}, ${ohb});`, `let oh0 = qh.y * ${PY};`, 'let n = qh.x;');
  const code = `${convPreambleUniform(bias ? [['X', T], ['Wt', T], ['B', T], ['Y', T]] : [['X', T], ['Wt', T], ['Y', T]], u, total, NC, 'let r')}
  ${split.join('\n  ')}
  let iw0 = ow0 * ${d.SW} - ${padLeft};
  ${lines.join('\n  ')}
}`;
  const baked = `${staticCols ? `:w${d.W},${d.OW},${d.padLeft}` : ''}${staticRows ? `:h${d.H},${d.OH},${d.padTop}` : ''}`;
  return {
    key: `dwconv:fwd:${key(d, u)}:${bias}:${blockKey({ ...block, rows: PY, pixels: PXF })}${baked}`,
    code,
    workgroups: grid1d(Math.ceil((d.N * OHB * OWB * (d.C / CB)) / WG)),
    uniforms: u.buffer(),
    flops: depthwiseFlops(d),
    bytes: depthwiseBytes(d, bias ? d.C : 0),
  };
}

/**
 * Grad-input's block: `rows` input rows x `pixels` x SW input columns of one channel vector
 * per thread (the tuner's candidates; the default mirrors the forward's choice).
 */
export interface DepthwiseGradInputBlock {
  rows: number;
  pixels: number;
}

export function depthwiseGradInputBlock(d: DepthwiseDims): DepthwiseGradInputBlock {
  return { rows: FWD_ROWS, pixels: fwdPixels({ ...d, OW: d.W }) };
}

/**
 * Gradient w.r.t. the input: dx[ih, iw] = sum over taps of dy[oh, ow] * w[kh, kw] where
 * ih = oh*SH - padTop + kh. A thread owns QX input pixels starting at a multiple of SW,
 * so which (pixel, kw) pairs meet an output column is known when the code is generated;
 * the row test (ih + padTop - kh divisible by SH) is one branch per kh.
 * Bindings: 0 dy, 1 w, 2 dx (sizes as uniforms after them).
 */
export function depthwiseGradInputKernel(d: DepthwiseDims, block: DepthwiseGradInputBlock = depthwiseGradInputBlock(d)): Kernel {
  const CB = d.C % 4 === 0 ? 4 : 1;
  const T = vecType(CB);
  const QX = d.SW * Math.max(1, block.pixels);
  const PY = Math.max(1, Math.min(block.rows, d.H));
  const WB = Math.ceil(d.W / QX);
  const HB = Math.ceil(d.H / PY);
  const threads = d.N * HB * WB * (d.C / CB);
  const u = new SizeUniforms();
  const total = u.add('total', threads);
  const NC = u.add('NC', d.C / CB);
  const [H, W, OH, OW, wb, hb, padTop] = (['H', 'W', 'OH', 'OW'] as const).map((k) => u.add(k, d[k])).concat([u.add('WB', WB), u.add('HB', HB), u.add('padTop', d.padTop)]);
  // padLeft = padLeftQ * SW + padLeftR: only the residue decides which taps meet which pixel,
  // the quotient just shifts the block's output columns (a uniform).
  const padLeftR = d.padLeft % d.SW;
  const padLeftQ = u.add('padLeftQ', (d.padLeft - padLeftR) / d.SW);
  // For pixel j of the block and tap kw: the output column offset q (ow = ow0 + q), or none.
  const taps: { j: number; kw: number; q: number }[] = [];
  for (const j of range(QX)) {
    for (let kw = 0; kw < d.KW; kw++) {
      const m = j + padLeftR - kw;
      if (((m % d.SW) + d.SW) % d.SW === 0) taps.push({ j, kw, q: m / d.SW });
    }
  }
  const qs = [...new Set(taps.map((t) => t.q))].sort((a, b) => a - b);
  const qName = (q: number) => `g_${q < 0 ? `m${-q}` : q}`;
  const usedKw = [...new Set(taps.map((t) => t.kw))].sort((a, b) => a - b);
  // dy rows meeting input rows ih0..ih0+PY-1: oh*SH + kh - padTop = ih with 0 <= kh < KH, i.e.
  // oh from ceil((ih0 + padTop - KH + 1) / SH), at most this many (rows past the range or with
  // no valid kh for any of the thread's rows do nothing). `lift` keeps the division's operand >= 0.
  const outRows = Math.floor((PY + d.KH - 2) / d.SH) + 1;
  const lift = Math.ceil(d.KH / d.SH) + 1;
  const row: string[] = [];
  row.push(`let oh = ohLo + ro;`);
  row.push(`let rowOk = oh >= 0 && oh < ${OH};`);
  row.push(`let grow = (n * ${OH} + clamp(oh, 0, ${OH} - 1)) * ${OW};`);
  for (const q of qs) {
    row.push(`let ${qName(q)} = ${loadOrZero(T, 'G', `grow + clamp(ow0 + ${q}, 0, ${OW} - 1)`, NC, `rowOk && ow0 + ${q} >= 0 && ow0 + ${q} < ${OW}`)};`);
  }
  for (const py of range(PY)) {
    const inner: string[] = [];
    for (const kw of usedKw) inner.push(`let w_${kw} = Wt[(kh * ${d.KW} + ${kw}) * ${NC} + cq];`);
    for (const j of range(QX)) {
      const terms = taps.filter((t) => t.j === j).map((t) => `${qName(t.q)} * w_${t.kw}`);
      if (terms.length) inner.push(`acc_${py}_${j} += ${terms.join(' + ')};`);
    }
    // uniform across the lanes of a thread block, which share ih0 and ro
    row.push(`{ let kh = ih0 + ${py} + ${padTop} - oh * ${d.SH};\n    if (kh >= 0 && kh < ${d.KH}) {\n      ${inner.join('\n      ')}\n    } }`);
  }
  const lines: string[] = [];
  for (const py of range(PY)) for (const j of range(QX)) lines.push(`var acc_${py}_${j} = ${T}(0.0);`);
  lines.push(`let ohLo = (ih0 + ${padTop} + ${-d.KH + 1 + d.SH - 1 + lift * d.SH}) / ${d.SH} - ${lift};`);
  lines.push(`for (var ro = 0; ro < ${outRows}; ro++) {\n    ${row.join('\n    ')}\n  }`);
  for (const py of range(PY)) {
    const stores = range(QX).map((j) => `if (iw0 + ${j} < ${W}) { DX[((n * ${H} + ih0 + ${py}) * ${W} + iw0 + ${j}) * ${NC} + cq] = acc_${py}_${j}; }`);
    lines.push(py > 0 ? `if (ih0 + ${py} < ${H}) {\n    ${stores.join('\n    ')}\n  }` : stores.join('\n  '));
  }
  const code = `${convPreambleUniform([['G', T], ['Wt', T], ['DX', T]], u, total, NC, 'let r')}
  let qw = divmod(r, ${wb});
  let b = qw.y;
  let qh = divmod(qw.x, ${hb});
  let ih0 = qh.y * ${PY};
  let n = qh.x;
  let iw0 = b * ${QX};
  let ow0 = b * ${QX / d.SW} + ${padLeftQ};
  ${lines.join('\n  ')}
}`;
  return { key: `dwconv:dx:${key(d, u)}:${PY}x${QX / d.SW}:pl${padLeftR}`, code, workgroups: grid1d(Math.ceil(threads / WG)), uniforms: u.buffer(), flops: depthwiseFlops(d), bytes: depthwiseBytes(d) };
}

/**
 * Whether the weight gradient slides a window of input rows (below): at k3 stride 1 with
 * several rows per image. Interleaved A/B at b16/128 against a thread per kernel row:
 * 64x64x32 19.4 -> 13.7 ms, 32x32x144 23.2 -> 13.2, 8x8x480 3.2 -> 2.2. k5 gained less
 * (8x8x672 none, 16x16x240 17 -> 13) for 5-10x the compile time on lavapipe (its 25
 * accumulators and 40-register window: 8-15 s a kernel), and stride 2 lost (k3 64x64x96
 * 23 -> 33 ms), so those keep a thread per kernel row.
 */
const slidesRows = (d: DepthwiseDims): boolean => d.KH <= 3 && d.SH === 1 && d.OH >= 8;

/**
 * Grad-weight's block: `pixels` outputs along W per step, and the schedule: 'window' (a
 * thread owns all KH x KW taps and slides a window of input rows) or 'row' (a thread per
 * kernel row). The tuner's candidates; depthwiseGradWeightBlock is the built-in rule.
 */
export interface DepthwiseGradWeightBlock {
  pixels: number;
  schedule: 'window' | 'row';
}

export function depthwiseGradWeightBlock(d: DepthwiseDims): DepthwiseGradWeightBlock {
  return { pixels: PX, schedule: slidesRows(d) ? 'window' : 'row' };
}

export function depthwiseGradWeightThreadsPerChunk(d: DepthwiseDims, block: DepthwiseGradWeightBlock = depthwiseGradWeightBlock(d)): number {
  return (d.C % 4 === 0 ? d.C / 4 : d.C) * (block.schedule === 'window' ? 1 : d.KH);
}

/** The sizes both grad-weight kernels read from their uniforms. */
function gradWeightSizes(d: DepthwiseDims, split: RowSplit, threads: number, PX: number) {
  const u = new SizeUniforms();
  const total = u.add('total', threads);
  const NC = u.add('NC', d.C / (d.C % 4 === 0 ? 4 : 1));
  const [H, W, OH, OW] = (['H', 'W', 'OH', 'OW'] as const).map((k) => u.add(k, d[k]));
  const owb = u.add('OWB', Math.ceil(d.OW / PX));
  const rowsPerChunk = u.add('rowsPerChunk', split.rowsPerChunk);
  const rows = u.add('rows', d.N * d.OH);
  const padTop = u.add('padTop', d.padTop);
  const padLeft = u.add('padLeft', d.padLeft);
  return { u, total, NC, H, W, OH, OW, owb, rowsPerChunk, rows, padTop, padLeft };
}

/**
 * First pass of the weight gradient: partial[s, kh, kw, c] = sum over the output pixels
 * of row chunk s of dy[pixel, c] * x[pixel's tap, c]. A thread owns all KH x KW taps of
 * its channels and walks its chunk's rows PX outputs wide, column block by column block,
 * with the KH input row segments those rows read held in registers as a sliding window:
 * moving down one output row shifts the window by SH rows, so a step loads SH new input
 * segments and one dy segment (a thread per kernel row loaded KH of each). The window is
 * refilled at the chunk's first row and at each image's first row. The op sums the
 * partials over s (the second pass), so no thread loops over all of N*OH*OW.
 * Bindings: 0 x, 1 dy, 2 partial (sizes as uniforms after them).
 */
export function depthwiseGradWeightKernel(d: DepthwiseDims, split: RowSplit, block: DepthwiseGradWeightBlock = depthwiseGradWeightBlock(d)): Kernel {
  const PX = Math.max(1, block.pixels);
  if (block.schedule === 'row') return gradWeightRowKernel(d, split, PX);
  const CB = d.C % 4 === 0 ? 4 : 1;
  const T = vecType(CB);
  const threads = (d.C / CB) * split.chunks;
  const { u, total, NC, H, W, OH, OW, owb, rowsPerChunk, rows, padTop, padLeft } = gradWeightSizes(d, split, threads, PX);
  const span = (PX - 1) * d.SW + d.KW;
  const loadRow = (kh: number): string[] => [
    `{ let ih = oh * ${d.SH} + ${kh} - ${padTop};`,
    `  let rowOk = ih >= 0 && ih < ${H};`,
    `  let xrow = (n * ${H} + clamp(ih, 0, ${H} - 1)) * ${W};`,
    ...range(span).map(
      (t) => `  x_${kh}_${t} = ${loadOrZero(T, 'X', `xrow + clamp(iw0 + ${t}, 0, ${W} - 1)`, NC, `rowOk && iw0 + ${t} >= 0 && iw0 + ${t} < ${W}`)};`,
    ),
    '}',
  ];
  const body: string[] = [];
  body.push(`let nh = divmod(row, ${OH});`);
  body.push('let n = nh.x;');
  body.push('let oh = nh.y;');
  body.push(`let fresh = row == rowBeg || oh == 0;`);
  // ascending kh, so x_{kh+SH} is read before this step overwrites it
  for (let kh = 0; kh < d.KH; kh++) {
    if (kh + d.SH >= d.KH) {
      body.push(...loadRow(kh));
    } else {
      body.push('if (fresh) {', ...loadRow(kh).map((l) => `  ${l}`), '} else {');
      for (const t of range(span)) body.push(`  x_${kh}_${t} = x_${kh + d.SH}_${t};`);
      body.push('}');
    }
  }
  body.push(`let grow = row * ${OW};`);
  for (const j of range(PX)) {
    body.push(`let g_${j} = ${loadOrZero(T, 'G', `grow + min(ow0 + ${j}, ${OW} - 1)`, NC, `ow0 + ${j} < ${OW}`)};`);
  }
  for (let kh = 0; kh < d.KH; kh++) {
    for (let kw = 0; kw < d.KW; kw++) {
      body.push(`a_${kh}_${kw} += ${range(PX).map((j) => `g_${j} * x_${kh}_${j * d.SW + kw}`).join(' + ')};`);
    }
  }
  const decls: string[] = [];
  for (let kh = 0; kh < d.KH; kh++) {
    for (let kw = 0; kw < d.KW; kw++) decls.push(`var a_${kh}_${kw} = ${T}(0.0);`);
    for (const t of range(span)) decls.push(`var x_${kh}_${t} = ${T}(0.0);`);
  }
  const stores: string[] = [];
  for (let kh = 0; kh < d.KH; kh++) {
    for (let kw = 0; kw < d.KW; kw++) stores.push(`P[(s * ${d.KH * d.KW} + ${kh * d.KW + kw}) * ${NC} + cq] = a_${kh}_${kw};`);
  }
  const code = `${convPreambleUniform([['X', T], ['G', T], ['P', T]], u, total, NC, 'let s')}
  ${decls.join('\n  ')}
  let rowBeg = s * ${rowsPerChunk};
  let rowEnd = min(rowBeg + ${rowsPerChunk}, ${rows});
  for (var ow0 = 0; ow0 < ${owb} * ${PX}; ow0 += ${PX}) {
    let iw0 = ow0 * ${d.SW} - ${padLeft};
    for (var row = rowBeg; row < rowEnd; row++) {
      ${body.join('\n      ')}
    }
  }
  ${stores.join('\n  ')}
}`;
  return { key: `dwconv:dw:${key(d, u)}:w${PX}`, code, workgroups: grid1d(Math.ceil(threads / WG)), uniforms: u.buffer(), flops: depthwiseFlops(d), bytes: depthwiseBytes(d, (split.chunks - 1) * d.KH * d.KW * d.C) };
}

/**
 * The weight-gradient pass for maps too short or strides too long for the window to pay
 * (its refills dominate): a thread owns one kernel row kh of
 * its channels (KW accumulators in registers; one thread per row keeps the code small,
 * which matters to lavapipe's compile time) and walks its rows PX outputs at a time,
 * loading each input row segment once for every tap that reads it.
 */
function gradWeightRowKernel(d: DepthwiseDims, split: RowSplit, PX: number): Kernel {
  const CB = d.C % 4 === 0 ? 4 : 1;
  const T = vecType(CB);
  const threads = (d.C / CB) * d.KH * split.chunks;
  const { u, total, NC, H, W, OH, OW, owb, rowsPerChunk, rows, padTop, padLeft } = gradWeightSizes(d, split, threads, PX);
  const span = (PX - 1) * d.SW + d.KW;
  const body: string[] = [];
  for (const j of range(PX)) {
    body.push(`let g_${j} = ${loadOrZero(T, 'G', `grow + min(ow0 + ${j}, ${OW} - 1)`, NC, `ow0 + ${j} < ${OW}`)};`);
  }
  body.push(`let iw0 = ow0 * ${d.SW} - ${padLeft};`);
  for (const t of range(span)) {
    body.push(`let x_${t} = ${loadOrZero(T, 'X', `xrow + clamp(iw0 + ${t}, 0, ${W} - 1)`, NC, `iw0 + ${t} >= 0 && iw0 + ${t} < ${W}`)};`);
  }
  for (let kw = 0; kw < d.KW; kw++) {
    body.push(`a_${kw} += ${range(PX).map((j) => `g_${j} * x_${j * d.SW + kw}`).join(' + ')};`);
  }
  const code = `${convPreambleUniform([['X', T], ['G', T], ['P', T]], u, total, NC, 'let r')}
  let kh = r % ${d.KH};
  let s = r / ${d.KH};
  ${range(d.KW).map((kw) => `var a_${kw} = ${T}(0.0);`).join('\n  ')}
  let rowEnd = min((s + 1) * ${rowsPerChunk}, ${rows});
  for (var row = s * ${rowsPerChunk}; row < rowEnd; row++) {
    let nh = divmod(row, ${OH});
    let ih = nh.y * ${d.SH} + kh - ${padTop};
    if (ih < 0 || ih >= ${H}) { continue; }
    let xrow = (nh.x * ${H} + ih) * ${W};
    let grow = row * ${OW};
    for (var ow0 = 0; ow0 < ${owb} * ${PX}; ow0 += ${PX}) {
      ${body.join('\n      ')}
    }
  }
  ${range(d.KW).map((kw) => `P[(s * ${d.KH * d.KW} + kh * ${d.KW} + ${kw}) * ${NC} + cq] = a_${kw};`).join('\n  ')}
}`;
  return { key: `dwconv:dw:${key(d, u)}:r${PX}`, code, workgroups: grid1d(Math.ceil(threads / WG)), uniforms: u.buffer(), flops: depthwiseFlops(d), bytes: depthwiseBytes(d, (split.chunks - 1) * d.KH * d.KW * d.C) };
}

import { grid1d, type Kernel } from './kernel.js';
import { WG } from './wgsl.js';
import { convPreambleUniform, DIVMOD_LIMIT, SizeUniforms, splitBy } from './conv-preamble.js';

/**
 * Direct convolution kernels, NHWC activations and HWIO weights [KH, KW, Cin/groups, Cout].
 * (Stride-1 unpadded 1x1 convolutions never come here: the op sends them to the GEMM.)
 *
 * Each thread owns a small register tile so every load feeds several FMAs: PX output
 * pixels along W times CT vectors of output channels. Channels are read as vec4 whenever
 * the per-group channel count divides by 4 (with a scalar path otherwise): in HWIO the
 * Cout run of a weight row is contiguous, and in NHWC so is the Cin run of a pixel.
 * Positions are i32 so padding shows up as negative coordinates. Reads that may fall in
 * the padding clamp the index and select zero instead of branching: on lavapipe an if per
 * load made kernels take seconds to compile and ran no faster.
 */
export interface ConvDims {
  N: number;
  H: number;
  W: number;
  Cin: number;
  OH: number;
  OW: number;
  Cout: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  padTop: number;
  padLeft: number;
  groups: number;
}

/** Multiply-adds x 2 of one pass (forward, grad-input and grad-weight all do the same count). */
export function convFlops(d: ConvDims): number {
  return 2 * d.N * d.OH * d.OW * d.Cout * d.KH * d.KW * (d.Cin / d.groups);
}

/**
 * What every pass bakes: the window and the stride (they shape the unrolled taps and the
 * stride's residue classes); batch, map sizes and padding are uniforms. `:idiv` marks a
 * grid past divmod's exact range, which gets the integer division instead.
 */
function bakedKey(d: ConvDims, sizes: SizeUniforms): string {
  return `k${d.KH}x${d.KW}:s${d.SH}x${d.SW}${sizes.max >= DIVMOD_LIMIT ? ':idiv' : ''}`;
}

/** The map sizes and padding every pass reads from its uniforms. */
function mapSizes(u: SizeUniforms, d: ConvDims) {
  const [H, W, OH, OW, padTop, padLeft] = (['H', 'W', 'OH', 'OW', 'padTop', 'padLeft'] as const).map((k) => u.add(k, d[k]));
  return { H, W, OH, OW, padTop, padLeft };
}

/** WGSL type of a run of `n` f32 (1 or 4). */
export const vecType = (n: number): string => (n === 1 ? 'f32' : `vec${n}<f32>`);

/** Component `c` of a value of width `n`. */
export const lane = (v: string, n: number, c: number): string => (n === 1 ? v : `${v}[${c}]`);

/** Taps below this many weights per output (the RGB(A) stem's 27 or 36) are unrolled whole. */
const SMALL_REDUCTION = 48;

/**
 * Forward. Bindings: 0 x, 1 w, [2 bias], then y (sizes as uniforms after them).
 * The small-reduction path (the 3x3 stem on 3 or 4 channels) unrolls every tap and gives
 * one thread a pixel and up to 32 output channels: one input load feeds 32 FMAs, and with
 * all of the stem's 32 channels in one thread every weight index is a constant, which
 * lavapipe turns into scalar loads instead of gathers (measured 1.5 -> 7 GFLOP/s there;
 * 2 pixels per thread spilled and ran at 4.5). So that path bakes its channel counts; batch,
 * map sizes and padding are uniforms, and one pipeline serves the stem at every batch and
 * input size. The general path loops over (kh, kw, ci) with a 4-pixel x 8-channel tile and
 * reads the channel counts from its uniforms too.
 */
export function conv2dForwardKernel(d: ConvDims, bias: boolean): Kernel {
  const cinPG = d.Cin / d.groups;
  const coutPG = d.Cout / d.groups;
  const CB = coutPG % 4 === 0 ? 4 : 1;
  const CIV = cinPG % 4 === 0 ? 4 : 1;
  const small = d.KH * d.KW * cinPG <= SMALL_REDUCTION;
  const vecsPG = coutPG / CB;
  const CT = (small ? [8, 4, 2, 1] : [2, 1]).find((t) => vecsPG % t === 0)!;
  const PX = small ? 1 : 4;
  const OWB = Math.ceil(d.OW / PX);
  const threads = d.N * d.OH * OWB * (d.Cout / (CB * CT));
  const XT = vecType(CIV);
  const WT = vecType(CB);
  const u = new SizeUniforms();
  const total = u.add('total', threads);
  const { H, W, OH, OW, padTop, padLeft } = mapSizes(u, d);
  const owb = u.add('OWB', OWB);
  // channel counts: literals on the unrolled path (constant weight indices), uniforms on the loop
  const ch = (name: string, v: number): string => (small ? String(v) : u.add(name, v));
  const NQ = ch('NQ', d.Cout / (CB * CT));
  const coutV = ch('coutV', d.Cout / CB);
  const cinV = ch('cinV', d.Cin / CIV);
  const cinPGs = ch('cinPG', cinPG);
  const coutPGs = ch('coutPG', coutPG);
  const cinPGV = ch('cinPGV', cinPG / CIV);
  const tapStride = ch('tapStride', cinPG * (d.Cout / CB));

  const js = [...Array(PX).keys()];
  const ts = [...Array(CT).keys()];
  const cs = [...Array(CIV).keys()];
  const lines: string[] = [];
  for (const j of js) for (const t of ts) lines.push(`var acc_${j}_${t} = ${WT}(0.0);`);

  // One (kh, kw) tap over the ci loop; kh/kw/ci are WGSL expressions (loop vars or literals).
  const ciStep = (ci: string): string => {
    const body: string[] = [];
    for (const c of cs) {
      for (const t of ts) body.push(`let w_${c}_${t} = Wt[wo + (${ci} + ${c}) * ${coutV} + ${t}];`);
    }
    for (const j of js) body.push(`let x_${j} = select(${XT}(0.0), X[xo_${j} + (${ci}) / ${CIV}], ok_${j});`);
    for (const j of js) {
      for (const t of ts) {
        const terms = cs.map((c) => `${lane(`x_${j}`, CIV, c)} * w_${c}_${t}`).join(' + ');
        body.push(`acc_${j}_${t} += ${terms};`);
      }
    }
    return body.join('\n      ');
  };
  const tap = (kh: string, kw: string): string => {
    const body = [`let ih = oh * ${d.SH} + ${kh} - ${padTop};`, `if (ih >= 0 && ih < ${H}) {`];
    body.push(`  let rowBase = (n * ${H} + ih) * ${W};`);
    for (const j of js) {
      body.push(`  let iw_${j} = (ow0 + ${j}) * ${d.SW} + ${kw} - ${padLeft};`);
      body.push(`  let ok_${j} = iw_${j} >= 0 && iw_${j} < ${W};`);
      body.push(`  let xo_${j} = (rowBase + clamp(iw_${j}, 0, ${W} - 1)) * ${cinV} + ciBaseV;`);
    }
    body.push(`  let wo = (${kh} * ${d.KW} + ${kw}) * ${tapStride} + cq * ${CT};`);
    if (small) {
      for (let ci = 0; ci < cinPG; ci += CIV) body.push(`  {\n      ${ciStep(String(ci))}\n  }`);
    } else {
      body.push(`  for (var ci = 0; ci < ${cinPGs}; ci += ${CIV}) {\n      ${ciStep('ci')}\n  }`);
    }
    body.push('}');
    return body.join('\n    ');
  };
  if (small) {
    for (let kh = 0; kh < d.KH; kh++) for (let kw = 0; kw < d.KW; kw++) lines.push(`{\n    ${tap(String(kh), String(kw))}\n  }`);
  } else {
    lines.push(`for (var kh = 0; kh < ${d.KH}; kh++) {\n  for (var kw = 0; kw < ${d.KW}; kw++) {\n    ${tap('kh', 'kw')}\n  }\n  }`);
  }
  for (const j of js) {
    lines.push(`if (ow0 + ${j} < ${OW}) {`);
    lines.push(`  let yo = ((n * ${OH} + oh) * ${OW} + ow0 + ${j}) * ${coutV} + cq * ${CT};`);
    for (const t of ts) lines.push(`  Y[yo + ${t}] = acc_${j}_${t}${bias ? ` + B[cq * ${CT} + ${t}]` : ''};`);
    lines.push('}');
  }

  const buffers = [['X', XT], ['Wt', WT], ...(bias ? [['B', WT] as const] : []), ['Y', WT]] as const;
  const code = `${convPreambleUniform(buffers, u, total, NQ, 'let r')}
  let qw = ${splitBy('r', owb)};
  let ow0 = qw.y * ${PX};
  let qh = ${splitBy('qw.x', OH)};
  let oh = qh.y;
  let n = qh.x;
  let ciBaseV = ((cq * ${CT * CB}) / ${coutPGs}) * ${cinPGV};
  ${lines.join('\n  ')}
}`;
  const channels = small ? `:unrolled${cinPG},${d.Cout},${d.groups}` : ':loop';
  return {
    key: `conv2d:fwd:${bakedKey(d, u)}:v${CIV},${CB}:t${CT}${channels}:${bias}`,
    code,
    uniforms: u.buffer(),
    flops: convFlops(d),
    workgroups: grid1d(Math.ceil(threads / WG)),
  };
}

/**
 * Gradient w.r.t. the input: dx[n, ih, iw, ci] = sum over taps and the group's output
 * channels of dy[n, oh, ow, co] * w[kh, kw, ci, co]. A thread owns PX input pixels of one
 * residue class modulo the stride (iw = r + (b*PX + j) * SW), so the same kw taps are valid
 * for all of them and no lane wastes its loop on taps that skip. dy and w are both
 * contiguous over co, so the inner loop is dot products of vec4s. Everything but the
 * window, the stride and the vector widths is a uniform (the loops run over them anyway).
 * Bindings: 0 dy, 1 w, 2 dx (sizes as uniforms after them).
 */
export function conv2dGradInputKernel(d: ConvDims): Kernel {
  const cinPG = d.Cin / d.groups;
  const coutPG = d.Cout / d.groups;
  const CB = coutPG % 4 === 0 ? 4 : 1;
  const CIV = cinPG % 4 === 0 ? 4 : 1;
  const PX = 4;
  const WB = Math.ceil(Math.ceil(d.W / d.SW) / PX);
  const threads = d.N * d.H * d.SW * WB * (d.Cin / CIV);
  const XT = vecType(CIV);
  const GT = vecType(CB);
  const u = new SizeUniforms();
  const total = u.add('total', threads);
  const { H, W, OH, OW, padTop, padLeft } = mapSizes(u, d);
  const NQ = u.add('NQ', d.Cin / CIV);
  const wb = u.add('WB', WB);
  const cinPGs = u.add('cinPG', cinPG);
  const coutPGV = u.add('coutPGV', coutPG / CB);
  const coutV = u.add('coutV', d.Cout / CB);
  const js = [...Array(PX).keys()];
  const cs = [...Array(CIV).keys()];
  const dot = (a: string, b: string) => (CB === 1 ? `${a} * ${b}` : `dot(${a}, ${b})`);

  const lines: string[] = [];
  for (const j of js) lines.push(`var acc_${j} = ${XT}(0.0);`);
  const inner: string[] = [];
  for (const c of cs) inner.push(`let w_${c} = Wt[wo + ${c} * ${coutV} + co];`);
  for (const j of js) inner.push(`let g_${j} = select(${GT}(0.0), G[go_${j} + co], ok_${j});`);
  for (const j of js) {
    const terms = cs.map((c) => dot(`g_${j}`, `w_${c}`));
    inner.push(`acc_${j} += ${CIV === 1 ? terms[0] : `${XT}(${terms.join(', ')})`};`);
  }
  const store: string[] = [];
  for (const j of js) {
    store.push(`let iw_${j} = rw + (b * ${PX} + ${j}) * ${d.SW};`);
    store.push(`if (iw_${j} < ${W}) { DX[((n * ${H} + ih) * ${W} + iw_${j}) * ${NQ} + cq] = acc_${j}; }`);
  }
  const okLines = js
    .map(
      (j) => `let ow_${j} = owb + ${j};
          let ok_${j} = ow_${j} >= 0 && ow_${j} < ${OW} && rw + (b * ${PX} + ${j}) * ${d.SW} < ${W};
          let go_${j} = (rowG + clamp(ow_${j}, 0, ${OW} - 1)) * ${coutV} + coBaseV;`,
    )
    .join('\n          ');
  const code = `${convPreambleUniform([['G', GT], ['Wt', GT], ['DX', XT]], u, total, NQ, 'let r')}
  let qb = ${splitBy('r', wb)};
  let b = qb.y;
  let rw = qb.x % ${d.SW};
  let qh = ${splitBy(`qb.x / ${d.SW}`, H)};
  let ih = qh.y;
  let n = qh.x;
  let g = (cq * ${CIV}) / ${cinPGs};
  let ciLocal = cq * ${CIV} - g * ${cinPGs};
  let coBaseV = g * ${coutPGV};
  ${lines.join('\n  ')}
  for (var kh = 0; kh < ${d.KH}; kh++) {
    let numh = ih + ${padTop} - kh;
    if (numh < 0 || numh % ${d.SH} != 0) { continue; }
    let oh = numh / ${d.SH};
    if (oh >= ${OH}) { continue; }
    let rowG = (n * ${OH} + oh) * ${OW};
    for (var kw = 0; kw < ${d.KW}; kw++) {
      let numw = rw + ${padLeft} - kw;
      if (numw % ${d.SW} != 0) { continue; }
      let owb = numw / ${d.SW} + b * ${PX};
      ${okLines}
      let wo = ((kh * ${d.KW} + kw) * ${cinPGs} + ciLocal) * ${coutV} + coBaseV;
      for (var co = 0; co < ${coutPGV}; co++) {
        ${inner.join('\n        ')}
      }
    }
  }
  ${store.join('\n  ')}
}`;
  return { key: `conv2d:dx:${bakedKey(d, u)}:v${CIV},${CB}`, code, workgroups: grid1d(Math.ceil(threads / WG)), uniforms: u.buffer(), flops: convFlops(d) };
}

/** How the N*OH output rows are cut into chunks for a two-pass weight gradient. */
export interface RowSplit {
  rowsPerChunk: number;
  chunks: number;
}

/** Enough chunks that (threads per chunk x chunks) reaches `targetThreads`, no more. */
export function splitRows(rows: number, threadsPerChunk: number, targetThreads: number): RowSplit {
  const chunksWanted = Math.max(1, Math.min(rows, Math.ceil(targetThreads / threadsPerChunk)));
  const rowsPerChunk = Math.ceil(rows / chunksWanted);
  return { rowsPerChunk, chunks: Math.ceil(rows / rowsPerChunk) };
}

/** A grad-weight thread's tile: CIT input channels (read CIV at a time) x CT vectors of CB output channels. */
function gradWeightTile(d: ConvDims): { CB: number; CIV: number; CIT: number; CT: number } {
  const cinPG = d.Cin / d.groups;
  const coutPG = d.Cout / d.groups;
  const CB = coutPG % 4 === 0 ? 4 : 1;
  const CIV = cinPG % 4 === 0 ? 4 : 1;
  // A stem's 3 input channels all go to one thread: each dy load then feeds 3x as many FMAs.
  const CIT = CIV === 4 ? 4 : cinPG <= 4 ? cinPG : 1;
  const CT = (coutPG / CB) % 2 === 0 ? 2 : 1;
  return { CB, CIV, CIT, CT };
}

export function conv2dGradWeightThreadsPerChunk(d: ConvDims): number {
  const { CB, CIT, CT } = gradWeightTile(d);
  return (d.Cout / (CB * CT)) * d.KH * d.KW * (d.Cin / d.groups / CIT);
}

/**
 * First pass of the weight gradient, an implicit GEMM dw[(kh,kw,ci), co] = sum over output
 * pixels of x[pixel's tap, ci] * dy[pixel, co], split over chunks of output rows so the
 * N*OH*OW reduction is spread over many threads: partial[s, kh, kw, ci, co] for chunk s.
 * The op sums the partials over s. A thread owns a CIT x (CT*CB) tile (4 input x 8 output
 * channels when both divide by 4) and walks only the ow range whose tap is inside the input.
 * The tile, window and stride are baked; channel counts, map sizes, padding and the row
 * chunking are uniforms.
 * Bindings: 0 x, 1 dy, 2 partial (sizes as uniforms after them).
 */
export function conv2dGradWeightKernel(d: ConvDims, split: RowSplit): Kernel {
  const cinPG = d.Cin / d.groups;
  const coutPG = d.Cout / d.groups;
  const { CB, CIV, CIT, CT } = gradWeightTile(d);
  const nq = d.Cout / CB;
  const NCIQ = cinPG / CIT;
  const threads = (nq / CT) * d.KH * d.KW * NCIQ * split.chunks;
  const XT = vecType(CIV);
  const GT = vecType(CB);
  const cs = [...Array(CIT).keys()];
  const ts = [...Array(CT).keys()];
  const u = new SizeUniforms();
  const total = u.add('total', threads);
  const { H, W, OH, OW, padTop, padLeft } = mapSizes(u, d);
  const NCQ = u.add('NCQ', nq / CT);
  const NQ = u.add('NQ', nq);
  const tiles = u.add('tiles', d.KH * d.KW * NCIQ);
  const ncIq = u.add('NCIQ', NCIQ);
  const cinPGs = u.add('cinPG', cinPG);
  const coutPGs = u.add('coutPG', coutPG);
  const cinV = u.add('cinV', d.Cin / CIV);
  const rowsPerChunk = u.add('rowsPerChunk', split.rowsPerChunk);
  const rows = u.add('rows', d.N * d.OH);
  const xLoads =
    CIV === 4
      ? ['let xv = X[xo];']
      : cs.map((c) => `let x_${c} = X[xo + ${c}];`);
  const xOf = (c: number) => (CIV === 4 ? `xv[${c}]` : `x_${c}`);
  const accs = cs.flatMap((c) => ts.map((t) => `var acc_${c}_${t} = ${GT}(0.0);`));
  const fmas = cs.flatMap((c) => ts.map((t) => `acc_${c}_${t} += ${xOf(c)} * g_${t};`));
  const stores = cs.flatMap((c) => ts.map((t) => `P[po + ${c} * ${NQ} + ${t}] = acc_${c}_${t};`));
  const code = `${convPreambleUniform([['X', XT], ['G', GT], ['P', GT]], u, total, NCQ, 'let r')}
  let qt = ${splitBy('r', tiles)};
  let tile = qt.y;
  let s = qt.x;
  let qk = ${splitBy('tile', ncIq)};
  let khkw = qk.x;
  let ciq = qk.y;
  let kh = khkw / ${d.KW};
  let kw = khkw % ${d.KW};
  let g = (cq * ${CT * CB}) / ${coutPGs};
  let xch = (g * ${cinPGs} + ciq * ${CIT}) / ${CIV};
  ${accs.join('\n  ')}
  // ow range whose tap iw = ow*SW - padLeft + kw lies inside [0, W)
  let owLo = max(0, (${padLeft} - kw + ${d.SW - 1}) / ${d.SW});
  let hiNum = ${W} + ${padLeft} - 1 - kw;
  var owHi = -1;
  if (hiNum >= 0) { owHi = min(${OW} - 1, hiNum / ${d.SW}); }
  let rowEnd = min((s + 1) * ${rowsPerChunk}, ${rows});
  for (var row = s * ${rowsPerChunk}; row < rowEnd; row++) {
    let nh = ${splitBy('row', OH)};
    let n = nh.x;
    let oh = nh.y;
    let ih = oh * ${d.SH} - ${padTop} + kh;
    if (ih < 0 || ih >= ${H}) { continue; }
    let xrow = (n * ${H} + ih) * ${W};
    let grow = row * ${OW};
    for (var ow = owLo; ow <= owHi; ow++) {
      let xo = (xrow + ow * ${d.SW} - ${padLeft} + kw) * ${cinV} + xch;
      let go = (grow + ow) * ${NQ} + cq * ${CT};
      ${xLoads.join('\n      ')}
      ${ts.map((t) => `let g_${t} = G[go + ${t}];`).join('\n      ')}
      ${fmas.join('\n      ')}
    }
  }
  let po = ((s * ${d.KH * d.KW} + khkw) * ${cinPGs} + ciq * ${CIT}) * ${NQ} + cq * ${CT};
  ${stores.join('\n  ')}
}`;
  return {
    key: `conv2d:dw:${bakedKey(d, u)}:v${CIV},${CB}:t${CIT},${CT}`,
    code,
    uniforms: u.buffer(),
    flops: convFlops(d),
    workgroups: grid1d(Math.ceil(threads / WG)),
  };
}

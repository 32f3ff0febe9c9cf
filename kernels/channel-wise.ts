import { grid1d, type Kernel } from './kernel.js';

/**
 * Shared pieces of the per-channel kernels (batchnorm, pooling, squeeze-excite) over
 * channels-last data viewed as [rows, C]. When C % 4 == 0 every buffer is read as
 * array<vec4f> and one thread owns four neighbouring channels; the WGSL is written once
 * against `alias V` so both widths come from the same source.
 */
export interface ChannelLayout {
  C: number;
  /** channels per thread: 4 when C % 4 == 0, else 1 */
  width: 1 | 4;
  /** columns of V per row: C / width */
  CV: number;
  /** WGSL preamble: `alias V = ...;` plus the activation helpers typed on V */
  prelude: string;
}

export function channelLayout(C: number): ChannelLayout {
  const width = C % 4 === 0 ? 4 : 1;
  const V = width === 4 ? 'vec4f' : 'f32';
  const prelude = /* wgsl */ `alias V = ${V};
// exp(-z) overflows to +inf for z < -88, which still gives the right limit 0.
fn sigmV(z: V) -> V { return 1.0 / (1.0 + exp(-z)); }
// d/dz of z * sigmoid(z)
fn swishGradV(z: V) -> V { let s = sigmV(z); return s * (1.0 + z * (1.0 - s)); }`;
  return { C, width, CV: C / width, prelude };
}

/** A kernel plus the names of the buffers it binds, in binding order: its variants bind
 * different sets (layout 'auto' rejects a bound buffer the shader never reads). */
export interface BoundKernel extends Kernel {
  bindings: readonly string[];
}

export type Access = 'read' | 'read_write';

/** Declares storage buffers of V at bindings 0..n-1 (names upper-cased in the WGSL). */
export function declare(buffers: readonly (readonly [string, Access])[], type = 'V'): string {
  return buffers
    .map(([name, access], i) => `@group(0) @binding(${i}) var<storage, ${access}> ${name.toUpperCase()}: array<${type}>;`)
    .join('\n');
}

/** Orders named buffers as a kernel binds them; the error names the op and the gap. */
export function bindBuffers(op: string, kernel: BoundKernel, buffers: Record<string, GPUBufferBinding>): GPUBufferBinding[] {
  return kernel.bindings.map((name) => {
    const b = buffers[name];
    if (!b) throw new Error(`${op}: kernel ${kernel.key} binds '${name}', which was not supplied`);
    return b;
  });
}

/**
 * The image size, the columns CV and the row blocking are uniforms (`cu`, bound after the
 * buffers) in both frames below, not constants: only the channel width (and the reduction's
 * column tile) shape the code, so one pipeline serves every layer at every batch and input size. `cu.invHW` is 1 / (H*W) rounded once to f32,
 * what a constant would have given; `consts`, `body` and `finish` may use it.
 */
const CW_UNIFORMS = 'struct CwU { HW: u32, Q: u32, R: u32, threads: u32, invHW: f32, CV: u32, p0: u32, p1: u32 }';

function cwUniforms(L: ChannelLayout, HW: number, Q = 0, R = 0, threads = 0): ArrayBuffer {
  const u = new ArrayBuffer(32);
  new Uint32Array(u, 0, 4).set([HW, Q, R, threads]);
  new Float32Array(u, 16, 1)[0] = 1 / HW;
  new Uint32Array(u, 20, 1)[0] = L.CV;
  return u;
}

const cwDecl = (n: number): string => `${CW_UNIFORMS}
@group(0) @binding(${n}) var<uniform> cu: CwU;`;

/** Tree reduction of `arr` (workgroup memory) over `count` strided slots: after it,
 * arr[lane] holds the total of arr[lane + k * stride] for k < count. Must be reached
 * in uniform control flow. */
export function treeReduce(arr: string, lane: string, part: string, count: number, stride: number): string {
  return `workgroupBarrier();
  for (var s = ${count / 2}u; s > 0u; s = s >> 1u) {
    if (${part} < s) { ${arr}[${lane}] = ${arr}[${lane}] + ${arr}[${lane} + s * ${stride}u]; }
    workgroupBarrier();
  }`;
}

/**
 * Reduction over the H*W rows of each image, per channel: a workgroup owns one image n
 * (workgroup_id.y) and TCOL neighbouring columns (workgroup_id.x); its 256 threads are
 * RS row-splits x TCOL columns so neighbouring threads read neighbouring channels.
 * `body` runs per element with `idx` (element index in V units), `nj` (n * CV + j) and
 * accumulates into `acc`; `finish` runs once per column with the total in `acc`.
 */
export function hwReduceKernel(opts: {
  key: string;
  layout: ChannelLayout;
  N: number;
  HW: number;
  buffers: readonly (readonly [string, Access])[];
  /** runs once per thread before the loop (sees `nj`): per-column loads the compiler cannot hoist past a read_write binding */
  consts?: string;
  body: string;
  finish: string;
}): BoundKernel {
  const { layout: L, N, HW } = opts;
  let tcol = 1;
  while (tcol < Math.min(L.CV, 64)) tcol *= 2;
  const rs = 256 / tcol;
  const tiles = Math.ceil(L.CV / tcol);
  const code = /* wgsl */ `${L.prelude}
${declare(opts.buffers)}
${cwDecl(opts.buffers.length)}
var<workgroup> red: array<V, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let col = lid % ${tcol}u;
  let rs = lid / ${tcol}u;
  let n = wid.y;
  let j = wid.x * ${tcol}u + col;
  let inCols = j < cu.CV;
  let nj = n * cu.CV + j;
  var acc = V(0.0);
  if (inCols) {
    ${opts.consts ?? ''}
    for (var hw = rs; hw < cu.HW; hw += ${rs}u) {
      let idx = (n * cu.HW + hw) * cu.CV + j;
      ${opts.body}
    }
  }
  red[lid] = acc;
  ${treeReduce('red', 'lid', 'rs', rs, tcol)}
  if (rs == 0u && inCols) {
    let acc = red[col];
    ${opts.finish}
  }
}`;
  return {
    key: `${opts.key}:${L.width}:${tcol}`,
    code,
    workgroups: [tiles, N, 1],
    bindings: opts.buffers.map(([n]) => n),
    uniforms: cwUniforms(L, HW),
  };
}

/**
 * An elementwise pass over NHWC data whose per-(image, channel) factor is loaded once:
 * a thread owns one column j of a chunk of R rows inside one image, so `consts` (which
 * sees `nj` = n * CV + j) runs once per thread and `body` (which sees `idx`) per row.
 * About 16K threads, at least 16 rows each: few workgroups, which the software adapter
 * needs (each costs ~10 us there), and enough to fill a GPU.
 */
export function imageRowsKernel(opts: {
  key: string;
  layout: ChannelLayout;
  N: number;
  HW: number;
  buffers: readonly (readonly [string, Access])[];
  consts: string;
  body: string;
}): BoundKernel {
  const { layout: L, N, HW } = opts;
  const Q0 = Math.max(1, Math.min(Math.ceil(HW / 16), Math.ceil(16384 / (N * L.CV))));
  const R = Math.ceil(HW / Q0);
  const Q = Math.ceil(HW / R);
  const threads = N * Q * L.CV;
  const code = /* wgsl */ `${L.prelude}
${declare(opts.buffers)}
${cwDecl(opts.buffers.length)}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (t >= cu.threads) { return; }
  let j = t % cu.CV;
  let c = t / cu.CV;
  let n = c / cu.Q;
  let hw0 = (c % cu.Q) * cu.R;
  let hw1 = min(hw0 + cu.R, cu.HW);
  let nj = n * cu.CV + j;
  ${opts.consts}
  for (var hw = hw0; hw < hw1; hw++) {
    let idx = (n * cu.HW + hw) * cu.CV + j;
    ${opts.body}
  }
}`;
  return {
    key: `${opts.key}:${L.width}`,
    code,
    workgroups: grid1d(Math.ceil(threads / 64)),
    bindings: opts.buffers.map(([n]) => n),
    uniforms: cwUniforms(L, HW, Q, R, threads),
  };
}

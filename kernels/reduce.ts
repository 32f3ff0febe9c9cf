import { grid1d, type Kernel } from './kernel.js';
import { WG, flatIndexHeader, offsetFromIndex } from './wgsl.js';

export type ReduceOp = 'sum' | 'max';

/**
 * Reduces an input viewed as kept dims x reduced dims (each list collapsed, with the
 * input's element strides). Few outputs over long reductions (BN channel statistics,
 * full sums) get a workgroup per output that splits the loop and combines in workgroup
 * memory; otherwise one thread per output loops. `scale` multiplies the result (mean).
 * Bindings: 0 x, 1 out.
 */
export function reduceKernel(
  op: ReduceOp,
  kept: readonly number[],
  keptStrides: readonly number[],
  red: readonly number[],
  redStrides: readonly number[],
  scale = 1,
): Kernel {
  const nOut = kept.reduce((a, b) => a * b, 1);
  const nRed = red.reduce((a, b) => a * b, 1);
  const init = op === 'sum' ? '0.0' : '-3.4028234663852886e38';
  const combine = (acc: string, v: string) => (op === 'sum' ? `${acc} + ${v}` : `max(${acc}, ${v})`);
  const scaleExpr = scale === 1 ? 'acc' : `acc * ${scale.toPrecision(9)}`;
  const cooperative = nRed >= 256 && nOut < 4096;
  if (kept.length <= 1 && red.length === 1) return reduce1Kernel(op, nOut, keptStrides[0] ?? 0, nRed, redStrides[0], scale, cooperative);
  const key = `reduce:${op}:${kept}:${keptStrides}:${red}:${redStrides}:${scale}:${cooperative}`;
  const bindings = `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;`;
  if (!cooperative) {
    const code = `${flatIndexHeader(bindings)}
  if (i >= ${nOut}u) { return; }
  ${offsetFromIndex('i', kept, keptStrides, 'base')}
  var acc = ${init};
  for (var j = 0u; j < ${nRed}u; j++) {
    ${offsetFromIndex('j', red, redStrides, 'off')}
    acc = ${combine('acc', 'X[base + off]')};
  }
  O[i] = ${scaleExpr};
}`;
    return { key, code, workgroups: grid1d(Math.ceil(nOut / WG)) };
  }
  const code = `${bindings}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = wid.y * nwg.x + wid.x;
  ${offsetFromIndex('o', kept, keptStrides, 'base')}
  var acc = ${init};
  for (var j = lid; j < ${nRed}u; j += ${WG}u) {
    ${offsetFromIndex('j', red, redStrides, 'off')}
    acc = ${combine('acc', 'X[base + off]')};
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = ${combine('part[lid]', 'part[lid + s]')}; }
    workgroupBarrier();
  }
  if (lid == 0u) { let acc = part[0]; O[o] = ${scaleExpr}; }
}`;
  return { key, code, workgroups: grid1d(nOut) };
}

/**
 * The common case, at most one kept and one reduced axis (a column or row sum, a full sum: bias
 * gradients, batch sums, the depthwise weight gradient's chunks), with the sizes, strides and
 * scale as uniforms: one pipeline per op and layout serves every size, where the constant form
 * above makes one per shape (each a fresh LLVM compile on lavapipe's first run).
 */
function reduce1Kernel(op: ReduceOp, nOut: number, keptStride: number, nRed: number, redStride: number, scale: number, cooperative: boolean): Kernel {
  const init = op === 'sum' ? '0.0' : '-3.4028234663852886e38';
  const combine = (acc: string, v: string) => (op === 'sum' ? `${acc} + ${v}` : `max(${acc}, ${v})`);
  const bindings = `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
struct U { nOut: u32, keptStride: u32, nRed: u32, redStride: u32, scale: f32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(2) var<uniform> u: U;`;
  const uniforms = new ArrayBuffer(32);
  new Uint32Array(uniforms, 0, 4).set([nOut, keptStride, nRed, redStride]);
  new Float32Array(uniforms, 16, 1)[0] = scale;
  const key = `reduce1:${op}:${cooperative}`;
  if (!cooperative) {
    const code = `${flatIndexHeader(bindings)}
  if (i >= u.nOut) { return; }
  let base = i * u.keptStride;
  var acc = ${init};
  for (var j = 0u; j < u.nRed; j++) {
    acc = ${combine('acc', 'X[base + j * u.redStride]')};
  }
  O[i] = acc * u.scale;
}`;
    return { key, code, workgroups: grid1d(Math.ceil(nOut / WG)), uniforms };
  }
  const code = `${bindings}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = wid.y * nwg.x + wid.x;
  let base = o * u.keptStride;
  var acc = ${init};
  for (var j = lid; j < u.nRed; j += ${WG}u) {
    acc = ${combine('acc', 'X[base + j * u.redStride]')};
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = ${combine('part[lid]', 'part[lid + s]')}; }
    workgroupBarrier();
  }
  if (lid == 0u) { O[o] = part[0] * u.scale; }
}`;
  return { key, code, workgroups: grid1d(nOut), uniforms };
}

import { grid1d, type Kernel } from './kernel.js';
import { WG, flatIndexHeader, offsetFromIndex } from './wgsl.js';

export type ReduceOp = 'sum' | 'max';

/**
 * Reduces an input viewed as kept dims x reduced dims (each list collapsed, with the
 * input's element strides). Few outputs over long reductions (BN channel statistics,
 * full sums) get a workgroup per output that splits the loop and combines in workgroup
 * memory; otherwise one thread per output loops. `scale` multiplies the result (mean).
 * Both shapes of kernel share one tail whether the sizes are constants or uniforms.
 * Bindings: 0 x, 1 out (2 the uniforms, for one kept and one reduced axis).
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
  const cooperative = nRed >= 256 && nOut < 4096;
  let bindings = `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;`;
  // How the kernel reads its sizes: output count, reduction length, the offsets of output `o`
  // and of reduction step `j`, the scale.
  let sizes: { nOut: string; nRed: string; base: (o: string) => string; off: (j: string) => string; scaled: string };
  let key: string;
  let uniforms: ArrayBuffer | undefined;
  if (kept.length <= 1 && red.length === 1) {
    // The common case, at most one kept and one reduced axis (a column or row sum, a full sum:
    // bias gradients, batch sums, the depthwise weight gradient's chunks), with the sizes,
    // strides and scale as uniforms: one pipeline per op and layout serves every size, where
    // constants make one per shape (each a fresh LLVM compile on lavapipe's first run).
    bindings += `
struct U { nOut: u32, keptStride: u32, nRed: u32, redStride: u32, scale: f32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(2) var<uniform> u: U;`;
    uniforms = new ArrayBuffer(32);
    new Uint32Array(uniforms, 0, 4).set([nOut, keptStrides[0] ?? 0, nRed, redStrides[0]]);
    new Float32Array(uniforms, 16, 1)[0] = scale;
    sizes = { nOut: 'u.nOut', nRed: 'u.nRed', base: (o) => `let base = ${o} * u.keptStride;`, off: (j) => `let off = ${j} * u.redStride;`, scaled: 'acc * u.scale' };
    key = `reduce1:${op}:${cooperative}`;
  } else {
    sizes = {
      nOut: `${nOut}u`,
      nRed: `${nRed}u`,
      base: (o) => offsetFromIndex(o, kept, keptStrides, 'base'),
      off: (j) => offsetFromIndex(j, red, redStrides, 'off'),
      scaled: scale === 1 ? 'acc' : `acc * ${scale.toPrecision(9)}`,
    };
    key = `reduce:${op}:${kept}:${keptStrides}:${red}:${redStrides}:${scale}:${cooperative}`;
  }
  if (!cooperative) {
    const code = `${flatIndexHeader(bindings)}
  if (i >= ${sizes.nOut}) { return; }
  ${sizes.base('i')}
  var acc = ${init};
  for (var j = 0u; j < ${sizes.nRed}; j++) {
    ${sizes.off('j')}
    acc = ${combine('acc', 'X[base + off]')};
  }
  O[i] = ${sizes.scaled};
}`;
    return { key, code, workgroups: grid1d(Math.ceil(nOut / WG)), uniforms };
  }
  const code = `${bindings}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = wid.y * nwg.x + wid.x;
  ${sizes.base('o')}
  var acc = ${init};
  for (var j = lid; j < ${sizes.nRed}; j += ${WG}u) {
    ${sizes.off('j')}
    acc = ${combine('acc', 'X[base + off]')};
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = ${combine('part[lid]', 'part[lid + s]')}; }
    workgroupBarrier();
  }
  if (lid == 0u) { let acc = part[0]; O[o] = ${sizes.scaled}; }
}`;
  return { key, code, workgroups: grid1d(nOut), uniforms };
}

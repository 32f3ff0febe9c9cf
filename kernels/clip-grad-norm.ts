import type { Kernel } from './kernel.js';
import { treeReduce } from './channel-wise.js';
import { optimFrame, optimKernelCode, optimUniforms } from './optim-wgsl.js';
import { f32lit } from './wgsl.js';

const WG = 256;

/** Workgroups that sum the squares of one gradient of n elements (enough to fill a GPU, few partials). */
export function sumSquaresGroups(n: number): number {
  return Math.max(1, Math.min(64, Math.ceil(n / (WG * 16))));
}

/**
 * Sum of squares of one gradient into partial[base + w] for each of its `groups`
 * workgroups (grid-stride loop, tree in workgroup memory). n and base are uniforms:
 * one pipeline for every parameter. Bindings: grad, partial (rw).
 */
export function sumSquaresKernel(n: number, base: number): Kernel {
  const f = optimFrame(n);
  const groups = sumSquaresGroups(n);
  const code = `alias V = ${f.vec4 ? 'vec4f' : 'f32'};
struct U { n: u32, base: u32 }
@group(0) @binding(0) var<storage, read> G: array<V>;
@group(0) @binding(1) var<storage, read_write> PART: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = wid.x * ${WG}u + lid; i < u.n; i += ${groups * WG}u) {
    let g = G[i];
    acc += ${f.vec4 ? 'dot(g, g)' : 'g * g'};
  }
  red[lid] = acc;
  ${treeReduce('red', 'lid', 'lid', WG, 1)}
  if (lid == 0u) { PART[u.base + wid.x] = red[0]; }
}`;
  const uniforms = new Uint32Array([f.count, base, 0, 0]).buffer;
  return { key: `sumSquares:${f.vec4}:${groups}`, code, workgroups: [groups, 1, 1], uniforms };
}

/** One row of sumSquaresFlatKernel's table per workgroup: the gradient's element offset in
 * the flat buffer, its count in the units sumSquaresKernel reads (vec4s or floats), the
 * workgroup's index among that gradient's groups, and groups | vec4 << 8. */
export function sumSquaresTable(grads: readonly { offset: number; size: number }[]): Uint32Array {
  const rows: number[] = [];
  for (const g of grads) {
    const f = optimFrame(g.size);
    const groups = sumSquaresGroups(g.size);
    for (let w = 0; w < groups; w++) rows.push(g.offset, f.count, w, groups | ((f.vec4 ? 1 : 0) << 8));
  }
  return Uint32Array.from(rows);
}

/**
 * sumSquaresKernel for many gradients of one flat buffer in one dispatch: workgroup w does
 * what workgroup TAB[w].z of that gradient's own dispatch did (the same elements, in the
 * same order, vec4 where it read vec4s) and writes PART[w], so the partials, and the norm
 * and the guard built on them, keep their bits. Bindings: flat grads, table (vec4u rows,
 * sumSquaresTable), partial (rw).
 */
export function sumSquaresFlatKernel(workgroups: number): Kernel {
  const x = Math.min(workgroups, 65535);
  const code = `@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read> TAB: array<vec4u>;
@group(0) @binding(2) var<storage, read_write> PART: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * ${x}u;
  if (w >= ${workgroups}u) { return; }
  let e = TAB[w];
  let stride = (e.w & 0xffu) * ${WG}u;
  var acc = 0.0;
  if ((e.w >> 8u) != 0u) {
    for (var i = e.z * ${WG}u + lid; i < e.y; i += stride) {
      let b = e.x + 4u * i;
      let g = vec4f(G[b], G[b + 1u], G[b + 2u], G[b + 3u]);
      acc += dot(g, g);
    }
  } else {
    for (var i = e.z * ${WG}u + lid; i < e.y; i += stride) {
      let g = G[e.x + i];
      acc += g * g;
    }
  }
  red[lid] = acc;
  ${treeReduce('red', 'lid', 'lid', WG, 1)}
  if (lid == 0u) { PART[w] = red[0]; }
}`;
  return { key: `sumSquaresFlat:${workgroups}`, code, workgroups: [x, Math.ceil(workgroups / x), 1] };
}

/** WGSL: one workgroup's `main` opening, which sums PART[0..count) into red[0] (read it
 * under `lid == 0u`); the squared norm behind clipping and the step guard. */
export function sumPartialsMain(count: number): string {
  return `var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < ${count}u; i += ${WG}u) { acc += PART[i]; }
  red[lid] = acc;
  ${treeReduce('red', 'lid', 'lid', WG, 1)}`;
}

/**
 * total = sqrt(sum of partials); coef = min(maxNorm / (total + 1e-6), 1), PyTorch's
 * clip_grad_norm_. Bindings: partial, out (rw) = [total, coef].
 */
export function clipCoefKernel(count: number, maxNorm: number): Kernel {
  const code = `@group(0) @binding(0) var<storage, read> PART: array<f32>;
@group(0) @binding(1) var<storage, read_write> OUT: array<f32>;
${sumPartialsMain(count)}
  if (lid == 0u) {
    let total = sqrt(red[0]);
    OUT[0] = total;
    OUT[1] = min(${f32lit(maxNorm)} / (total + 1e-6), 1.0);
  }
}`;
  return { key: `clipCoef:${count}:${maxNorm}`, code, workgroups: [1, 1, 1] };
}

/** grad *= coef, with coef read from the GPU (no host round trip). Bindings: grad (rw), coef = [total, coef]. */
export function scaleByCoefKernel(n: number): Kernel {
  const f = optimFrame(n);
  const code = optimKernelCode(f, [], [['G', 'read_write'], ['COEF', 'read', 'f32']], 'G[i] = G[i] * COEF[1];');
  return { key: `scaleByCoef:${f.vec4}`, code, workgroups: f.workgroups, uniforms: optimUniforms(f.count, []) };
}

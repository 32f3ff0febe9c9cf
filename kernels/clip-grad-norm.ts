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

import type { Kernel } from './kernel.js';
import { gridStrideMain, strideGroups } from './grid-stride.js';

/**
 * y = x * keep / (1 - p) where keep is drawn per unit (unit = i / per: per = 1 for
 * dropout, the sample size for drop-connect) from a hash of (seed, unit). The mask is
 * never stored: backward runs the same kernel with the same seed on dy. The seed and
 * rate are uniforms, so a new seed every step reuses the pipeline. Bindings: x, y.
 */
export function dropKernel(n: number, per: number, seed: readonly [number, number], p: number): Kernel {
  const code = /* wgsl */ `
struct U { s1: u32, s2: u32, p: f32, scale: f32 }
// lowbias32 (Wellons): full avalanche, so neighbouring units get unrelated bits.
fn mix(v: u32) -> u32 {
  var h = v;
  h ^= h >> 16u; h *= 0x7feb352du;
  h ^= h >> 15u; h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
${gridStrideMain(`${n}u`, `let unit = ${per === 1 ? 'i' : `i / ${per}u`};
    let r = f32(mix(mix(unit ^ u.s1) + u.s2) >> 8u) * ${1 / 2 ** 24};
    Y[i] = select(0.0, X[i] * u.scale, r >= u.p);`)}`;
  const uniforms = new ArrayBuffer(16);
  new Uint32Array(uniforms, 0, 2).set(seed);
  new Float32Array(uniforms, 8, 2).set([p, 1 / (1 - p)]);
  return { key: `drop:${n}:${per}`, code, workgroups: strideGroups(n), uniforms };
}

import type { Kernel } from './kernel.js';
import { gridStrideMain, strideGroups } from './grid-stride.js';
import { DIVMOD_LIMIT, divmodFn } from './conv-preamble.js';

/**
 * y = x * keep / (1 - p) where keep is drawn per unit (unit = i / per: per = 1 for
 * dropout, the sample size for drop-connect) from a hash of (seed, unit). The mask is
 * never stored: backward runs the same kernel with the same seed on dy. The seed and
 * rate are uniforms, so a new seed every step reuses the pipeline; so are the count and the
 * unit size (a drop-connect's sample size differs per layer and input size, and each baked
 * value was a pipeline for lavapipe to compile). Bindings: x, y; or, given a slot, x, the
 * seed table, y.
 */
export function dropKernel(n: number, per: number, seed: readonly [number, number] | { slot: number }, p: number): Kernel {
  // A slot instead of a seed: the seeds are read from a table (binding 1, two u32 per
  // slot) that a compiled step rewrites once per step; the uniforms then never change.
  const table = 'slot' in seed;
  // Whole units of 4 (drop-connect over a sample, or any count with per = 1) go as vec4:
  // lavapipe pays per load rather than per float, and one hash serves a vec4 of one unit.
  const vec4 = n % 4 === 0 && (per === 1 || per % 4 === 0);
  const count = vec4 ? n / 4 : n;
  // The unit of element run e: e / per, by the shared divmod (x86 has no vector integer
  // division); a vec4 run starts at a multiple of 4 and per divides by 4, so i / (per / 4).
  const exact = count >= DIVMOD_LIMIT;
  const unitOf = (e: string) => (per === 1 ? `(${e})` : `u32(divmod(i32(${e}), i32(u.per)).x)`);
  const [s1, s2] = table ? ['S[2u * u.s1]', 'S[2u * u.s1 + 1u]'] : ['u.s1', 'u.s2'];
  const keep = (e: string) => `f32(mix(mix(${unitOf(e)} ^ ${s1}) + ${s2}) >> 8u) * ${1 / 2 ** 24} >= u.p`;
  const body = !vec4
    ? `Y[i] = select(0.0, X[i] * u.scale, ${keep('i')});`
    : per === 1
      ? `Y[i] = select(vec4f(0.0), X[i] * u.scale, vec4<bool>(${[0, 1, 2, 3].map((c) => keep(`i * 4u + ${c}u`)).join(', ')}));`
      : `Y[i] = select(vec4f(0.0), X[i] * u.scale, ${keep('i')});`;
  const T = vec4 ? 'vec4f' : 'f32';
  const code = /* wgsl */ `
struct U { s1: u32, s2: u32, p: f32, scale: f32, n: u32, per: u32, p1: u32, p2: u32 }
${per === 1 ? '' : divmodFn(exact)}
// lowbias32 (Wellons): full avalanche, so neighbouring units get unrelated bits.
fn mix(v: u32) -> u32 {
  var h = v;
  h ^= h >> 16u; h *= 0x7feb352du;
  h ^= h >> 15u; h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}
@group(0) @binding(0) var<storage, read> X: array<${T}>;
${table ? `@group(0) @binding(1) var<storage, read> S: array<u32>;
` : ''}@group(0) @binding(${table ? 2 : 1}) var<storage, read_write> Y: array<${T}>;
@group(0) @binding(${table ? 3 : 2}) var<uniform> u: U;
${gridStrideMain('u.n', body)}`;
  const uniforms = new ArrayBuffer(32);
  new Uint32Array(uniforms, 0, 2).set('slot' in seed ? [seed.slot, 0] : seed);
  new Float32Array(uniforms, 8, 2).set([p, 1 / (1 - p)]);
  new Uint32Array(uniforms, 16, 2).set([count, vec4 ? per / 4 : per]);
  const unit = per === 1 ? 'element' : `unit${exact ? ':idiv' : ''}`;
  return { key: `drop:${vec4 ? 'vec4' : 'f32'}:${unit}${table ? ':table' : ''}`, code, workgroups: strideGroups(count), uniforms };
}

import type { Kernel } from './kernel.js';
import { treeReduce } from './channel-wise.js';

const WG = 256;

/**
 * Mean binary cross-entropy with logits and, in the same pass, its gradient (for an
 * upstream 1) while every logit is in registers. Per element, with pos_weight pw:
 *   l = pw * y * softplus(-x) + (1 - y) * softplus(x),  dl/dx = pw * y * (s - 1) + (1 - y) * s
 * softplus(z) = max(z, 0) + log1p(e^-|z|) and s = sigmoid(x) from e^-|x| never overflow,
 * so |x| = 100 is exact. Loss heads are small ([batch, classes]), so one workgroup loops.
 * A non-finite input is detected from its exponent bits (WGSL lets compilers assume
 * floats are finite, so isnan-style comparisons are not reliable) and makes the loss NaN.
 * The element count, class count and 1/n are uniforms: one pipeline for every batch.
 * Bindings: logits, targets, [posWeight], loss, [grad], then the uniforms.
 */
export function bceWithLogitsKernel(n: number, C: number, posWeight: boolean, withGrad: boolean): Kernel {
  const buffers = ['LOGITS', 'TARGETS', ...(posWeight ? ['POSW'] : []), 'LOSS', ...(withGrad ? ['GRAD'] : [])];
  const decl = buffers
    .map((b, i) => `@group(0) @binding(${i}) var<storage, ${b === 'LOSS' || b === 'GRAD' ? 'read_write' : 'read'}> ${b}: array<f32>;`)
    .join('\n');
  const code = /* wgsl */ `${decl}
struct U { n: u32, C: u32, inv: f32, pad: u32 }
@group(0) @binding(${buffers.length}) var<uniform> u: U;
var<workgroup> red: array<f32, ${WG}>;
var<workgroup> bad: atomic<u32>;
fn log1pSmall(e: f32) -> f32 {
  // log1p for e in [0, 1]: log(u) * e / (u - 1) cancels the rounding of u = 1 + e.
  let u = 1.0 + e;
  return select(log(u) * e / (u - 1.0), e, u == 1.0);
}
fn softplus(z: f32) -> f32 { return max(z, 0.0) + log1pSmall(exp(-abs(z))); }
fn nonFinite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u; }
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  var anyBad = false;
  for (var i = lid; i < u.n; i += ${WG}u) {
    let x = LOGITS[i];
    let y = TARGETS[i];
    let pw = ${posWeight ? `POSW[i % u.C]` : '1.0'};
    anyBad = anyBad || nonFinite(x) || nonFinite(y) || nonFinite(pw);
    acc += pw * y * softplus(-x) + (1.0 - y) * softplus(x);
    ${withGrad ? `let e = exp(-abs(x));
    let s = select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
    GRAD[i] = (pw * y * (s - 1.0) + (1.0 - y) * s) * u.inv;` : ''}
  }
  if (anyBad) { atomicAdd(&bad, 1u); }
  red[lid] = acc;
  ${treeReduce('red', 'lid', 'lid', WG, 1)}
  let nBad = atomicLoad(&bad);
  if (lid == 0u) {
    var nanBits = 0x7fc00000u;
    LOSS[0] = select(red[0] * u.inv, bitcast<f32>(nanBits), nBad > 0u);
  }
}`;
  const uniforms = new ArrayBuffer(16);
  new Uint32Array(uniforms, 0, 2).set([n, C]);
  new Float32Array(uniforms, 8, 1)[0] = 1 / n;
  return { key: `bceWithLogits:${posWeight}:${withGrad}`, code, workgroups: [1, 1, 1], uniforms };
}

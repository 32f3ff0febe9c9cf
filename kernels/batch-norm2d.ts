import { grid1d } from './kernel.js';
import { type BoundKernel, type ChannelLayout, declare, treeReduce } from './channel-wise.js';
import { f32lit } from './wgsl.js';

/**
 * batchNorm2d over channels-last data viewed as [M, C] (M = N*H*W). Channel statistics
 * are two-pass partial sums: P chunks of R rows per column, each thread summing one
 * chunk of one column (neighbouring threads read neighbouring channels), then one
 * workgroup per column combining the P partials. The forward partials are (chunk mean,
 * chunk M2) combined with Chan's formula, so a large channel mean does not cancel the
 * variance away as E[x^2] - E[x]^2 would in f32.
 *
 * Per-channel buffers: STATS [2, C] = (mean, 1/sqrt(var + eps)) of the forward pass,
 * saved for backward; PART [P, 2, C].
 */
export interface BnPlan {
  M: number;
  L: ChannelLayout;
  /** chunks per column */
  P: number;
  /** rows per chunk (the last may be shorter) */
  R: number;
}

/** Enough chunks to fill a large GPU (~16K threads) while each thread still sums >= 16 rows. */
export function bnPlan(M: number, L: ChannelLayout): BnPlan {
  const P0 = Math.max(1, Math.min(Math.ceil(M / 16), Math.ceil(16384 / L.CV), 4096));
  const R = Math.ceil(M / P0);
  return { M, L, P: Math.ceil(M / R), R };
}

const WG = 64;

function chunkHeader(p: BnPlan): string {
  return `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * ${WG}u + lid;
  if (t >= ${p.P * p.L.CV}u) { return; }
  let j = t % ${p.L.CV}u;
  let p = t / ${p.L.CV}u;
  let r0 = p * ${p.R}u;
  let r1 = min(r0 + ${p.R}u, ${p.M}u);`;
}

const chunkGrid = (p: BnPlan): [number, number, number] => grid1d(Math.ceil((p.P * p.L.CV) / WG));

/** Chunk mean and M2 per column, shifted by the chunk's first value. Bindings: x, part. */
export function bnStatsPartialKernel(p: BnPlan): BoundKernel {
  const { L } = p;
  const code = `${L.prelude}
${declare([['x', 'read'], ['part', 'read_write']])}
${chunkHeader(p)}
  let k = X[r0 * ${L.CV}u + j];
  var s = V(0.0);
  var q = V(0.0);
  for (var r = r0; r < r1; r++) {
    let d = X[r * ${L.CV}u + j] - k;
    s += d;
    q += d * d;
  }
  let n = f32(r1 - r0);
  PART[p * ${2 * L.CV}u + j] = k + s / n;
  PART[p * ${2 * L.CV}u + ${L.CV}u + j] = q - s * s / n;
}`;
  return { key: `bnStatsPartial:${p.M}:${L.C}:${p.P}`, code, workgroups: chunkGrid(p), bindings: ['x', 'part'] };
}

/** One workgroup per column loops over the P partials and reduces in workgroup memory. */
function columnReduce(p: BnPlan, term: string): string {
  return `acc = V(0.0);
  for (var p = lid; p < ${p.P}u; p += ${WG}u) {
    let n = f32(min(${p.R}u, ${p.M}u - p * ${p.R}u));
    let a = PART[p * ${2 * p.L.CV}u + j];
    let b = PART[p * ${2 * p.L.CV}u + ${p.L.CV}u + j];
    acc += ${term};
  }
  red[lid] = acc;
  ${treeReduce('red', 'lid', 'lid', WG, 1)}`;
}

function columnHeader(p: BnPlan, buffers: readonly (readonly [string, 'read' | 'read_write'])[]): string {
  return `${p.L.prelude}
${declare(buffers)}
var<workgroup> red: array<V, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x;
  var acc: V;`;
}

/**
 * Combines the partials into mean and inverse std (STATS) and, in place, the running
 * statistics with PyTorch's conventions (running_var takes the unbiased variance).
 * Bindings: part, runningMean, runningVar, stats.
 */
export function bnStatsFinalizeKernel(p: BnPlan, momentum: number, eps: number): BoundKernel {
  const { L, M } = p;
  const code = `${columnHeader(p, [['part', 'read'], ['runningMean', 'read_write'], ['runningVar', 'read_write'], ['stats', 'read_write']])}
  ${columnReduce(p, 'n * a')}
  let mean = red[0] / ${f32lit(M)};
  workgroupBarrier();
  ${columnReduce(p, 'b + n * (a - mean) * (a - mean)')}
  if (lid == 0u) {
    let m2 = red[0];
    STATS[j] = mean;
    STATS[${L.CV}u + j] = inverseSqrt(m2 / ${f32lit(M)} + ${f32lit(eps)});
    let mom = ${f32lit(momentum)};
    RUNNINGMEAN[j] = (1.0 - mom) * RUNNINGMEAN[j] + mom * mean;
    RUNNINGVAR[j] = (1.0 - mom) * RUNNINGVAR[j] + mom * (m2 / ${f32lit(M - 1)});
  }
}`;
  return {
    key: `bnStatsFinalize:${M}:${L.C}:${p.P}:${momentum}:${eps}`,
    code,
    workgroups: [L.CV, 1, 1],
    bindings: ['part', 'runningMean', 'runningVar', 'stats'],
  };
}

/** Eval mode: STATS from the running statistics. Bindings: runningMean, runningVar, stats. */
export function bnEvalStatsKernel(L: ChannelLayout, eps: number): BoundKernel {
  const code = `${L.prelude}
${declare([['runningMean', 'read'], ['runningVar', 'read'], ['stats', 'read_write']])}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  if (j >= ${L.CV}u) { return; }
  STATS[j] = RUNNINGMEAN[j];
  STATS[${L.CV}u + j] = inverseSqrt(RUNNINGVAR[j] + ${f32lit(eps)});
}`;
  return { key: `bnEvalStats:${L.C}:${eps}`, code, workgroups: [Math.ceil(L.CV / WG), 1, 1], bindings: ['runningMean', 'runningVar', 'stats'] };
}

/** y = xhat * gamma + beta, optionally followed by swish. Bindings: x, stats, gamma, beta, y. */
export function bnApplyKernel(M: number, L: ChannelLayout, swish: boolean): BoundKernel {
  const n = M * L.CV;
  const code = `${L.prelude}
${declare([['x', 'read'], ['stats', 'read'], ['gamma', 'read'], ['beta', 'read'], ['y', 'read_write']])}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= ${n}u) { return; }
  let j = i % ${L.CV}u;
  let z = (X[i] - STATS[j]) * (STATS[${L.CV}u + j] * GAMMA[j]) + BETA[j];
  Y[i] = ${swish ? 'z * sigmV(z)' : 'z'};
}`;
  return {
    key: `bnApply:${M}:${L.C}:${swish}`,
    code,
    workgroups: grid1d(Math.ceil(n / 256)),
    bindings: ['x', 'stats', 'gamma', 'beta', 'y'],
  };
}

/** The gradient reaching the normalised value: dy, or dy * swish'(z) with z recomputed. */
function gradAtZ(swish: boolean, L: ChannelLayout, idx: string): string {
  const xhat = `let xhat = (X[${idx}] - STATS[j]) * STATS[${L.CV}u + j];`;
  if (!swish) return `${xhat}\n    let g = DY[${idx}];`;
  return `${xhat}\n    let g = DY[${idx}] * swishGradV(xhat * GAMMA[j] + BETA[j]);`;
}

const gradInputs = (swish: boolean): [string, 'read'][] =>
  swish ? [['x', 'read'], ['dy', 'read'], ['stats', 'read'], ['gamma', 'read'], ['beta', 'read']] : [['x', 'read'], ['dy', 'read'], ['stats', 'read']];

/** Per chunk: sum of g and of g * xhat. Bindings: x, dy, stats, [gamma, beta with swish], part. */
export function bnGradPartialKernel(p: BnPlan, swish: boolean): BoundKernel {
  const { L } = p;
  const buffers = [...gradInputs(swish), ['part', 'read_write'] as const];
  const code = `${L.prelude}
${declare(buffers)}
${chunkHeader(p)}
  var sg = V(0.0);
  var sgx = V(0.0);
  for (var r = r0; r < r1; r++) {
    ${gradAtZ(swish, L, `r * ${L.CV}u + j`)}
    sg += g;
    sgx += g * xhat;
  }
  PART[p * ${2 * L.CV}u + j] = sg;
  PART[p * ${2 * L.CV}u + ${L.CV}u + j] = sgx;
}`;
  return { key: `bnGradPartial:${p.M}:${L.C}:${p.P}:${swish}`, code, workgroups: chunkGrid(p), bindings: buffers.map(([n]) => n) };
}

/** dbeta = sum g, dgamma = sum g * xhat. Bindings: part, dgamma, dbeta. */
export function bnGradFinalizeKernel(p: BnPlan): BoundKernel {
  const code = `${columnHeader(p, [['part', 'read'], ['dgamma', 'read_write'], ['dbeta', 'read_write']])}
  ${columnReduce(p, 'a')}
  if (lid == 0u) { DBETA[j] = red[0]; }
  workgroupBarrier();
  ${columnReduce(p, 'b')}
  if (lid == 0u) { DGAMMA[j] = red[0]; }
}`;
  return { key: `bnGradFinalize:${p.M}:${p.L.C}:${p.P}`, code, workgroups: [p.L.CV, 1, 1], bindings: ['part', 'dgamma', 'dbeta'] };
}

/**
 * dx. Training: gamma * invstd * (g - mean(g) - xhat * mean(g * xhat)), the gradient
 * through the batch mean and variance; eval: gamma * invstd * g (running stats are
 * constants). Bindings: x, dy, stats, gamma, [beta with swish], [dgamma, dbeta in training], dx.
 */
export function bnGradInputKernel(M: number, L: ChannelLayout, swish: boolean, training: boolean): BoundKernel {
  const n = M * L.CV;
  const buffers: [string, 'read' | 'read_write'][] = [['x', 'read'], ['dy', 'read'], ['stats', 'read'], ['gamma', 'read']];
  if (swish) buffers.push(['beta', 'read']);
  if (training) buffers.push(['dgamma', 'read'], ['dbeta', 'read']);
  buffers.push(['dx', 'read_write']);
  const inv = 1 / M;
  const dx = training
    ? `GAMMA[j] * STATS[${L.CV}u + j] * (g - DBETA[j] * ${f32lit(inv)} - xhat * (DGAMMA[j] * ${f32lit(inv)}))`
    : `GAMMA[j] * STATS[${L.CV}u + j] * g`;
  const code = `${L.prelude}
${declare(buffers)}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= ${n}u) { return; }
  let j = i % ${L.CV}u;
  ${gradAtZ(swish, L, 'i')}
  DX[i] = ${dx};
}`;
  return {
    key: `bnGradInput:${M}:${L.C}:${swish}:${training}`,
    code,
    workgroups: grid1d(Math.ceil(n / 256)),
    bindings: buffers.map(([b]) => b),
  };
}

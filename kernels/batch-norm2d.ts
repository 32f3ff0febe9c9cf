import { grid1d, type Kernel } from './kernel.js';
import { countUniform, gridStrideMain, strideGroups } from './grid-stride.js';
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
 *
 * The row count M, the columns CV, the chunks P and the rows per chunk R are uniforms (`bu`,
 * bound after the buffers), not constants: only the channel width (vec4 or scalar), the
 * combiner's shape (P > 64) and the flags shape the code, so one pipeline serves every layer
 * at every batch and input size (a new pipeline costs lavapipe LLVM time on a first run).
 */
export interface BnPlan {
  M: number;
  L: ChannelLayout;
  /** chunks per column */
  P: number;
  /** rows per chunk (the last may be shorter) */
  R: number;
}

/**
 * Enough chunks to give about `targetThreads` threads (a large GPU wants ~16K) while each
 * thread still sums >= 16 rows. The block size is this parameter: fewer threads mean longer
 * rows per thread and fewer partials for the combining pass.
 */
export function bnPlan(M: number, L: ChannelLayout, targetThreads = 16384): BnPlan {
  const P0 = Math.max(1, Math.min(Math.ceil(M / 16), Math.ceil(targetThreads / L.CV), 4096));
  const R = Math.ceil(M / P0);
  return { M, L, P: Math.ceil(M / R), R };
}

const WG = 64;

/** The plan's sizes as the kernels read them: M, P, R, 1/M (rounded once, as a constant would be) and the columns CV. */
function planUniforms(p: BnPlan): ArrayBuffer {
  const u = new ArrayBuffer(32);
  new Uint32Array(u, 0, 3).set([p.M, p.P, p.R]);
  new Float32Array(u, 12, 1)[0] = p.M ? 1 / p.M : 0;
  new Uint32Array(u, 16, 1)[0] = p.L.CV;
  return u;
}

/** Declares `bu` at the binding after a kernel's `n` buffers. */
const planDecl = (n: number): string => `struct BnU { M: u32, P: u32, R: u32, invM: f32, CV: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(${n}) var<uniform> bu: BnU;`;

function chunkHeader(p: BnPlan): string {
  return `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * ${WG}u + lid;
  if (t >= bu.P * bu.CV) { return; }
  let j = t % bu.CV;
  let p = t / bu.CV;
  let r0 = p * bu.R;
  let r1 = min(r0 + bu.R, bu.M);`;
}

const chunkGrid = (p: BnPlan): [number, number, number] => grid1d(Math.ceil((p.P * p.L.CV) / WG));

/** Chunk mean and M2 per column, shifted by the chunk's first value. Bindings: x, part. */
export function bnStatsPartialKernel(p: BnPlan): BoundKernel {
  const { L } = p;
  const code = `${L.prelude}
${declare([['x', 'read'], ['part', 'read_write']])}
${planDecl(2)}
${chunkHeader(p)}
  let k = X[r0 * bu.CV + j];
  var s = V(0.0);
  var q = V(0.0);
  for (var r = r0; r < r1; r++) {
    let d = X[r * bu.CV + j] - k;
    s += d;
    q += d * d;
  }
  let n = f32(r1 - r0);
  PART[p * (2u * bu.CV) + j] = k + s / n;
  PART[p * (2u * bu.CV) + bu.CV + j] = q - s * s / n;
}`;
  return { key: `bnStatsPartial:${L.width}`, code, workgroups: chunkGrid(p), bindings: ['x', 'part'], uniforms: planUniforms(p) };
}

/**
 * Combining the P partials of each column: with few partials one thread per column
 * loops over them; with many, a workgroup per column splits the loop and reduces in
 * workgroup memory (a long serial loop per column would idle a real GPU).
 */
const wide = (p: BnPlan): boolean => p.P > WG;

/** WGSL leaving column j's total of `term` over the partials in `let ${out}` (n, a, b: chunk rows and the two partials). */
function combine(p: BnPlan, term: string, out: string): string {
  const load = `let n = f32(min(bu.R, bu.M - q * bu.R));
    let a = PART[q * (2u * bu.CV) + j];
    let b = PART[q * (2u * bu.CV) + bu.CV + j];`;
  if (!wide(p)) {
    return `var ${out}Acc = V(0.0);
  for (var q = 0u; q < bu.P; q++) {
    ${load}
    ${out}Acc += ${term};
  }
  let ${out} = ${out}Acc;`;
  }
  return `acc = V(0.0);
  for (var q = lid; q < bu.P; q += ${WG}u) {
    ${load}
    acc += ${term};
  }
  red[lid] = acc;
  ${treeReduce('red', 'lid', 'lid', WG, 1)}
  let ${out} = red[0];
  workgroupBarrier();`;
}

/** Kernel frame of the combiners; `lead` is the condition of the thread that writes column j. */
function combineKernel(p: BnPlan, buffers: readonly (readonly [string, 'read' | 'read_write'])[], body: (lead: string) => string): { code: string; workgroups: [number, number, number]; uniforms: ArrayBuffer } {
  const head = `${p.L.prelude}
${declare(buffers)}
${planDecl(buffers.length)}`;
  if (!wide(p)) {
    return {
      code: `${head}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  if (j >= bu.CV) { return; }
  ${body('true')}
}`,
      workgroups: [Math.ceil(p.L.CV / WG), 1, 1],
      uniforms: planUniforms(p),
    };
  }
  return {
    code: `${head}
var<workgroup> red: array<V, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x;
  var acc: V;
  ${body('lid == 0u')}
}`,
    workgroups: [p.L.CV, 1, 1],
    uniforms: planUniforms(p),
  };
}

/**
 * Combines the partials into mean and inverse std (STATS) and, in place, the running
 * statistics with PyTorch's conventions (running_var takes the unbiased variance).
 * Bindings: part, runningMean, runningVar, stats.
 */
export function bnStatsFinalizeKernel(p: BnPlan, momentum: number, eps: number): BoundKernel {
  const { L } = p;
  const bindings = ['part', 'runningMean', 'runningVar', 'stats'];
  const k = combineKernel(p, [['part', 'read'], ['runningMean', 'read_write'], ['runningVar', 'read_write'], ['stats', 'read_write']], (lead) => `
  ${combine(p, 'n * a', 'total')}
  let mean = total / f32(bu.M);
  ${combine(p, 'b + n * (a - mean) * (a - mean)', 'm2')}
  if (${lead}) {
    STATS[j] = mean;
    STATS[bu.CV + j] = inverseSqrt(m2 / f32(bu.M) + ${f32lit(eps)});
    let mom = ${f32lit(momentum)};
    RUNNINGMEAN[j] = (1.0 - mom) * RUNNINGMEAN[j] + mom * mean;
    RUNNINGVAR[j] = (1.0 - mom) * RUNNINGVAR[j] + mom * (m2 / f32(bu.M - 1u));
  }`);
  return { key: `bnStatsFinalize:${L.width}:${wide(p) ? 'wide' : 'narrow'}:${momentum}:${eps}`, ...k, bindings };
}

/** Eval mode: STATS from the running statistics. Bindings: runningMean, runningVar, stats. */
export function bnEvalStatsKernel(L: ChannelLayout, eps: number): BoundKernel {
  const code = `${L.prelude}
${declare([['runningMean', 'read'], ['runningVar', 'read'], ['stats', 'read_write']])}
${planDecl(3)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  if (j >= bu.CV) { return; }
  STATS[j] = RUNNINGMEAN[j];
  STATS[bu.CV + j] = inverseSqrt(RUNNINGVAR[j] + ${f32lit(eps)});
}`;
  return { key: `bnEvalStats:${L.width}:${eps}`, code, workgroups: [Math.ceil(L.CV / WG), 1, 1], bindings: ['runningMean', 'runningVar', 'stats'], uniforms: planUniforms({ M: 0, L, P: 0, R: 0 }) };
}

/** Per-column constants, loaded once per thread before its loop over rows. */
function columnConsts(L: ChannelLayout, gamma: boolean, beta: boolean): string {
  return [
    'let mean = STATS[j];',
    `let istd = STATS[bu.CV + j];`,
    gamma ? 'let gam = GAMMA[j];' : '',
    beta ? 'let bet = BETA[j];' : '',
  ].join('\n  ');
}

/**
 * y = xhat * gamma + beta, optionally followed by swish. Same thread layout as the
 * statistics (a thread per chunk and column), so each thread keeps its column's
 * constants in registers instead of gathering them per element. Bindings: x, stats, gamma, beta, y.
 */
export function bnApplyKernel(p: BnPlan, swish: boolean): BoundKernel {
  const { L } = p;
  const code = `${L.prelude}
${declare([['x', 'read'], ['stats', 'read'], ['gamma', 'read'], ['beta', 'read'], ['y', 'read_write']])}
${planDecl(5)}
${chunkHeader(p)}
  ${columnConsts(L, true, true)}
  let scale = istd * gam;
  for (var r = r0; r < r1; r++) {
    let idx = r * bu.CV + j;
    let z = (X[idx] - mean) * scale + bet;
    Y[idx] = ${swish ? 'z * sigmV(z)' : 'z'};
  }
}`;
  return { key: `bnApply:${L.width}:${swish}`, code, workgroups: chunkGrid(p), bindings: ['x', 'stats', 'gamma', 'beta', 'y'], uniforms: planUniforms(p) };
}

/** The gradient reaching the normalised value: dy, or dy * swish'(z) with z recomputed. */
function gradAtZ(swish: boolean, idx: string): string {
  const xhat = `let xhat = (X[${idx}] - mean) * istd;`;
  if (!swish) return `${xhat}\n    let g = DY[${idx}];`;
  return `${xhat}\n    let g = DY[${idx}] * swishGradV(xhat * gam + bet);`;
}

const gradInputs = (swish: boolean): [string, 'read'][] =>
  swish ? [['x', 'read'], ['dy', 'read'], ['stats', 'read'], ['gamma', 'read'], ['beta', 'read']] : [['x', 'read'], ['dy', 'read'], ['stats', 'read']];

/** Per chunk: sum of g and of g * xhat. Bindings: x, dy, stats, [gamma, beta with swish], part. */
export function bnGradPartialKernel(p: BnPlan, swish: boolean): BoundKernel {
  const { L } = p;
  const buffers = [...gradInputs(swish), ['part', 'read_write'] as const];
  const code = `${L.prelude}
${declare(buffers)}
${planDecl(buffers.length)}
${chunkHeader(p)}
  ${columnConsts(L, swish, swish)}
  var sg = V(0.0);
  var sgx = V(0.0);
  for (var r = r0; r < r1; r++) {
    ${gradAtZ(swish, `r * bu.CV + j`)}
    sg += g;
    sgx += g * xhat;
  }
  PART[p * (2u * bu.CV) + j] = sg;
  PART[p * (2u * bu.CV) + bu.CV + j] = sgx;
}`;
  return { key: `bnGradPartial:${L.width}:${swish}`, code, workgroups: chunkGrid(p), bindings: buffers.map(([n]) => n), uniforms: planUniforms(p) };
}

/** dbeta = sum g, dgamma = sum g * xhat. Bindings: part, dgamma, dbeta. */
export function bnGradFinalizeKernel(p: BnPlan): BoundKernel {
  const k = combineKernel(p, [['part', 'read'], ['dgamma', 'read_write'], ['dbeta', 'read_write']], (lead) => `
  ${combine(p, 'a', 'sg')}
  ${combine(p, 'b', 'sgx')}
  if (${lead}) {
    DBETA[j] = sg;
    DGAMMA[j] = sgx;
  }`);
  return { key: `bnGradFinalize:${p.L.width}:${wide(p) ? 'wide' : 'narrow'}`, ...k, bindings: ['part', 'dgamma', 'dbeta'] };
}

/**
 * dx. Training: gamma * invstd * (g - mean(g) - xhat * mean(g * xhat)), the gradient
 * through the batch mean and variance; eval: gamma * invstd * g (running stats are
 * constants). Bindings: x, dy, stats, gamma, [beta with swish], [dgamma, dbeta in training], dx.
 */
export function bnGradInputKernel(p: BnPlan, swish: boolean, training: boolean): BoundKernel {
  const { L } = p;
  const buffers: [string, 'read' | 'read_write'][] = [['x', 'read'], ['dy', 'read'], ['stats', 'read'], ['gamma', 'read']];
  if (swish) buffers.push(['beta', 'read']);
  if (training) buffers.push(['dgamma', 'read'], ['dbeta', 'read']);
  buffers.push(['dx', 'read_write']);
  const consts = training ? 'let mg = DBETA[j] * bu.invM;\n  let mgx = DGAMMA[j] * bu.invM;' : '';
  const dx = training ? 'k * (g - mg - xhat * mgx)' : 'k * g';
  const code = `${L.prelude}
${declare(buffers)}
${planDecl(buffers.length)}
${chunkHeader(p)}
  ${columnConsts(L, true, swish)}
  ${consts}
  let k = gam * istd;
  for (var r = r0; r < r1; r++) {
    let idx = r * bu.CV + j;
    ${gradAtZ(swish, 'idx')}
    DX[idx] = ${dx};
  }
}`;
  return { key: `bnGradInput:${L.width}:${swish}:${training}`, code, workgroups: chunkGrid(p), bindings: buffers.map(([b]) => b), uniforms: planUniforms(p) };
}

/**
 * The commit of a training step's running statistics (engine/ops/batch-norm2d.ts,
 * GuardedRunningStats): RUNNING = SHADOW where the step guard's FLAG is 1, else RUNNING is
 * left as it was, so a step the guard skipped moves the running statistics no more than
 * the weights. Both are flat buffers of n floats (every BN layer's mean and variance).
 * Bindings: running (rw), shadow, flag.
 */
export function bnRunningCommitKernel(n: number): Kernel {
  const code = `@group(0) @binding(0) var<storage, read_write> RUNNING: array<f32>;
@group(0) @binding(1) var<storage, read> SHADOW: array<f32>;
@group(0) @binding(2) var<storage, read> FLAG: array<f32>;
struct N { n: u32 }
@group(0) @binding(3) var<uniform> u: N;
${gridStrideMain('u.n', 'if (FLAG[0] != 0.0) { RUNNING[i] = SHADOW[i]; }')}`;
  return { key: 'bnRunningCommit', code, workgroups: strideGroups(n), uniforms: countUniform(n) };
}

import type { Kernel } from './kernel.js';
import { matmulKey, operandIndex, tileGrid, type MatmulParams } from './matmul-params.js';

/**
 * Matmul for real GPUs, the standard recipe: a 16x16 workgroup computes a 64x64 tile of C,
 * staging 64x16 of op(A) and 16x64 of op(B) in workgroup memory per step, 4x4 outputs per
 * thread held in registers. Thread (tx, ty) owns rows 4ty..4ty+3 and columns 4tx..4tx+3, so
 * each k reads one vec4 of A (the same address across a row of threads: a broadcast) and one
 * vec4 of B (consecutive across tx) from workgroup memory. The global loads are coalesced
 * whichever way each operand is stored: the fast-moving thread index walks the operand's
 * contiguous axis. Out-of-range elements load as 0, so any size works.
 */
const T = 64; // tile edge
const BK = 16; // k per step
const WG = 16; // threads per side

export function matmulTiledKernel(p: MatmulParams): Kernel {
  const { M, N, K, transA, transB } = p;
  const idx = operandIndex(p);
  // Each thread stages one vec4 of each operand per step: 4 consecutive rows of op(A) at one k,
  // 4 consecutive columns of op(B) at one k. Which of (k, quad) varies fastest across threads
  // follows the operand's storage order, so neighbouring threads read neighbouring floats.
  const [aq, ak] = transA ? ['t % 16u', 't / 16u'] : ['t / 16u', 't % 16u'];
  const [bq, bk] = transB ? ['t / 16u', 't % 16u'] : ['t % 16u', 't / 16u'];
  const kClamp = `min(gk, ${Math.max(0, K - 1)}u)`;
  const aElem = (i: number) =>
    `select(0.0, A[offA + ${idx.a(`min(gr + ${i}u, ${M - 1}u)`, kClamp)}], gr + ${i}u < ${M}u && gk < ${K}u)`;
  const bElem = (i: number) =>
    `select(0.0, B[offB + ${idx.b(kClamp, `min(gc + ${i}u, ${N - 1}u)`)}], gc + ${i}u < ${N}u && gk < ${K}u)`;
  const aStage = [
    `{ let q = ${aq}; let kk = ${ak}; let gr = row0 + q * 4u; let gk = k0 + kk;`,
    `  As[kk][q] = vec4f(${[0, 1, 2, 3].map(aElem).join(', ')}); }`,
  ];
  const bStage = [
    `{ let q = ${bq}; let kk = ${bk}; let gc = col0 + q * 4u; let gk = k0 + kk;`,
    `  Bs[kk][q] = vec4f(${[0, 1, 2, 3].map(bElem).join(', ')}); }`,
  ];
  const accs: string[] = [];
  const fmas: string[] = [];
  const stores: string[] = [];
  for (let i = 0; i < 4; i++) accs.push(`var acc${i} = vec4f(0.0);`);
  fmas.push('let a = As[kk][ty];', 'let b = Bs[kk][tx];');
  for (let i = 0; i < 4; i++) fmas.push(`acc${i} = fma(vec4f(a[${i}]), b, acc${i});`);
  for (let i = 0; i < 4; i++) {
    const r = `row0 + ty * 4u + ${i}u`;
    const v = p.bias ? `acc${i} + bias` : `acc${i}`;
    if (N % 4 === 0) {
      stores.push(`if (${r} < ${M}u && c0 < ${N}u) { C[(offC + (${r}) * ${N}u + c0) / 4u] = ${v}; }`);
    } else {
      stores.push(`if (${r} < ${M}u) { let v = ${v};`);
      for (let j = 0; j < 4; j++) stores.push(`  if (c0 + ${j}u < ${N}u) { C[offC + (${r}) * ${N}u + c0 + ${j}u] = v[${j}]; }`);
      stores.push('}');
    }
  }
  const biasLoad = p.bias ? `let bias = vec4f(${[0, 1, 2, 3].map((j) => `BIAS[min(c0 + ${j}u, ${N - 1}u)]`).join(', ')});` : '';
  const grid = tileGrid(p, Math.ceil(N / T), Math.ceil(M / T));
  const code = `@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
${p.bias ? '@group(0) @binding(2) var<storage, read> BIAS: array<f32>;' : ''}
@group(0) @binding(${p.bias ? 3 : 2}) var<storage, read_write> C: array<${N % 4 === 0 ? 'vec4f' : 'f32'}>;
var<workgroup> As: array<array<vec4f, ${T / 4}>, ${BK}>;
var<workgroup> Bs: array<array<vec4f, ${T / 4}>, ${BK}>;
@compute @workgroup_size(${WG}, ${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let t = ty * ${WG}u + tx;
  ${grid.prelude}
  let row0 = rowTile * ${T}u;
  let col0 = wid.x * ${T}u;
  let offA = z * ${p.strideA}u;
  let offB = z * ${p.strideB}u;
  let offC = z * ${M * N}u;
  let c0 = col0 + tx * 4u;
  ${accs.join('\n  ')}
  for (var k0 = 0u; k0 < ${K}u; k0 += ${BK}u) {
    ${aStage.join('\n    ')}
    ${bStage.join('\n    ')}
    workgroupBarrier();
    for (var kk = 0u; kk < ${BK}u; kk++) {
      ${fmas.join('\n      ')}
    }
    workgroupBarrier();
  }
  ${biasLoad}
  ${stores.join('\n  ')}
}`;
  return { key: matmulKey(p, `:${grid.workgroups.join('x')}`), code, workgroups: grid.workgroups };
}

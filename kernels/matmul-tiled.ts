import type { Kernel } from './kernel.js';
import { MATMUL_UNIFORM_STRUCT, matmulUniforms, operandIndex, tileGrid, uniformGridPrelude, type MatmulParams } from './matmul-params.js';

/**
 * Matmul for real GPUs, the standard recipe: a 16x16 workgroup computes a 64x64 tile of C,
 * staging 64x16 of op(A) and 16x64 of op(B) in workgroup memory per step, 4x4 outputs per
 * thread held in registers. Thread (tx, ty) owns rows 4ty..4ty+3 and columns 4tx..4tx+3, so
 * each k reads one vec4 of A (the same address across a row of threads: a broadcast) and one
 * vec4 of B (consecutive across tx) from workgroup memory. The global loads are coalesced
 * whichever way each operand is stored: the fast-moving thread index walks the operand's
 * contiguous axis. Out-of-range elements load as 0, so any size works. M, N, K, the batch
 * strides and the grid fold are uniforms; N % 4 (whether C is stored as vec4) stays baked.
 */
const T = 64; // tile edge
const BK = 16; // k per step
const WG = 16; // threads per side

export function matmulTiledKernel(p: MatmulParams): Kernel {
  const { N, transA, transB } = p;
  const idx = operandIndex(p, { M: 'u.M', N: 'u.N', K: 'u.K' });
  // Each thread stages one vec4 of each operand per step: 4 consecutive rows of op(A) at one k,
  // 4 consecutive columns of op(B) at one k. Which of (k, quad) varies fastest across threads
  // follows the operand's storage order, so neighbouring threads read neighbouring floats.
  const [aq, ak] = transA ? ['t % 16u', 't / 16u'] : ['t / 16u', 't % 16u'];
  const [bq, bk] = transB ? ['t / 16u', 't % 16u'] : ['t % 16u', 't / 16u'];
  const kClamp = 'min(gk, max(u.K, 1u) - 1u)';
  const aElem = (i: number) =>
    `select(0.0, A[offA + ${idx.a(`min(gr + ${i}u, u.M - 1u)`, kClamp)}], gr + ${i}u < u.M && gk < u.K)`;
  const bElem = (i: number) =>
    `select(0.0, B[offB + ${idx.b(kClamp, `min(gc + ${i}u, u.N - 1u)`)}], gc + ${i}u < u.N && gk < u.K)`;
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
      stores.push(`if (${r} < u.M && c0 < u.N) { C[(offC + (${r}) * u.N + c0) / 4u] = ${v}; }`);
    } else {
      stores.push(`if (${r} < u.M) { let v = ${v};`);
      for (let j = 0; j < 4; j++) stores.push(`  if (c0 + ${j}u < u.N) { C[offC + (${r}) * u.N + c0 + ${j}u] = v[${j}]; }`);
      stores.push('}');
    }
  }
  const biasLoad = p.bias ? `let bias = vec4f(${[0, 1, 2, 3].map((j) => `BIAS[min(c0 + ${j}u, u.N - 1u)]`).join(', ')});` : '';
  const rowTiles = Math.ceil(p.M / T);
  const grid = tileGrid(p, Math.ceil(N / T), rowTiles);
  const folded = grid.workgroups[1] !== rowTiles || grid.workgroups[2] !== p.batch;
  const code = `${MATMUL_UNIFORM_STRUCT}
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
${p.bias ? '@group(0) @binding(2) var<storage, read> BIAS: array<f32>;' : ''}
@group(0) @binding(${p.bias ? 3 : 2}) var<storage, read_write> C: array<${N % 4 === 0 ? 'vec4f' : 'f32'}>;
@group(0) @binding(${p.bias ? 4 : 3}) var<uniform> u: U;
var<workgroup> As: array<array<vec4f, ${T / 4}>, ${BK}>;
var<workgroup> Bs: array<array<vec4f, ${T / 4}>, ${BK}>;
@compute @workgroup_size(${WG}, ${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let t = ty * ${WG}u + tx;
  ${uniformGridPrelude(folded)}
  let row0 = rowTile * ${T}u;
  let col0 = wid.x * ${T}u;
  let offA = z * u.strideA;
  let offB = z * u.strideB;
  let offC = z * u.M * u.N;
  let c0 = col0 + tx * 4u;
  ${accs.join('\n  ')}
  for (var k0 = 0u; k0 < u.K; k0 += ${BK}u) {
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
  const key = `matmul:tiled:c${N % 4 === 0 ? 4 : 1}:${+transA}${+transB}:${+p.bias}:${folded ? 'fold' : 'grid'}`;
  return { key, code, workgroups: grid.workgroups, uniforms: matmulUniforms(p, rowTiles, grid.workgroups) };
}

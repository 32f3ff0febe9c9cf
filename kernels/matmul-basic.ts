import type { Kernel } from './kernel.js';
import { MATMUL_UNIFORM_STRUCT, matmulUniforms, operandIndex, tileGrid, uniformGridPrelude, type MatmulParams } from './matmul-params.js';

/**
 * The portable fallback: each thread owns a 4x4 block of C and reads its operands straight
 * from storage (no workgroup memory, no subgroups), guarding every edge. Runs anywhere.
 * M, N, K, the batch strides and the grid fold are uniforms (as in the subgroup variant), so
 * one pipeline per layout (transposes, bias, fold) serves every size.
 */
const TILE = 4;
const WG_X = 8;
const WG_Y = 8;

export function matmulBasicKernel(p: MatmulParams): Kernel {
  const idx = operandIndex(p, { M: 'u.M', N: 'u.N', K: 'u.K' });
  const lines: string[] = [];
  for (let i = 0; i < TILE; i++) {
    lines.push(`let a${i} = select(0.0, A[offA + ${idx.a(`min(row0 + ${i}u, u.M - 1u)`, 'k')}], row0 + ${i}u < u.M);`);
  }
  for (let j = 0; j < TILE; j++) {
    lines.push(`let b${j} = select(0.0, B[offB + ${idx.b('k', `min(col0 + ${j}u, u.N - 1u)`)}], col0 + ${j}u < u.N);`);
  }
  for (let i = 0; i < TILE; i++) for (let j = 0; j < TILE; j++) lines.push(`acc${i}${j} = fma(a${i}, b${j}, acc${i}${j});`);
  const accs = [];
  for (let i = 0; i < TILE; i++) for (let j = 0; j < TILE; j++) accs.push(`var acc${i}${j} = 0.0;`);
  const stores = [];
  for (let i = 0; i < TILE; i++)
    for (let j = 0; j < TILE; j++) {
      const bias = p.bias ? ` + BIAS[col0 + ${j}u]` : '';
      stores.push(`if (row0 + ${i}u < u.M && col0 + ${j}u < u.N) { C[offC + (row0 + ${i}u) * u.N + col0 + ${j}u] = acc${i}${j}${bias}; }`);
    }
  const rowTiles = Math.ceil(p.M / (TILE * WG_Y));
  const grid = tileGrid(p, Math.ceil(p.N / (TILE * WG_X)), rowTiles);
  const folded = grid.workgroups[1] !== rowTiles || grid.workgroups[2] !== p.batch;
  const code = `${MATMUL_UNIFORM_STRUCT}
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
${p.bias ? '@group(0) @binding(2) var<storage, read> BIAS: array<f32>;' : ''}
@group(0) @binding(${p.bias ? 3 : 2}) var<storage, read_write> C: array<f32>;
@group(0) @binding(${p.bias ? 4 : 3}) var<uniform> u: U;
@compute @workgroup_size(${WG_X}, ${WG_Y})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${uniformGridPrelude(folded)}
  let col0 = (wid.x * ${WG_X}u + lid.x) * ${TILE}u;
  let row0 = (rowTile * ${WG_Y}u + lid.y) * ${TILE}u;
  let offA = z * u.strideA;
  let offB = z * u.strideB;
  let offC = z * u.M * u.N;
  ${accs.join('\n  ')}
  for (var k = 0u; k < u.K; k++) {
    ${lines.join('\n    ')}
  }
  ${stores.join('\n  ')}
}`;
  const key = `matmul:basic:${+p.transA}${+p.transB}:${+p.bias}:${folded ? 'fold' : 'grid'}`;
  return { key, code, workgroups: grid.workgroups, uniforms: matmulUniforms(p, rowTiles, grid.workgroups) };
}

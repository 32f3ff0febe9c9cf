import type { Kernel } from './kernel.js';
import { matmulKey, operandIndex, tileGrid, type MatmulParams } from './matmul-params.js';

/**
 * The portable fallback: each thread owns a 4x4 block of C and reads its operands straight
 * from storage (no workgroup memory, no subgroups), guarding every edge. Runs anywhere.
 */
const TILE = 4;
const WG_X = 8;
const WG_Y = 8;

export function matmulBasicKernel(p: MatmulParams): Kernel {
  const { M, N, K } = p;
  const idx = operandIndex(p);
  const lines: string[] = [];
  for (let i = 0; i < TILE; i++) {
    lines.push(`let a${i} = select(0.0, A[offA + ${idx.a(`min(row0 + ${i}u, ${M - 1}u)`, 'k')}], row0 + ${i}u < ${M}u);`);
  }
  for (let j = 0; j < TILE; j++) {
    lines.push(`let b${j} = select(0.0, B[offB + ${idx.b('k', `min(col0 + ${j}u, ${N - 1}u)`)}], col0 + ${j}u < ${N}u);`);
  }
  for (let i = 0; i < TILE; i++) for (let j = 0; j < TILE; j++) lines.push(`acc${i}${j} = fma(a${i}, b${j}, acc${i}${j});`);
  const accs = [];
  for (let i = 0; i < TILE; i++) for (let j = 0; j < TILE; j++) accs.push(`var acc${i}${j} = 0.0;`);
  const stores = [];
  for (let i = 0; i < TILE; i++)
    for (let j = 0; j < TILE; j++) {
      const bias = p.bias ? ` + BIAS[col0 + ${j}u]` : '';
      stores.push(`if (row0 + ${i}u < ${M}u && col0 + ${j}u < ${N}u) { C[offC + (row0 + ${i}u) * ${N}u + col0 + ${j}u] = acc${i}${j}${bias}; }`);
    }
  const grid = tileGrid(p, Math.ceil(N / (TILE * WG_X)), Math.ceil(M / (TILE * WG_Y)));
  const code = `@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
${p.bias ? '@group(0) @binding(2) var<storage, read> BIAS: array<f32>;' : ''}
@group(0) @binding(${p.bias ? 3 : 2}) var<storage, read_write> C: array<f32>;
@compute @workgroup_size(${WG_X}, ${WG_Y})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${grid.prelude}
  let col0 = (wid.x * ${WG_X}u + lid.x) * ${TILE}u;
  let row0 = (rowTile * ${WG_Y}u + lid.y) * ${TILE}u;
  let offA = z * ${p.strideA}u;
  let offB = z * ${p.strideB}u;
  let offC = z * ${M * N}u;
  ${accs.join('\n  ')}
  for (var k = 0u; k < ${K}u; k++) {
    ${lines.join('\n    ')}
  }
  ${stores.join('\n  ')}
}`;
  return { key: matmulKey(p, `:${grid.workgroups.join('x')}`), code, workgroups: grid.workgroups };
}

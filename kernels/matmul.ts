import type { Kernel } from './kernel.js';

/**
 * Matrix multiply C[b] = op(A[b]) op(B[b]) (+ bias), row-major f32.
 * This is the portable baseline: each thread owns a 4x4 block of C, reads operands straight
 * from storage (no workgroup memory) and guards every edge. Adapter-tuned variants plug in
 * through `variant`. Bindings: 0 A, 1 B, then bias when `bias`, then C (outputs last, as
 * engine/ops/launch.ts binds them).
 */
export interface MatmulParams {
  M: number;
  N: number;
  K: number;
  batch: number;
  /** Elements between consecutive batch entries of A / B; 0 broadcasts one matrix. */
  strideA: number;
  strideB: number;
  transA: boolean;
  transB: boolean;
  bias: boolean;
  variant: MatmulVariant;
}

export type MatmulVariant = 'basic';

export function chooseMatmulVariant(_adapter: { isSoftware: boolean; vendor: string }, _features: Set<string>): MatmulVariant {
  return 'basic';
}

const TILE = 4;
const WG_X = 8;
const WG_Y = 8;

export function matmulKernel(p: MatmulParams): Kernel {
  const { M, N, K, transA, transB } = p;
  // element (r, k) of op(A) and (k, c) of op(B), as WGSL index expressions
  const aIdx = (r: string, k: string) => (transA ? `${k} * ${M}u + ${r}` : `${r} * ${K}u + ${k}`);
  const bIdx = (k: string, c: string) => (transB ? `${c} * ${K}u + ${k}` : `${k} * ${N}u + ${c}`);
  const lines: string[] = [];
  for (let i = 0; i < TILE; i++) {
    lines.push(`let a${i} = select(0.0, A[offA + ${aIdx(`min(row0 + ${i}u, ${M - 1}u)`, 'k')}], row0 + ${i}u < ${M}u);`);
  }
  for (let j = 0; j < TILE; j++) {
    lines.push(`let b${j} = select(0.0, B[offB + ${bIdx('k', `min(col0 + ${j}u, ${N - 1}u)`)}], col0 + ${j}u < ${N}u);`);
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
  const code = `@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
${p.bias ? '@group(0) @binding(2) var<storage, read> BIAS: array<f32>;' : ''}
@group(0) @binding(${p.bias ? 3 : 2}) var<storage, read_write> C: array<f32>;
@compute @workgroup_size(${WG_X}, ${WG_Y})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col0 = gid.x * ${TILE}u;
  let row0 = gid.y * ${TILE}u;
  let b = gid.z;
  let offA = b * ${p.strideA}u;
  let offB = b * ${p.strideB}u;
  let offC = b * ${M * N}u;
  ${accs.join('\n  ')}
  for (var k = 0u; k < ${K}u; k++) {
    ${lines.join('\n    ')}
  }
  ${stores.join('\n  ')}
}`;
  const key = `matmul:basic:${M}:${N}:${K}:${p.batch}:${p.strideA}:${p.strideB}:${transA}:${transB}:${p.bias}`;
  return { key, code, workgroups: [Math.ceil(N / (TILE * WG_X)), Math.ceil(M / (TILE * WG_Y)), p.batch] };
}

/**
 * What every matmul kernel variant takes: C[b] = op(A[b]) op(B[b]) (+ bias), row-major f32,
 * op(X) = X or X^T. Bindings, for every variant: 0 A, 1 B, then bias when `bias`, then C
 * (outputs last, the order engine/ops/launch.ts binds them). C is written, not accumulated.
 */
export interface MatmulParams {
  M: number;
  N: number;
  K: number;
  batch: number;
  /** Elements between consecutive batch entries of A / B; 0 broadcasts one matrix. C's is M*N. */
  strideA: number;
  strideB: number;
  /** A is stored [K, M] (so op(A) = A^T); B is stored [N, K]. Backward needs no transpose copies. */
  transA: boolean;
  transB: boolean;
  /** Adds bias[N] to every row (Linear). */
  bias: boolean;
  variant: MatmulVariant;
  /** Register blocking of the subgroup variant (rows per subgroup, 4-column groups per lane); bench and tuner only. */
  blocking?: { rows: number; groups: number };
}

/**
 * 'subgroup': software adapters (llvmpipe): no workgroup memory, operands shared across the 8
 *   lanes of a subgroup with subgroupBroadcast, large register blocks.
 * 'tiled': real GPUs: 64x64 tiles staged in workgroup memory, 4x4 outputs per thread.
 * 'basic': the portable fallback: 4x4 outputs per thread straight from storage, no subgroups.
 */
export type MatmulVariant = 'subgroup' | 'tiled' | 'basic';
export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['subgroup', 'tiled', 'basic'];

/** WGSL index expressions for element (r, k) of op(A) and (k, c) of op(B), in f32 units, batch offset excluded. */
export function operandIndex(p: MatmulParams): { a: (r: string, k: string) => string; b: (k: string, c: string) => string } {
  const { M, N, K, transA, transB } = p;
  return {
    a: (r, k) => (transA ? `(${k}) * ${M}u + ${r}` : `(${r}) * ${K}u + ${k}`),
    b: (k, c) => (transB ? `(${c}) * ${K}u + ${k}` : `(${k}) * ${N}u + ${c}`),
  };
}

/** Every dispatch dimension must stay within WebGPU's per-dimension limit; say which op and shape broke it. */
export function checkGrid(p: MatmulParams, wg: [number, number, number], max = 65535): [number, number, number] {
  if (wg.some((d) => d > max)) {
    throw new Error(
      `matmul ${p.variant}: ${p.batch}x[${p.M}x${p.K}]x[${p.K}x${p.N}] needs a ${wg.join('x')} workgroup grid, over the ${max} per-dimension limit`,
    );
  }
  return wg;
}

export function matmulKey(p: MatmulParams, extra = ''): string {
  return `matmul:${p.variant}${extra}:${p.M}:${p.N}:${p.K}:${p.batch}:${p.strideA}:${p.strideB}:${+p.transA}${+p.transB}:${+p.bias}`;
}

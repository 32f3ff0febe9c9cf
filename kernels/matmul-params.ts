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
  /** The adapter's maxComputeWorkgroupsPerDimension (default 65535); bigger grids fold. */
  maxWorkgroupsPerDimension?: number;
}

/**
 * 'subgroup': software adapters (llvmpipe): no workgroup memory, operands shared across the 8
 *   lanes of a subgroup with subgroupBroadcast, large register blocks.
 * 'tiled': real GPUs: 64x64 tiles staged in workgroup memory, 4x4 outputs per thread.
 * 'basic': the portable fallback: 4x4 outputs per thread straight from storage, no subgroups.
 */
export type MatmulVariant = 'subgroup' | 'tiled' | 'basic';
export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['subgroup', 'tiled', 'basic'];

/**
 * WGSL index expressions for element (r, k) of op(A) and (k, c) of op(B), in f32 units, batch
 * offset excluded. `dims` are the WGSL expressions of M, N and K (uniform fields, or constants).
 */
export function operandIndex(
  p: MatmulParams,
  dims: { M: string; N: string; K: string } = { M: `${p.M}u`, N: `${p.N}u`, K: `${p.K}u` },
): { a: (r: string, k: string) => string; b: (k: string, c: string) => string } {
  const { M, N, K } = dims;
  const { transA, transB } = p;
  return {
    a: (r, k) => (transA ? `(${k}) * ${M} + ${r}` : `(${r}) * ${K} + ${k}`),
    b: (k, c) => (transB ? `(${c}) * ${K} + ${k}` : `(${k}) * ${N} + ${c}`),
  };
}

/**
 * The workgroup grid: column tiles on x, row tiles x batch on y (and z). Row tiles go on y and
 * the batch on z while both fit the per-dimension limit; past it (a batch-16 im2col at 512^2 has
 * a million rows) they are flattened over y and z and the kernel unfolds them. `prelude` is WGSL
 * (after `wid` is in scope) defining `rowTile` and `z`, the batch entry; surplus workgroups
 * return at once, which keeps control flow uniform for barriers and subgroup operations.
 */
export function tileGrid(p: MatmulParams, colTiles: number, rowTiles: number): { workgroups: [number, number, number]; prelude: string } {
  const max = p.maxWorkgroupsPerDimension ?? 65535;
  if (colTiles > max) {
    throw new Error(`matmul ${p.variant}: N = ${p.N} needs ${colTiles} column tiles, over the ${max} workgroups per dimension limit`);
  }
  if (rowTiles <= max && p.batch <= max) return { workgroups: [colTiles, rowTiles, p.batch], prelude: 'let rowTile = wid.y; let z = wid.z;' };
  const total = rowTiles * p.batch;
  const y = Math.min(total, max);
  const zs = Math.ceil(total / y);
  if (zs > max) throw new Error(`matmul ${p.variant}: ${p.batch}x${p.M} rows need ${total} row tiles, more than a ${max}x${max} grid holds`);
  return {
    workgroups: [colTiles, y, zs],
    prelude: `let flat = wid.z * ${y}u + wid.y; if (flat >= ${total}u) { return; } let rowTile = flat % ${rowTiles}u; let z = flat / ${rowTiles}u;`,
  };
}

/**
 * The uniforms of a kernel that takes M, N, K, the batch strides and the folded grid at dispatch
 * instead of baking them (matmul-subgroup.ts): the same pipeline then serves every size of one
 * layout, e.g. every 1x1 convolution of a network at any batch or input size. WGSL `struct U` and its
 * packing, 32 bytes.
 */
export const MATMUL_UNIFORM_STRUCT = 'struct U { M: u32, K: u32, strideA: u32, strideB: u32, rowTiles: u32, foldY: u32, foldTotal: u32, N: u32 }';

export function matmulUniforms(p: MatmulParams, rowTiles: number, workgroups: readonly number[]): ArrayBuffer {
  const u = new Uint32Array(8);
  u.set([p.M, p.K, p.strideA, p.strideB, rowTiles, workgroups[1], rowTiles * p.batch, p.N]);
  return u.buffer;
}

/** tileGrid's prelude reading the fold from `u` (MATMUL_UNIFORM_STRUCT), so the code does not depend on M or the batch. */
export function uniformGridPrelude(folded: boolean): string {
  if (!folded) return 'let rowTile = wid.y; let z = wid.z;';
  return 'let flat = wid.z * u.foldY + wid.y; if (flat >= u.foldTotal) { return; } let rowTile = flat % u.rowTiles; let z = flat / u.rowTiles;';
}

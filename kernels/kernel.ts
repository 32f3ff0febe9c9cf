/**
 * What every kernel generator returns. Kernels know nothing of Tensor: an op passes
 * storage buffers in the order the generator documents; they are bound at
 * @group(0) @binding(0..n-1), and `uniforms`, when present, at @binding(n) as a
 * var<uniform>. What shapes the code (kernel size, stride, padding, blocking) is
 * baked into the WGSL; sizes that only enter the index arithmetic are uniforms where
 * the kernel supports it, so one pipeline serves many shapes (each pipeline is an
 * LLVM compile on lavapipe's first run); `key` names the WGSL uniquely so pipelines
 * are cached by it.
 */
export interface Kernel {
  key: string;
  code: string;
  workgroups: [number, number, number];
  /** Packed per-dispatch parameters (16-byte aligned size), bound after the buffers. */
  uniforms?: ArrayBuffer;
  /** Multiply-adds x 2 of one dispatch, where the kernel is compute-bound (the profiler's % of the matmul peak). */
  flops?: number;
  /** Bytes one dispatch must read and write at least (the profiler's % of the copy peak); else it sums the bound buffers. */
  bytes?: number;
}

/** Splits a 1-D workgroup count over x and y so neither exceeds the 65535 limit. */
export function grid1d(workgroups: number, maxPerDim = 65535): [number, number, number] {
  if (workgroups <= maxPerDim) return [Math.max(1, workgroups), 1, 1];
  const y = Math.ceil(workgroups / maxPerDim);
  return [Math.ceil(workgroups / y), y, 1];
}

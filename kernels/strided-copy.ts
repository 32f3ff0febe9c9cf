import { grid1d, type Kernel } from './kernel.js';
import { WG, flatIndexHeader, offsetFromIndex } from './wgsl.js';

/**
 * Gathers a strided view into a contiguous output: out[i] = x[offset + sum(coord_d * stride_d)]
 * over the output's dims. Serves permute/transpose and slice (whose view is an offset plus
 * the input strides). Bindings: 0 x, 1 out.
 */
export function gatherKernel(dims: readonly number[], strides: readonly number[], offset = 0): Kernel {
  const n = dims.reduce((a, b) => a * b, 1);
  const code = `${flatIndexHeader(`@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;`)}
  if (i >= ${n}u) { return; }
  ${offsetFromIndex('i', dims, strides, 'src')}
  O[i] = X[src + ${offset}u];
}`;
  return { key: `gather:${dims}:${strides}:${offset}`, code, workgroups: grid1d(Math.ceil(n / WG)) };
}

/**
 * Scatters a contiguous input into a strided region of a larger output (slice backward,
 * concat): out[offset + sum(coord_d * stride_d)] = x[i]. The rest of out is left as is.
 * Bindings: 0 x, 1 out.
 */
export function scatterKernel(dims: readonly number[], strides: readonly number[], offset = 0): Kernel {
  const n = dims.reduce((a, b) => a * b, 1);
  const code = `${flatIndexHeader(`@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;`)}
  if (i >= ${n}u) { return; }
  ${offsetFromIndex('i', dims, strides, 'dst')}
  O[dst + ${offset}u] = X[i];
}`;
  return { key: `scatter:${dims}:${strides}:${offset}`, code, workgroups: grid1d(Math.ceil(n / WG)) };
}

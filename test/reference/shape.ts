/**
 * Ops that only move data: reshape, permute/transpose, slice and concat.
 */
import { T, fmtShape, normAxis, numel, ravel, strides, unravel, type RefTensor } from './tensor.js';

/** Same data, new shape; at most one -1 is inferred. */
export function reshape(x: RefTensor, shape: readonly number[]): RefTensor {
  const n = x.data.length;
  const known = shape.filter((d) => d !== -1);
  const free = shape.length - known.length;
  const knownSize = numel(known);
  const out = shape.map((d) => (d === -1 ? n / knownSize : d));
  if (free > 1 || out.some((d) => !Number.isInteger(d) || d < 0) || numel(out) !== n) {
    throw new Error(`reshape: cannot view ${fmtShape(x.shape)} (${n} values) as ${fmtShape(shape)}`);
  }
  return T(out, x.data);
}

/** out.shape[i] = x.shape[perm[i]]. */
export function permute(x: RefTensor, perm: readonly number[]): RefTensor {
  const rank = x.shape.length;
  const p = perm.map((a) => normAxis(a, rank, 'permute'));
  if (p.length !== rank || new Set(p).size !== rank) {
    throw new Error(`permute: [${perm.join(', ')}] is not a permutation of the ${rank} axes of ${fmtShape(x.shape)}`);
  }
  const outShape = p.map((a) => x.shape[a]);
  const xs = strides(x.shape);
  const out = T(outShape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, outShape);
    let src = 0;
    for (let k = 0; k < rank; k++) src += idx[k] * xs[p[k]];
    out.data[i] = x.data[src];
  }
  return out;
}

/** Swaps two axes (the last two by default), as torch.transpose. */
export function transpose(x: RefTensor, dim0 = -2, dim1 = -1): RefTensor {
  const rank = x.shape.length;
  const a = normAxis(dim0, rank, 'transpose');
  const b = normAxis(dim1, rank, 'transpose');
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** x[begin[i] : begin[i] + size[i]] on every axis; size -1 means "to the end". */
export function slice(x: RefTensor, begin: readonly number[], size: readonly number[]): RefTensor {
  const rank = x.shape.length;
  if (begin.length !== rank || size.length !== rank) {
    throw new Error(`slice: begin [${begin.join(', ')}] and size [${size.join(', ')}] need ${rank} entries for ${fmtShape(x.shape)}`);
  }
  const outShape = size.map((s, i) => (s === -1 ? x.shape[i] - begin[i] : s));
  for (let i = 0; i < rank; i++) {
    if (begin[i] < 0 || outShape[i] < 0 || begin[i] + outShape[i] > x.shape[i]) {
      throw new Error(`slice: axis ${i} range [${begin[i]}, ${begin[i] + outShape[i]}) outside ${fmtShape(x.shape)}`);
    }
  }
  const out = T(outShape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, outShape).map((v, k) => v + begin[k]);
    out.data[i] = x.data[ravel(idx, x.shape)];
  }
  return out;
}

/** Joins tensors along `axis`; all other dims must agree. */
export function concat(xs: readonly RefTensor[], axis: number): RefTensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const rank = xs[0].shape.length;
  const ax = normAxis(axis, rank, 'concat');
  for (const x of xs) {
    if (x.shape.length !== rank || x.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      throw new Error(`concat: ${fmtShape(x.shape)} does not match ${fmtShape(xs[0].shape)} outside axis ${ax}`);
    }
  }
  const outShape = [...xs[0].shape];
  outShape[ax] = xs.reduce((s, x) => s + x.shape[ax], 0);
  const out = T(outShape);
  let offset = 0;
  for (const x of xs) {
    for (let i = 0; i < x.data.length; i++) {
      const idx = unravel(i, x.shape);
      idx[ax] += offset;
      out.data[ravel(idx, outShape)] = x.data[i];
    }
    offset += x.shape[ax];
  }
  return out;
}

/**
 * Reductions over a list of axes (all axes when omitted), with keepDims as in NumPy.
 */
import { T, normAxis, unravel, type RefTensor } from './tensor.js';

type Combine = (acc: number, v: number) => number;

function reduce(op: string, x: RefTensor, axes: readonly number[] | undefined, keepDims: boolean, init: number, combine: Combine): RefTensor {
  const rank = x.shape.length;
  const reduced = new Set((axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, rank, op)));
  const keptShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const out = T(keptShape);
  out.data.fill(init);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    let flat = 0;
    for (let k = 0; k < rank; k++) flat = flat * keptShape[k] + (reduced.has(k) ? 0 : idx[k]);
    out.data[flat] = combine(out.data[flat], x.data[i]);
  }
  if (!keepDims) out.shape = x.shape.filter((_, i) => !reduced.has(i));
  return out;
}

export function sum(x: RefTensor, axes?: readonly number[], keepDims = false): RefTensor {
  return reduce('sum', x, axes, keepDims, 0, (a, v) => a + v);
}

export function mean(x: RefTensor, axes?: readonly number[], keepDims = false): RefTensor {
  const s = reduce('mean', x, axes, keepDims, 0, (a, v) => a + v);
  const count = x.data.length / Math.max(s.data.length, 1);
  for (let i = 0; i < s.data.length; i++) s.data[i] /= count;
  return s;
}

/** Max; a NaN anywhere in the reduced slice gives NaN, as in NumPy (Math.max does that). */
export function max(x: RefTensor, axes?: readonly number[], keepDims = false): RefTensor {
  return reduce('max', x, axes, keepDims, -Infinity, Math.max);
}

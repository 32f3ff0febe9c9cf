/**
 * The reference tensor: a shape and float64 data, row-major and contiguous. References
 * compute in float64 so that their own rounding never hides (or fakes) an engine error.
 */
import { Rng } from '../../engine/random.js';

export interface RefTensor {
  shape: number[];
  data: Float64Array;
}

/** Anything with a shape and numbers, e.g. what the engine reads back from the GPU (f32). */
export interface TensorLike {
  shape: readonly number[];
  data: ArrayLike<number>;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Builds a reference tensor; `data` may be omitted (zeros) or a flat list of numbers. */
export function T(shape: readonly number[], data?: ArrayLike<number>): RefTensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`T: bad shape [${shape.join(', ')}]`);
  }
  const n = numel(shape);
  if (data !== undefined && data.length !== n) {
    throw new Error(`T: shape [${shape.join(', ')}] needs ${n} values, got ${data.length}`);
  }
  return { shape: [...shape], data: data === undefined ? new Float64Array(n) : Float64Array.from(data) };
}

export const zeros = (shape: readonly number[]): RefTensor => T(shape);

export function full(shape: readonly number[], value: number): RefTensor {
  const t = T(shape);
  t.data.fill(value);
  return t;
}

export function scalar(value: number): RefTensor {
  return T([], [value]);
}

/** Standard normal entries, scaled by `std`. */
export function randn(shape: readonly number[], rng: Rng, std = 1): RefTensor {
  const t = T(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal(0, std);
  return t;
}

/** Uniform entries in [lo, hi). */
export function rand(shape: readonly number[], rng: Rng, lo = 0, hi = 1): RefTensor {
  const t = T(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(lo, hi);
  return t;
}

/** A copy in float64, also from an engine read-back (Float32Array). */
export function clone(t: TensorLike): RefTensor {
  return T(t.shape, t.data);
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Flat offset -> multi-index. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i];
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}

/** Multi-index -> flat offset. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i] + idx[i];
  return flat;
}

/** Negative axes count from the end, as in NumPy. */
export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Elementwise map into a new tensor of the same shape. */
export function map(x: RefTensor, f: (v: number, i: number) => number): RefTensor {
  const out = T(x.shape);
  for (let i = 0; i < x.data.length; i++) out.data[i] = f(x.data[i], i);
  return out;
}

/** Elementwise combination of two tensors of the same shape (no broadcasting). */
export function zip(a: RefTensor, b: RefTensor, f: (x: number, y: number) => number, op = 'zip'): RefTensor {
  if (!sameShape(a.shape, b.shape)) throw new Error(`${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
  const out = T(a.shape);
  for (let i = 0; i < a.data.length; i++) out.data[i] = f(a.data[i], b.data[i]);
  return out;
}

/** Sum of all elements. */
export function total(x: RefTensor): number {
  let s = 0;
  for (const v of x.data) s += v;
  return s;
}

/** Sum of elementwise products: the scalar that turns a VJP into a gradient check. */
export function dot(a: RefTensor, b: RefTensor): number {
  if (a.data.length !== b.data.length) throw new Error(`dot: sizes ${a.data.length} and ${b.data.length} differ`);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
  return s;
}

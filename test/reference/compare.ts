/**
 * Comparing an implementation against a reference. The error is scaled by the largest
 * reference magnitude rather than taken per element: a gradient entry that cancels to
 * ~0 would otherwise turn harmless f32 rounding into a huge "relative" error.
 */
import { fmtShape, sameShape, unravel, type TensorLike } from './tensor.js';

export interface Mismatch {
  /** max |actual - expected| / max(|expected|, floor) */
  error: number;
  index: number[];
  actual: number;
  expected: number;
}

/** Worst scaled difference, or null when the shapes disagree. Non-finite values count as infinitely wrong. */
export function worstMismatch(actual: TensorLike, expected: TensorLike, floor = 1e-12): Mismatch | null {
  if (!sameShape(actual.shape, expected.shape)) return null;
  let scale = floor;
  for (let i = 0; i < expected.data.length; i++) scale = Math.max(scale, Math.abs(expected.data[i]));
  let worst: Mismatch = { error: 0, index: [], actual: NaN, expected: NaN };
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    // NaN/Inf only matches the identical non-finite value; anything else is infinitely wrong.
    const bothFinite = Number.isFinite(a) && Number.isFinite(e);
    const err = bothFinite ? Math.abs(a - e) / scale : Object.is(a, e) ? 0 : Infinity;
    if (i === 0 || err > worst.error) worst = { error: err, index: unravel(i, expected.shape), actual: a, expected: e };
  }
  return worst;
}

/**
 * Throws a one-line message naming the tensor, the worst element and both values when
 * `actual` is not within `tol` (scaled, see above) of `expected`.
 */
export function expectClose(actual: TensorLike, expected: TensorLike, tol: number, what: string): void {
  const m = worstMismatch(actual, expected);
  if (m === null) {
    throw new Error(`${what}: shape ${fmtShape(actual.shape)}, expected ${fmtShape(expected.shape)}`);
  }
  if (!(m.error <= tol)) {
    throw new Error(
      `${what}: scaled error ${m.error.toExponential(3)} > ${tol} at [${m.index.join(', ')}]: ` +
        `got ${m.actual}, expected ${m.expected}`,
    );
  }
}

/** Scalar version of expectClose, scaled by max(|expected|, 1). */
export function expectCloseScalar(actual: number, expected: number, tol: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1);
  if (!(err <= tol)) throw new Error(`${what}: got ${actual}, expected ${expected} (scaled error ${err.toExponential(3)} > ${tol})`);
}

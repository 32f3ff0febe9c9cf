import { shapeStr, type Shape } from '../tensor.js';

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** NumPy broadcasting; the error names the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} cannot be broadcast together (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Element strides of `shape` broadcast to `out` (0 along broadcast dims). */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const s = stridesOf(shape);
  return out.map((d, i) => {
    const j = i - (out.length - shape.length);
    return j < 0 || shape[j] === 1 ? 0 : s[j];
  });
}

/** Merges adjacent dims whose strides chain in every operand, so kernels index fewer dims. */
export function collapseDims(dims: Shape, strideSets: number[][]): { dims: number[]; strides: number[][] } {
  const outDims: number[] = [];
  const outStrides: number[][] = strideSets.map(() => []);
  for (let d = 0; d < dims.length; d++) {
    if (dims[d] === 1 && dims.length > 1) continue;
    const k = outDims.length - 1;
    const mergeable = k >= 0 && strideSets.every((s, j) => outStrides[j][k] === s[d] * dims[d]);
    if (mergeable) {
      outDims[k] *= dims[d];
      strideSets.forEach((s, j) => (outStrides[j][k] = s[d]));
    } else {
      outDims.push(dims[d]);
      strideSets.forEach((s, j) => outStrides[j].push(s[d]));
    }
  }
  if (!outDims.length) return { dims: [1], strides: strideSets.map(() => [0]) };
  return { dims: outDims, strides: outStrides };
}

/** Axis list normalised to sorted, non-negative, unique; undefined means all axes. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => {
    const n = a < 0 ? a + rank : a;
    if (!Number.isInteger(n) || n < 0 || n >= rank) throw new Error(`${op}: axis ${a} out of range for rank ${rank}`);
    return n;
  });
  return [...new Set(out)].sort((x, y) => x - y);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

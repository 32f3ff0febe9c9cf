import { record } from '../autograd.js';
import { shapeStr, sizeOf, view, type Shape, type Tensor } from '../tensor.js';

/** Same data, new shape (no copy). One dimension may be -1. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const known = shape.filter((d) => d !== -1);
  const free = shape.length - known.length;
  if (free > 1) throw new Error(`reshape: at most one -1 in ${shapeStr(shape)}`);
  const fixed = sizeOf(known);
  const resolved = shape.map((d) => (d === -1 ? (fixed ? x.size / fixed : 0) : d));
  if (sizeOf(resolved) !== x.size || resolved.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: cannot reshape ${x.describe()} (${x.size} elements) to ${shapeStr(shape)}`);
  }
  if (x.disposed) throw new Error(`reshape: input ${x.describe()} was used after dispose()`);
  const y = view(x, resolved);
  return record('reshape', [x], y, (g) => [reshape(g, x.shape)]);
}

import { record } from '../autograd.js';
import { empty, shapeStr, type Tensor } from '../tensor.js';
import { slice, writeRegion } from './slice.js';

/** Joins tensors along `axis`; all other dims must match. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!xs.length) throw new Error('concat: no tensors given');
  const rank = xs[0].rank;
  const ax = axis < 0 ? axis + rank : axis;
  if (ax < 0 || ax >= rank) throw new Error(`concat: axis ${axis} out of range for rank ${rank}`);
  for (const t of xs) {
    if (t.rank !== rank || t.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      throw new Error(`concat: shapes ${xs.map((x) => shapeStr(x.shape)).join(', ')} differ off axis ${ax}`);
    }
  }
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((n, t) => n + t.shape[ax], 0);
  const out = empty(shape);
  const begins: number[][] = [];
  let at = 0;
  for (const t of xs) {
    const begin = shape.map((_, i) => (i === ax ? at : 0));
    begins.push(begin);
    writeRegion('concat', t, out, begin);
    at += t.shape[ax];
  }
  return record('concat', [...xs], out, (g) => xs.map((t, k) => slice(g, begins[k], t.shape)));
}

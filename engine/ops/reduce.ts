import { record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { normalizeAxes } from './shape.js';
import { reshape } from './reshape.js';
import { reduceRaw, reducedShape } from './sum-to.js';
import { broadcastTo } from './broadcast.js';
import { div, eq, mul } from './binary.js';

/** Sum over axes (all by default). */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normalizeAxes('sum', axes, x.rank);
  const y = reduceRaw('sum', 'sum', x, ax, keepDims, 1);
  return record('sum', [x], y, (g) => [broadcastTo(reshape(g, reducedShape(x.shape, ax, true)), x.shape)]);
}

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normalizeAxes('mean', axes, x.rank);
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  const y = reduceRaw('sum', 'mean', x, ax, keepDims, 1 / Math.max(1, count));
  return record('mean', [x], y, (g) => [broadcastTo(reshape(g, reducedShape(x.shape, ax, true)), x.shape, 1 / count)]);
}

/** Max over axes. The gradient is shared equally among tied maxima (as TensorFlow does). */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normalizeAxes('max', axes, x.rank);
  const y = reduceRaw('max', 'max', x, ax, keepDims, 1);
  return record(
    'max',
    [x],
    y,
    (g, [xs, ys]) => {
      const kshape = reducedShape(x.shape, ax, true);
      const mask = eq(xs, reshape(ys, kshape));
      const count = reduceRaw('sum', 'max', mask, ax, true, 1);
      return [mul(mask, div(reshape(g, kshape), count))];
    },
    [x, y],
  );
}

import { record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { gatherKernel } from '../../kernels/strided-copy.js';
import { launch } from './launch.js';
import { collapseDims, stridesOf } from './shape.js';

/** Reorders axes: out.shape[i] = x.shape[perm[i]] (a copy into contiguous layout). */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.rank || sorted.some((p, i) => p !== i)) {
    throw new Error(`permute: [${perm.join(',')}] is not a permutation of the ${x.rank} axes of ${x.describe()}`);
  }
  const shape = perm.map((p) => x.shape[p]);
  const inStrides = stridesOf(x.shape);
  const c = collapseDims(shape, [perm.map((p) => inStrides[p])]);
  const y = launch('permute', gatherKernel(c.dims, c.strides[0]), [x], shape);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return record('permute', [x], y, (g) => [permute(g, inverse)]);
}

/** Swaps two axes (the last two by default). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const ra = a < 0 ? a + x.rank : a;
  const rb = b < 0 ? b + x.rank : b;
  if (ra < 0 || rb < 0 || ra >= x.rank || rb >= x.rank) throw new Error(`transpose: axes ${a}, ${b} out of range for ${x.describe()}`);
  const perm = [...Array(x.rank).keys()];
  [perm[ra], perm[rb]] = [perm[rb], perm[ra]];
  return permute(x, perm);
}

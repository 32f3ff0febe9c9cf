import type { Tensor } from '../tensor.js';
import { matmul } from './matmul.js';
import { reshape } from './reshape.js';

/**
 * y = x W + b with x [..., in], W [in, out], b [out]: one GEMM over all leading rows
 * with the bias fused into it (matmul's kernels), so it needs no kernel of its own;
 * the gradients come from matmul's backward.
 */
export function linear(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
  if (w.rank !== 2 || x.rank < 1 || x.shape[x.rank - 1] !== w.shape[0]) {
    throw new Error(`linear: input ${x.describe()} and weight ${w.describe()} (expected [in, out]) do not agree`);
  }
  const [In, Out] = w.shape;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== Out)) throw new Error(`linear: bias ${bias.describe()}, expected [${Out}]`);
  const rows = x.rank === 2 ? x : reshape(x, [-1, In]);
  const y = matmul(rows, w, { bias });
  return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), Out]);
}

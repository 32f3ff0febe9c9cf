import { runtime } from '../runtime.js';
import { empty, type Tensor } from '../tensor.js';
import { clipCoefKernel, scaleByCoefKernel, sumSquaresGroups, sumSquaresKernel } from '../../kernels/clip-grad-norm.js';

/**
 * torch.nn.utils.clip_grad_norm_ (L2): scales every parameter's gradient in place by
 * min(maxNorm / (total + 1e-6), 1), total being the L2 norm over all of them. All on the
 * GPU: per gradient a sum-of-squares kernel into a shared partials buffer, one kernel
 * for the norm and coefficient, then per gradient a scale that reads the coefficient
 * from the GPU (no host round trip). Returns the total norm before clipping as a
 * scalar tensor (read it when convenient, e.g. one step late).
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): Tensor {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm ${maxNorm} must be positive`);
  const rt = runtime();
  const { partial, grads } = sumSquaresPartials(params);
  const out = empty([2]);
  rt.dispatch(clipCoefKernel(partial.size, maxNorm), [partial.binding, out.binding]);
  for (const g of grads) rt.dispatch(scaleByCoefKernel(g.size), [g.binding, out.binding]);
  partial.dispose();
  const total = empty([]);
  rt.copy(out.buffer, 0, total.buffer, 0, 4);
  out.dispose();
  return total;
}

/** Per gradient a sum-of-squares kernel into one shared partials buffer (whose sum is the
 * squared L2 norm over all of them); also the step guard's input. The caller disposes it. */
export function sumSquaresPartials(params: readonly Tensor[]): { partial: Tensor; grads: Tensor[] } {
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null && g.size > 0);
  const rt = runtime();
  const counts = grads.map((g) => sumSquaresGroups(g.size));
  const partial = empty([Math.max(1, counts.reduce((a, b) => a + b, 0))]);
  if (!grads.length) rt.clear(partial.buffer, 0, 4);
  let base = 0;
  grads.forEach((g, i) => {
    rt.dispatch(sumSquaresKernel(g.size, base), [g.binding, partial.binding]);
    base += counts[i];
  });
  return { partial, grads };
}

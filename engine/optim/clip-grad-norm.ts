import { runtime } from '../runtime.js';
import { empty, type Tensor } from '../tensor.js';
import { FlatParams } from './flat-params.js';
import { clipCoefKernel, scaleByCoefKernel, sumSquaresGroups, sumSquaresKernel } from '../../kernels/clip-grad-norm.js';

/**
 * torch.nn.utils.clip_grad_norm_ (L2): scales every parameter's gradient in place by
 * min(maxNorm / (total + 1e-6), 1), total being the L2 norm over all of them. All on the
 * GPU: per gradient a sum-of-squares kernel into a shared partials buffer, one kernel
 * for the norm and coefficient, then per gradient a scale that reads the coefficient
 * from the GPU (no host round trip). The parameters of a flat optimizer
 * (engine/optim/flat-params.ts) take three dispatches in all: the partials, the
 * coefficient and one scale over the flat gradients. Returns the total norm before
 * clipping as a scalar tensor (read it when convenient, e.g. one step late).
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): Tensor {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm ${maxNorm} must be positive`);
  const rt = runtime();
  const { partial, grads, flat } = sumSquaresPartials(params);
  const out = empty([2]);
  rt.dispatch(clipCoefKernel(partial.size, maxNorm), [partial.binding, out.binding]);
  // Flat gradients: one scale over the whole buffer (padding and gradient-less segments hold no live gradient).
  if (flat) rt.dispatch(scaleByCoefKernel(flat.layout.total), [flat.G.binding, out.binding]);
  else for (const g of grads) rt.dispatch(scaleByCoefKernel(g.size), [g.binding, out.binding]);
  partial.dispose();
  const total = empty([]);
  rt.copy(out.buffer, 0, total.buffer, 0, 4);
  out.dispose();
  return total;
}

/** Per gradient a sum-of-squares kernel into one shared partials buffer (whose sum is the
 * squared L2 norm over all of them); also the step guard's input. The caller disposes it.
 * Parameters of one optimizer's flat buffers (engine/optim/flat-params.ts) get their
 * gradients gathered and the same partials from one dispatch; `flat` is then their group
 * when every gradient of it is among these. */
export function sumSquaresPartials(params: readonly Tensor[]): { partial: Tensor; grads: Tensor[]; flat: FlatParams | null } {
  const group = FlatParams.of(params);
  const segments = group?.gather(params);
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null && g.size > 0);
  const rt = runtime();
  const counts = grads.map((g) => sumSquaresGroups(g.size));
  const partial = empty([Math.max(1, counts.reduce((a, b) => a + b, 0))]);
  if (!grads.length) rt.clear(partial.buffer, 0, 4);
  if (group && segments) {
    const live = segments.filter((i) => group.layout.sizes[i] > 0);
    if (live.length) group.sumSquares(live, partial);
    return { partial, grads, flat: group.covers(segments) ? group : null };
  }
  let base = 0;
  grads.forEach((g, i) => {
    rt.dispatch(sumSquaresKernel(g.size, base), [g.binding, partial.binding]);
    base += counts[i];
  });
  return { partial, grads, flat: null };
}

import { isGradEnabled, record } from '../autograd.js';
import { runtime } from '../runtime.js';
import { empty, type Tensor } from '../tensor.js';
import { bceWithLogitsKernel } from '../../kernels/bce-with-logits.js';
import { mul } from './binary.js';
import { bufferOf } from './launch.js';
import { sameShape } from './shape.js';

const OP = 'bceWithLogits';

/**
 * Binary cross-entropy with logits, mean over every element (PyTorch's
 * BCEWithLogitsLoss), with an optional pos_weight per class (last axis). One kernel
 * computes the loss and, when the tape is recording, the gradient w.r.t. the logits;
 * backward only scales that by the upstream gradient. A NaN/Inf anywhere in the inputs
 * makes the loss NaN: read it through checkFinite(loss, 'bceWithLogits') to get an
 * error naming the op. Returns a scalar (shape []).
 */
export function bceWithLogits(logits: Tensor, targets: Tensor, posWeight?: Tensor): Tensor {
  if (logits.rank < 1 || logits.size === 0) throw new Error(`${OP}: logits ${logits.describe()} are empty`);
  if (!sameShape(logits.shape, targets.shape)) throw new Error(`${OP}: targets ${targets.describe()}, expected the shape of logits ${logits.describe()}`);
  const C = logits.shape[logits.rank - 1];
  if (posWeight && (posWeight.rank !== 1 || posWeight.shape[0] !== C)) throw new Error(`${OP}: pos_weight ${posWeight.describe()}, expected [${C}]`);
  if (targets.requiresGrad || posWeight?.requiresGrad) throw new Error(`${OP}: gradients w.r.t. targets or pos_weight are not supported`);
  const withGrad = isGradEnabled() && (logits.requiresGrad || logits.node !== null);
  const loss = empty([]);
  const grad = withGrad ? empty(logits.shape) : null;
  const buffers = [bufferOf(OP, logits), bufferOf(OP, targets), ...(posWeight ? [bufferOf(OP, posWeight)] : []), loss.binding, ...(grad ? [grad.binding] : [])];
  runtime().dispatch(bceWithLogitsKernel(logits.size, C, !!posWeight, withGrad), buffers);
  if (!grad) return loss;
  record(OP, [logits], loss, (gy, [g]) => [mul(g, gy)], [grad]);
  grad.dispose();
  return loss;
}

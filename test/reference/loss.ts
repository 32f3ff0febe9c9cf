/**
 * Binary cross-entropy with logits, mean over every element, PyTorch semantics:
 *   l = -[pw * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x))]
 * with pos_weight pw per class (last axis), 1 when absent. Written with softplus
 * (log(1 + e^z), computed as max(z, 0) + log1p(e^-|z|)) so |x| = 100 stays finite:
 *   -log(sigmoid(x)) = softplus(-x),  -log(1 - sigmoid(x)) = softplus(x).
 */
import { UNARY } from './elementwise.js';
import { T, fmtShape, sameShape, type RefTensor } from './tensor.js';

export const softplus = (z: number): number => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

function check(logits: RefTensor, targets: RefTensor, posWeight: RefTensor | undefined): number {
  if (!sameShape(logits.shape, targets.shape)) {
    throw new Error(`bceWithLogits: targets ${fmtShape(targets.shape)}, expected ${fmtShape(logits.shape)}`);
  }
  const C = logits.shape[logits.shape.length - 1] ?? 1;
  if (posWeight && !sameShape(posWeight.shape, [C])) {
    throw new Error(`bceWithLogits: pos_weight ${fmtShape(posWeight.shape)}, expected [${C}]`);
  }
  return C;
}

export function bceWithLogits(logits: RefTensor, targets: RefTensor, posWeight?: RefTensor): number {
  const C = check(logits, targets, posWeight);
  let s = 0;
  for (let i = 0; i < logits.data.length; i++) {
    const x = logits.data[i];
    const y = targets.data[i];
    const pw = posWeight ? posWeight.data[i % C] : 1;
    s += pw * y * softplus(-x) + (1 - y) * softplus(x);
  }
  return s / logits.data.length;
}

/** d loss / d logits = (pw * y * (sigmoid(x) - 1) + (1 - y) * sigmoid(x)) / count, times dLoss. */
export function bceWithLogitsBackward(logits: RefTensor, targets: RefTensor, posWeight?: RefTensor, dLoss = 1): RefTensor {
  const C = check(logits, targets, posWeight);
  const n = logits.data.length;
  const dx = T(logits.shape);
  for (let i = 0; i < n; i++) {
    const p = UNARY.sigmoid.f(logits.data[i]);
    const y = targets.data[i];
    const pw = posWeight ? posWeight.data[i % C] : 1;
    dx.data[i] = (dLoss * (pw * y * (p - 1) + (1 - y) * p)) / n;
  }
  return dx;
}

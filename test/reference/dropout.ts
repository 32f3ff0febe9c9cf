/**
 * Dropout and drop-connect (stochastic depth) given explicit masks: the engine draws its
 * masks from a seeded stream, a test reads the mask back and hands it in here.
 */
import { T, fmtShape, sameShape, type RefTensor } from './tensor.js';

/** y = x * mask / (1 - p); mask holds 0 (dropped) or 1 (kept), same shape as x. */
export function dropout(x: RefTensor, mask: RefTensor, p: number): RefTensor {
  if (!sameShape(mask.shape, x.shape)) throw new Error(`dropout: mask ${fmtShape(mask.shape)}, expected ${fmtShape(x.shape)}`);
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: rate ${p} outside [0, 1)`);
  const y = T(x.shape);
  for (let i = 0; i < x.data.length; i++) y.data[i] = (x.data[i] * mask.data[i]) / (1 - p);
  return y;
}

/** The same map applied to the upstream gradient. */
export const dropoutBackward = (dy: RefTensor, mask: RefTensor, p: number): RefTensor => dropout(dy, mask, p);

/**
 * Drop-connect: each sample n of x [N, ...] is kept whole (keep[n] = 1) or zeroed
 * (keep[n] = 0); kept samples are scaled by 1 / keepProb so the expectation is unchanged.
 */
export function dropConnect(x: RefTensor, keep: RefTensor, keepProb: number): RefTensor {
  const N = x.shape[0];
  if (x.shape.length < 1 || !sameShape(keep.shape, [N])) throw new Error(`dropConnect: mask ${fmtShape(keep.shape)}, expected [${N}] for input ${fmtShape(x.shape)}`);
  if (!(keepProb > 0 && keepProb <= 1)) throw new Error(`dropConnect: keep probability ${keepProb} outside (0, 1]`);
  const per = x.data.length / Math.max(N, 1);
  const y = T(x.shape);
  for (let i = 0; i < x.data.length; i++) y.data[i] = (x.data[i] * keep.data[Math.floor(i / per)]) / keepProb;
  return y;
}

export const dropConnectBackward = (dy: RefTensor, keep: RefTensor, keepProb: number): RefTensor => dropConnect(dy, keep, keepProb);

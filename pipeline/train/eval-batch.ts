import type { EvalForward } from './steps.js';

/**
 * Eval-mode logits of the first n images of x (NHWC, size x size), run as a batch of
 * `padTo` with zero images after them. Shapes are compiled into the kernels, so a short
 * last batch would otherwise build every pipeline again; in eval mode BN uses its running
 * statistics, so the padding cannot change the real images' outputs. The one shape is
 * also what lets a compiled eval forward replay every batch, the last one included.
 */
export async function evalLogits(forward: EvalForward, x: Float32Array, n: number, padTo: number, size: number): Promise<Float32Array> {
  const { inChannels: C, numClasses } = forward.model.config;
  const per = size * size * C;
  let data = x.subarray(0, n * per);
  if (padTo > n) {
    data = new Float32Array(padTo * per);
    data.set(x.subarray(0, n * per));
  }
  return (await forward.logits(data, [Math.max(n, padTo), size, size, C])).subarray(0, n * numClasses);
}

export function sigmoidAll(z: Float32Array): Float32Array {
  return z.map((v) => 1 / (1 + Math.exp(-v)));
}

const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

/** Mean BCE-with-logits over every entry, the training step's loss (the bceWithLogits op):
 * pw * y * softplus(-z) + (1 - y) * softplus(z), with pos_weight pw per class (the last
 * axis, `posWeight.length` wide; 1 without it), so a run's validation loss is the same
 * objective as its training loss. */
export function bceMean(z: Float32Array, y: Float32Array, posWeight?: Float32Array): number {
  let s = 0;
  const C = posWeight?.length ?? 1;
  if (posWeight && z.length % C) throw new Error(`bceMean: ${z.length} logits are not rows of ${C} classes (pos_weight)`);
  for (let i = 0; i < z.length; i++) s += (posWeight ? posWeight[i % C] : 1) * y[i] * softplus(-z[i]) + (1 - y[i]) * softplus(z[i]);
  return s / z.length;
}

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

/** Mean BCE-with-logits over every entry, in the stable form max(z,0) - z*y + log1p(e^-|z|). */
export function bceMean(z: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < z.length; i++) s += Math.max(z[i], 0) - z[i] * y[i] + Math.log1p(Math.exp(-Math.abs(z[i])));
  return s / z.length;
}

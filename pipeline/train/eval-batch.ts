import * as E from '../../engine/index.js';
import type { EfficientNet } from '../../models/efficientnet.js';

/**
 * Eval-mode logits of the first n images of x (NHWC, size x size), run as a batch of
 * `padTo` with zero images after them. Shapes are compiled into the kernels, so a short
 * last batch would otherwise build every pipeline again; in eval mode BN uses its running
 * statistics, so the padding cannot change the real images' outputs.
 */
export async function evalLogits(model: EfficientNet, x: Float32Array, n: number, padTo: number, size: number): Promise<Float32Array> {
  const C = model.config.inChannels;
  const per = size * size * C;
  let data = x.subarray(0, n * per);
  if (padTo > n) {
    data = new Float32Array(padTo * per);
    data.set(x.subarray(0, n * per));
  }
  const input = E.tensor(data, [Math.max(n, padTo), size, size, C]);
  const logits = E.noGrad(() => model.forward(input));
  input.dispose();
  try {
    return (await logits.data()).subarray(0, n * model.config.numClasses);
  } finally {
    logits.dispose();
  }
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

import { record } from '../autograd.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { dropKernel } from '../../kernels/dropout.js';
import { bufferOf, launch } from './launch.js';
import { drawSeeds } from '../capture.js';
import { runtime } from '../runtime.js';
import { empty } from '../tensor.js';

function drop(op: string, x: Tensor, p: number, rng: Rng, per: number): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`${op}: rate ${p} outside [0, 1)`);
  // Two draws per call: a run with the same Rng state repeats its masks exactly. Under
  // capture the seeds sit in the step's seed table (engine/capture.ts), same values.
  const { seed, table } = drawSeeds(rng);
  const run = (name: string, t: Tensor): Tensor => {
    if (!table) return launch(name, dropKernel(t.size, per, seed, p), [t], t.shape);
    const y = empty(t.shape);
    if (y.size) runtime().dispatch(dropKernel(t.size, per, { slot: table.slot }, p), [bufferOf(name, t), { buffer: table.buffer }, y.binding]);
    return y;
  };
  return record(op, [x], run(op, x), (g) => [run(`${op} backward`, g)]);
}

/** Zeroes each element with probability p and scales the rest by 1 / (1 - p) (training only). */
export function dropout(x: Tensor, p: number, rng: Rng): Tensor {
  return drop('dropout', x, p, rng, 1);
}

/**
 * Drop-connect / stochastic depth: each sample of x [N, ...] is kept whole with
 * probability 1 - p (scaled by 1 / (1 - p)) or zeroed whole.
 */
export function dropConnect(x: Tensor, p: number, rng: Rng): Tensor {
  if (x.rank < 1 || x.shape[0] === 0) throw new Error(`dropConnect: input ${x.describe()} needs a non-empty batch axis`);
  return drop('dropConnect', x, p, rng, x.size / x.shape[0]);
}

import { record } from '../autograd.js';
import { runtime } from '../runtime.js';
import { empty, shapeStr, type Tensor } from '../tensor.js';
import { accumulateKernel } from '../../kernels/elementwise.js';
import { bufferOf } from './launch.js';
import { sameShape } from './shape.js';

/** A copy with its own buffer. */
export function clone(x: Tensor): Tensor {
  const y = empty(x.shape);
  const src = bufferOf('clone', x);
  if (x.size) runtime().copy(src.buffer, src.offset ?? 0, y.buffer, 0, x.size * 4);
  return record('clone', [x], y, (g) => [g]);
}

/** acc += g in place; no tape (gradient accumulation and optimizer plumbing). */
export function addInPlace(acc: Tensor, g: Tensor): void {
  if (!sameShape(acc.shape, g.shape)) throw new Error(`addInPlace: shapes ${shapeStr(acc.shape)} and ${shapeStr(g.shape)} differ`);
  if (acc.size) runtime().dispatch(accumulateKernel(acc.size), [bufferOf('addInPlace', acc), bufferOf('addInPlace', g)]);
}

/** Overwrites dst with src's values (same size); no tape. */
export function assign(dst: Tensor, src: Tensor): void {
  if (dst.size !== src.size) throw new Error(`assign: sizes of ${dst.describe()} and ${src.describe()} differ`);
  const from = bufferOf('assign', src);
  const to = bufferOf('assign', dst);
  // A tensor assigned to itself (e.g. an optimizer's own state loaded back) is already
  // there; WebGPU refuses a copy whose source and destination are one buffer.
  if (from.buffer === to.buffer && (from.offset ?? 0) === (to.offset ?? 0)) return;
  if (dst.size) runtime().copy(from.buffer, from.offset ?? 0, to.buffer, to.offset ?? 0, dst.size * 4);
}

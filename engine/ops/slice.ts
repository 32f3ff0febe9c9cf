import { record } from '../autograd.js';
import { runtime } from '../runtime.js';
import { shapeStr, zeros, type Tensor } from '../tensor.js';
import { gatherKernel, scatterKernel } from '../../kernels/strided-copy.js';
import { bufferOf, launch } from './launch.js';
import { collapseDims, stridesOf } from './shape.js';

/** x[begin[d] : begin[d] + size[d]] on every axis; size -1 means to the end. */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  if (begin.length !== x.rank || (size && size.length !== x.rank)) {
    throw new Error(`slice: begin/size must have one entry per axis of ${x.describe()}`);
  }
  const shape = x.shape.map((d, i) => {
    const s = size?.[i] ?? -1;
    const n = s === -1 ? d - begin[i] : s;
    if (begin[i] < 0 || n < 0 || begin[i] + n > d) {
      throw new Error(`slice: begin ${shapeStr(begin)} size ${shapeStr(size ?? [])} is out of bounds for ${x.describe()}`);
    }
    return n;
  });
  const strides = stridesOf(x.shape);
  const offset = begin.reduce((o, b, i) => o + b * strides[i], 0);
  const c = collapseDims(shape, [strides]);
  const y = launch('slice', gatherKernel(c.dims, c.strides[0], offset), [x], shape);
  return record('slice', [x], y, (g) => [padInto(g, x.shape, begin)]);
}

/** A zero tensor of `shape` with g written at `begin` (slice's backward). */
function padInto(g: Tensor, shape: readonly number[], begin: readonly number[]): Tensor {
  const out = zeros(shape);
  writeRegion('slice', g, out, begin);
  return out;
}

/** Copies src into dst at the region starting at `begin` (dst is written in place). */
export function writeRegion(op: string, src: Tensor, dst: Tensor, begin: readonly number[]): void {
  if (!src.size) return;
  const strides = stridesOf(dst.shape);
  const offset = begin.reduce((o, b, i) => o + b * strides[i], 0);
  const c = collapseDims(src.shape, [strides]);
  runtime().dispatch(scatterKernel(c.dims, c.strides[0], offset), [bufferOf(op, src), bufferOf(op, dst)]);
}

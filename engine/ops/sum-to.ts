import { shapeStr, type Shape, type Tensor } from '../tensor.js';
import { reduceKernel, type ReduceOp } from '../../kernels/reduce.js';
import { launch } from './launch.js';
import { collapseDims, sameShape, stridesOf } from './shape.js';
import { reshape } from './reshape.js';

// The raw reductions without a tape node: the building block of sum/mean/max and of the
// gradients of every broadcasting op.
export function reducedShape(shape: Shape, axes: number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

export function reduceRaw(op: ReduceOp, name: string, x: Tensor, axes: number[], keepDims: boolean, scale: number): Tensor {
  const strides = stridesOf(x.shape);
  const keptAxes = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const kept = collapseDims(keptAxes.map((i) => x.shape[i]), [keptAxes.map((i) => strides[i])]);
  const red = collapseDims(axes.map((i) => x.shape[i]), [axes.map((i) => strides[i])]);
  if (op === 'max' && axes.some((a) => x.shape[a] === 0)) throw new Error(`${name}: cannot take the max over an empty axis of ${x.describe()}`);
  const kernel = reduceKernel(op, kept.dims, kept.strides[0], red.dims, red.strides[0], scale);
  return launch(name, kernel, [x], reducedShape(x.shape, axes, keepDims));
}

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new Error(`sumTo: cannot reduce ${g.describe()} to ${shapeStr(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(reduceRaw('sum', 'sumTo', g, axes, false, 1), shape);
}

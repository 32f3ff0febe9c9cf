import { runtime } from '../runtime.js';
import { empty, type Shape, type Tensor } from '../tensor.js';
import type { Kernel } from '../../kernels/kernel.js';

/** The input's binding (its buffer, or its range of a flat buffer), or an error naming the op when the tensor was disposed. */
export function bufferOf(op: string, t: Tensor): GPUBufferBinding {
  if (t.disposed) throw new Error(`${op}: input ${t.describe()} was used after dispose()`);
  return t.binding;
}

/** Dispatches `kernel` over the inputs into a new tensor of `shape`. */
export function launch(op: string, kernel: Kernel, inputs: Tensor[], shape: Shape): Tensor {
  const buffers = inputs.map((t) => bufferOf(op, t));
  const out = empty(shape);
  if (out.size > 0) runtime().dispatch(kernel, [...buffers, out.binding]);
  return out;
}

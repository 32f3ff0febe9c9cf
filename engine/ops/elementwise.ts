import { record } from '../autograd.js';
import { runtime } from '../runtime.js';
import { empty, type Shape, type Tensor } from '../tensor.js';
import { fillKernel, unaryGradKernel, unaryKernel, type UnaryOp } from '../../kernels/elementwise.js';
import { bufferOf, launch } from './launch.js';

/** One table-driven unary op: forward kernel, and a backward kernel reading x, y and g. */
function unary(op: UnaryOp, x: Tensor, p = 0): Tensor {
  const y = launch(op, unaryKernel(op, x.size, p), [x], x.shape);
  return record(op, [x], y, (g, [xs, ys]) => [unaryGrad(op, xs, ys, g, p)], [x, y]);
}

function unaryGrad(op: UnaryOp, x: Tensor, y: Tensor, g: Tensor, p: number): Tensor {
  const gx = empty(x.shape);
  runtime().dispatch(unaryGradKernel(op, x.size, p), [bufferOf(op, x), bufferOf(op, y), bufferOf(op, g), gx.binding]);
  return gx;
}

export const neg = (x: Tensor) => unary('neg', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
/** SiLU: x * sigmoid(x). */
export const swish = (x: Tensor) => unary('swish', x);
export const relu = (x: Tensor) => unary('relu', x);
export const abs = (x: Tensor) => unary('abs', x);
export const addScalar = (x: Tensor, s: number) => unary('addScalar', x, s);
export const mulScalar = (x: Tensor, s: number) => unary('mulScalar', x, s);
/** s - x */
export const rsubScalar = (x: Tensor, s: number) => unary('rsubScalar', x, s);
/** s / x */
export const rdivScalar = (x: Tensor, s: number) => unary('rdivScalar', x, s);
export const powScalar = (x: Tensor, s: number) => unary('powScalar', x, s);

/** A new tensor filled with one value (no gradient). */
export function full(shape: Shape, value: number): Tensor {
  const t = empty(shape);
  if (t.size) runtime().dispatch(fillKernel(t.size, value), [t.binding]);
  return t;
}

export const ones = (shape: Shape) => full(shape, 1);

import { record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { binaryKernel, type BinaryOp } from '../../kernels/elementwise.js';
import { launch } from './launch.js';
import { broadcastShapes, broadcastStrides, collapseDims } from './shape.js';
import { sumTo } from './sum-to.js';
import { neg } from './elementwise.js';

/** a (op) b with NumPy broadcasting, no tape. */
function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const c = collapseDims(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)]);
  return launch(op, binaryKernel(op, c.dims, c.strides[0], c.strides[1]), [a, b], shape);
}

export function add(a: Tensor, b: Tensor): Tensor {
  return record('add', [a, b], binaryRaw('add', a, b), (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  const bNeedsGrad = b.requiresGrad || !!b.node;
  return record('sub', [a, b], binaryRaw('sub', a, b), (g) => [sumTo(g, a.shape), bNeedsGrad ? sumTo(neg(g), b.shape) : null]);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  return record('mul', [a, b], binaryRaw('mul', a, b), (g, [sa, sb]) => [sumTo(binaryRaw('mul', g, sb), a.shape), sumTo(binaryRaw('mul', g, sa), b.shape)], [a, b]);
}

export function div(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw('div', a, b);
  return record(
    'div',
    [a, b],
    y,
    (g, [sa, sb]) => {
      const ga = binaryRaw('div', g, sb);
      return [sumTo(ga, a.shape), sumTo(neg(binaryRaw('mul', ga, binaryRaw('div', sa, sb))), b.shape)];
    },
    [a, b],
  );
}

/** a ^ b elementwise (NaN for a negative base with a non-integer exponent, as in PyTorch). */
export function pow(a: Tensor, b: Tensor): Tensor {
  const bNeedsGrad = b.requiresGrad || !!b.node;
  return record(
    'pow',
    [a, b],
    binaryRaw('pow', a, b),
    (g, [sa, sb]) => [
      sumTo(binaryRaw('mul', g, binaryRaw('powGradA', sa, sb)), a.shape),
      bNeedsGrad ? sumTo(binaryRaw('mul', g, binaryRaw('powGradB', sa, sb)), b.shape) : null,
    ],
    [a, b],
  );
}

/** 1 where a == b, else 0 (no gradient). */
export function eq(a: Tensor, b: Tensor): Tensor {
  return binaryRaw('eq', a, b);
}

/**
 * Squeeze-and-excite, NHWC: pool -> 1x1 reduce (linear) -> swish -> 1x1 expand (linear)
 * -> sigmoid -> scale every channel of x by its gate. A 1x1 conv on a pooled [N, 1, 1, C]
 * map is a linear layer, and its HWIO weight [1, 1, C, S] has the same data as [C, S].
 */
import { sigmoid, swish, unaryBackward } from './elementwise.js';
import { linear, linearBackward } from './linear.js';
import { globalAvgPool, globalAvgPoolBackward } from './pool.js';
import { T, fmtShape, sameShape, type RefTensor } from './tensor.js';

export interface SEParams {
  /** [C, S] */
  wReduce: RefTensor;
  /** [S] */
  bReduce: RefTensor;
  /** [S, C] */
  wExpand: RefTensor;
  /** [C] */
  bExpand: RefTensor;
}

export interface SEGrads {
  dx: RefTensor;
  dwReduce: RefTensor;
  dbReduce: RefTensor;
  dwExpand: RefTensor;
  dbExpand: RefTensor;
}

function forwardParts(x: RefTensor, p: SEParams): { pooled: RefTensor; z: RefTensor; a: RefTensor; gate: RefTensor } {
  const C = x.shape[3];
  if (x.shape.length !== 4 || !sameShape(p.wReduce.shape.slice(0, 1), [C]) || !sameShape(p.bExpand.shape, [C])) {
    throw new Error(`squeezeExcite: input ${fmtShape(x.shape)} does not match wReduce ${fmtShape(p.wReduce.shape)} / bExpand ${fmtShape(p.bExpand.shape)}`);
  }
  const pooled = globalAvgPool(x);
  const z = linear(pooled, p.wReduce, p.bReduce);
  const a = swish(z);
  const gate = sigmoid(linear(a, p.wExpand, p.bExpand));
  return { pooled, z, a, gate };
}

/** y[n, h, w, c] = x[n, h, w, c] * gate[n, c]. */
function scaleChannels(x: RefTensor, gate: RefTensor): RefTensor {
  const [N, H, W, C] = x.shape;
  const y = T(x.shape);
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < H * W; p++) {
      for (let c = 0; c < C; c++) {
        const i = (n * H * W + p) * C + c;
        y.data[i] = x.data[i] * gate.data[n * C + c];
      }
    }
  }
  return y;
}

export function squeezeExcite(x: RefTensor, p: SEParams): RefTensor {
  return scaleChannels(x, forwardParts(x, p).gate);
}

/** The gate [N, C] alone, for tests of a fused gate multiply. */
export function squeezeExciteGate(x: RefTensor, p: SEParams): RefTensor {
  return forwardParts(x, p).gate;
}

export function squeezeExciteBackward(x: RefTensor, p: SEParams, dy: RefTensor): SEGrads {
  if (!sameShape(dy.shape, x.shape)) throw new Error(`squeezeExcite backward: dy ${fmtShape(dy.shape)}, expected ${fmtShape(x.shape)}`);
  const [N, H, W, C] = x.shape;
  const { pooled, z, a, gate } = forwardParts(x, p);
  // x reaches y twice: directly (scaled by the gate) and through the pooled squeeze.
  const dx = scaleChannels(dy, gate);
  const dGate = T([N, C]);
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < H * W; q++) {
      for (let c = 0; c < C; c++) {
        const i = (n * H * W + q) * C + c;
        dGate.data[n * C + c] += dy.data[i] * x.data[i];
      }
    }
  }
  const dLogit = T([N, C]);
  for (let i = 0; i < dLogit.data.length; i++) dLogit.data[i] = dGate.data[i] * gate.data[i] * (1 - gate.data[i]);
  const expand = linearBackward(a, p.wExpand, dLogit);
  const dz = unaryBackward('swish', z, expand.dx);
  const reduce = linearBackward(pooled, p.wReduce, dz);
  const dxPool = globalAvgPoolBackward(x.shape, reduce.dx);
  for (let i = 0; i < dx.data.length; i++) dx.data[i] += dxPool.data[i];
  return { dx, dwReduce: reduce.dw, dbReduce: reduce.db, dwExpand: expand.dw, dbExpand: expand.db };
}

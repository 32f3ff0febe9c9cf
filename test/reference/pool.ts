/**
 * Global average pool over H and W of NHWC input: [N, H, W, C] -> [N, C]
 * (or [N, 1, 1, C] with keepDims).
 */
import { T, fmtShape, sameShape, type RefTensor } from './tensor.js';

function nhwc(op: string, shape: readonly number[]): [number, number, number, number] {
  if (shape.length !== 4) throw new Error(`${op}: input must be NHWC (rank 4), got ${fmtShape(shape)}`);
  return [shape[0], shape[1], shape[2], shape[3]];
}

export function globalAvgPool(x: RefTensor, keepDims = false): RefTensor {
  const [N, H, W, C] = nhwc('globalAvgPool', x.shape);
  const y = T(keepDims ? [N, 1, 1, C] : [N, C]);
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < H * W; p++) {
      for (let c = 0; c < C; c++) y.data[n * C + c] += x.data[(n * H * W + p) * C + c];
    }
  }
  for (let i = 0; i < y.data.length; i++) y.data[i] /= H * W;
  return y;
}

/** Every pixel of a channel receives dy / (H * W); dy may be [N, C] or [N, 1, 1, C]. */
export function globalAvgPoolBackward(xShape: readonly number[], dy: RefTensor): RefTensor {
  const [N, H, W, C] = nhwc('globalAvgPool backward', xShape);
  if (!sameShape(dy.shape, [N, C]) && !sameShape(dy.shape, [N, 1, 1, C])) {
    throw new Error(`globalAvgPool backward: dy ${fmtShape(dy.shape)}, expected [${N}, ${C}]`);
  }
  const dx = T(xShape);
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < H * W; p++) {
      for (let c = 0; c < C; c++) dx.data[(n * H * W + p) * C + c] = dy.data[n * C + c] / (H * W);
    }
  }
  return dx;
}

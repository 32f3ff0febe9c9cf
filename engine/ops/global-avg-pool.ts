import { record } from '../autograd.js';
import { runtime } from '../runtime.js';
import { empty, type Tensor } from '../tensor.js';
import { bindBuffers, channelLayout } from '../../kernels/channel-wise.js';
import { globalAvgPoolGradKernel, globalAvgPoolKernel } from '../../kernels/global-avg-pool.js';
import { bufferOf } from './launch.js';

const OP = 'globalAvgPool';

/** The NHWC dims of x, or an error naming `op`. */
export function nhwc(op: string, x: Tensor): [number, number, number, number] {
  if (x.rank !== 4) throw new Error(`${op}: input ${x.describe()} must be NHWC (rank 4)`);
  return [x.shape[0], x.shape[1], x.shape[2], x.shape[3]];
}

/** Mean over H and W of NHWC input: [N, H, W, C] -> [N, C]. */
export function globalAvgPool(x: Tensor): Tensor {
  const [N, H, W, C] = nhwc(OP, x);
  if (H * W === 0) throw new Error(`${OP}: input ${x.describe()} has no pixels to average`);
  const L = channelLayout(C);
  const y = empty([N, C]);
  if (y.size) {
    const k = globalAvgPoolKernel(L, N, H * W);
    runtime().dispatch(k, bindBuffers(OP, k, { x: bufferOf(OP, x), y: y.binding }));
  }
  return record(OP, [x], y, (gy) => [globalAvgPoolGrad(gy, x.shape)]);
}

/** dx of the pool for upstream dy [N, C]; with `into`, added to that tensor in place. */
export function globalAvgPoolGrad(dy: Tensor, xShape: readonly number[], into?: Tensor): Tensor {
  const [N, H, W, C] = xShape;
  const dx = into ?? empty(xShape);
  if (dx.size) {
    const k = globalAvgPoolGradKernel(channelLayout(C), N, H * W, !!into);
    runtime().dispatch(k, bindBuffers(`${OP} backward`, k, { dy: bufferOf(`${OP} backward`, dy), dx: dx.binding }));
  }
  return dx;
}

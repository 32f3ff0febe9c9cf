import { type BoundKernel, type ChannelLayout, hwReduceKernel, imageRowsKernel } from './channel-wise.js';

/** Mean over H*W per image and channel: NHWC [N, HW, C] -> [N, C]. Bindings: x, y. */
export function globalAvgPoolKernel(L: ChannelLayout, N: number, HW: number): BoundKernel {
  return hwReduceKernel({
    key: 'globalAvgPool',
    layout: L,
    N,
    HW,
    buffers: [['x', 'read'], ['y', 'read_write']],
    body: 'acc += X[idx];',
    finish: 'Y[nj] = acc * cu.invHW;',
  });
}

/**
 * Every pixel receives dy[n, c] / HW. With `accumulate` it is added to dx in place
 * (squeeze-excite's dx already holds the gate path), which saves a separate add.
 * Bindings: dy, dx.
 */
export function globalAvgPoolGradKernel(L: ChannelLayout, N: number, HW: number, accumulate: boolean): BoundKernel {
  return imageRowsKernel({
    key: `globalAvgPoolGrad:${accumulate}`,
    layout: L,
    N,
    HW,
    buffers: [['dy', 'read'], ['dx', 'read_write']],
    consts: 'let g = DY[nj] * cu.invHW;',
    body: `DX[idx] = ${accumulate ? 'DX[idx] + g' : 'g'};`,
  });
}

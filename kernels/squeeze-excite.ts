import { type BoundKernel, type ChannelLayout, hwReduceKernel, imageRowsKernel } from './channel-wise.js';

/** The fused gate multiply: y[n, hw, c] = x[n, hw, c] * gate[n, c]. Bindings: x, gate, y. */
export function seGateKernel(L: ChannelLayout, N: number, HW: number): BoundKernel {
  return imageRowsKernel({
    key: 'seGate',
    layout: L,
    N,
    HW,
    buffers: [['x', 'read'], ['gate', 'read'], ['y', 'read_write']],
    consts: 'let s = GATE[nj];',
    body: 'Y[idx] = X[idx] * s;',
  });
}

/**
 * Backward of the gate multiply in one pass over dy and x: dx = dy * gate per element,
 * and the gradient of the gate's logit, sum over H*W of dy * x times sigmoid'
 * (gate * (1 - gate)), per image and channel. Bindings: x, dy, gate, dx, dlogit.
 */
export function seGateGradKernel(L: ChannelLayout, N: number, HW: number): BoundKernel {
  return hwReduceKernel({
    key: 'seGateGrad',
    layout: L,
    N,
    HW,
    buffers: [['x', 'read'], ['dy', 'read'], ['gate', 'read'], ['dx', 'read_write'], ['dlogit', 'read_write']],
    consts: 'let g = GATE[nj];',
    body: `let d = DY[idx];
      DX[idx] = d * g;
      acc += d * X[idx];`,
    finish: `let s = GATE[nj];
    DLOGIT[nj] = acc * s * (1.0 - s);`,
  });
}

import { grid1d } from './kernel.js';
import { type BoundKernel, type ChannelLayout, declare, hwReduceKernel } from './channel-wise.js';

/** The fused gate multiply: y[n, hw, c] = x[n, hw, c] * gate[n, c]. Bindings: x, gate, y. */
export function seGateKernel(L: ChannelLayout, N: number, HW: number): BoundKernel {
  const n = N * HW * L.CV;
  const code = `${L.prelude}
${declare([['x', 'read'], ['gate', 'read'], ['y', 'read_write']])}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= ${n}u) { return; }
  Y[i] = X[i] * GATE[(i / ${HW * L.CV}u) * ${L.CV}u + i % ${L.CV}u];
}`;
  return { key: `seGate:${N}:${HW}:${L.C}`, code, workgroups: grid1d(Math.ceil(n / 256)), bindings: ['x', 'gate', 'y'] };
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
    body: `let d = DY[idx];
      DX[idx] = d * GATE[nj];
      acc += d * X[idx];`,
    finish: `let s = GATE[nj];
    DLOGIT[nj] = acc * s * (1.0 - s);`,
  });
}

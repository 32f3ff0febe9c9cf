import { grid1d } from './kernel.js';
import { type BoundKernel, type ChannelLayout, declare, hwReduceKernel } from './channel-wise.js';
import { f32lit } from './wgsl.js';

/** Mean over H*W per image and channel: NHWC [N, HW, C] -> [N, C]. Bindings: x, y. */
export function globalAvgPoolKernel(L: ChannelLayout, N: number, HW: number): BoundKernel {
  return hwReduceKernel({
    key: 'globalAvgPool',
    layout: L,
    N,
    HW,
    buffers: [['x', 'read'], ['y', 'read_write']],
    body: 'acc += X[idx];',
    finish: `Y[nj] = acc * ${f32lit(1 / HW)};`,
  });
}

/**
 * Every pixel receives dy[n, c] / HW. With `accumulate` it is added to dx in place
 * (squeeze-excite's dx already holds the gate path), which saves a separate add.
 * Bindings: dy, dx.
 */
export function globalAvgPoolGradKernel(L: ChannelLayout, N: number, HW: number, accumulate: boolean): BoundKernel {
  const n = N * HW * L.CV;
  const code = `${L.prelude}
${declare([['dy', 'read'], ['dx', 'read_write']])}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= ${n}u) { return; }
  let g = DY[(i / ${HW * L.CV}u) * ${L.CV}u + i % ${L.CV}u] * ${f32lit(1 / HW)};
  DX[i] = ${accumulate ? 'DX[i] + g' : 'g'};
}`;
  return { key: `globalAvgPoolGrad:${N}:${HW}:${L.C}:${accumulate}`, code, workgroups: grid1d(Math.ceil(n / 256)), bindings: ['dy', 'dx'] };
}

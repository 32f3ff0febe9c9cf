import { noGrad, record } from '../autograd.js';
import { runtime } from '../runtime.js';
import { empty, type Tensor } from '../tensor.js';
import { bindBuffers, channelLayout } from '../../kernels/channel-wise.js';
import { unaryGradKernel } from '../../kernels/elementwise.js';
import { seGateGradKernel, seGateKernel } from '../../kernels/squeeze-excite.js';
import { sigmoid, swish } from './elementwise.js';
import { globalAvgPool, globalAvgPoolGrad, nhwc } from './global-avg-pool.js';
import { bufferOf, launch } from './launch.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';

const OP = 'squeezeExcite';

function check(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): { C: number; S: number } {
  const C = nhwc(OP, x)[3];
  const S = w1.shape[1];
  const want: [string, Tensor, number[]][] = [
    ['wReduce', w1, [C, S]],
    ['bReduce', b1, [S]],
    ['wExpand', w2, [S, C]],
    ['bExpand', b2, [C]],
  ];
  for (const [name, t, shape] of want) {
    if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${OP}: ${name} ${t.describe()}, expected [${shape.join(',')}] for input ${x.describe()}`);
    }
  }
  return { C, S };
}

/**
 * Squeeze-and-excite on NHWC x: pool -> 1x1 reduce (w1 [C, S], b1) -> swish -> 1x1 expand
 * (w2 [S, C], b2) -> sigmoid -> scale each channel of x by its gate. The squeeze path
 * is [N, C]-sized (small matmuls); the two full-size passes are fused kernels: the gate
 * multiply forward, and backward one pass giving dx = dy * gate together with the gate
 * logit's gradient, then the pool's share added into dx in place.
 */
export function squeezeExcite(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor {
  const { C } = check(x, w1, b1, w2, b2);
  const [N, H, W] = x.shape;
  const L = channelLayout(C);
  const { pooled, z, a, gate } = noGrad(() => {
    const pooled = globalAvgPool(x);
    const z = matmul(pooled, w1, { bias: b1 });
    const a = swish(z);
    const logits = matmul(a, w2, { bias: b2 });
    const gate = sigmoid(logits);
    logits.dispose();
    return { pooled, z, a, gate };
  });
  const y = launch(OP, seGateKernel(L, N, H * W), [x, gate], x.shape);
  record(
    OP,
    [x, w1, b1, w2, b2],
    y,
    (gy, [xs, ps, zs, as, gs, w1s, w2s]) => seBackward(gy, xs, ps, zs, as, gs, w1s, w2s),
    [x, pooled, z, a, gate, w1, w2],
  );
  for (const t of [pooled, z, a, gate]) t.dispose();
  return y;
}

function seBackward(gy: Tensor, x: Tensor, pooled: Tensor, z: Tensor, a: Tensor, gate: Tensor, w1: Tensor, w2: Tensor): Tensor[] {
  const [N, H, W, C] = x.shape;
  const L = channelLayout(C);
  const dx = empty(x.shape);
  const dlogit = empty([N, C]);
  const k = seGateGradKernel(L, N, H * W);
  const where = `${OP} backward`;
  runtime().dispatch(k, bindBuffers(where, k, { x: x.binding, dy: bufferOf(where, gy), gate: gate.binding, dx: dx.binding, dlogit: dlogit.binding }));
  const dw2 = matmul(a, dlogit, { transposeA: true });
  const db2 = sum(dlogit, 0);
  const da = matmul(dlogit, w2, { transposeB: true });
  const dz = launch(where, unaryGradKernel('swish', z.size), [z, a, da], z.shape);
  const dw1 = matmul(pooled, dz, { transposeA: true });
  const db1 = sum(dz, 0);
  const dpooled = matmul(dz, w1, { transposeB: true });
  globalAvgPoolGrad(dpooled, x.shape, dx);
  return [dx, dw1, db1, dw2, db2];
}

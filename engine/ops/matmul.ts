import { record } from '../autograd.js';
import { runtime } from '../runtime.js';
import { shapeStr, type Tensor } from '../tensor.js';
import { matmulCandidates, matmulKernel } from '../../kernels/matmul.js';
import { launch } from './launch.js';
import { sum } from './reduce.js';
import { reshape } from './reshape.js';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** Added to every row (Linear); shape [N]. */
  bias?: Tensor;
}

interface Geometry {
  M: number;
  N: number;
  K: number;
  batch: number;
  batchA: number;
  batchB: number;
  outShape: number[];
}

function geometry(a: Tensor, b: Tensor, tA: boolean, tB: boolean): Geometry {
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: operands need rank >= 2, got ${a.describe()} and ${b.describe()}`);
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const M = tA ? a1 : a0;
  const K = tA ? a0 : a1;
  const N = tB ? b0 : b1;
  if ((tB ? b1 : b0) !== K) {
    throw new Error(`matmul: inner dims differ: ${shapeStr(a.shape)}${tA ? '^T' : ''} x ${shapeStr(b.shape)}${tB ? '^T' : ''}`);
  }
  const bsA = a.shape.slice(0, -2);
  const bsB = b.shape.slice(0, -2);
  const batchA = bsA.reduce((x, y) => x * y, 1);
  const batchB = bsB.reduce((x, y) => x * y, 1);
  let batchShape: readonly number[];
  if (batchA === 1) batchShape = bsB;
  else if (batchB === 1 || shapeStr(bsA) === shapeStr(bsB)) batchShape = bsA;
  else throw new Error(`matmul: batch dims ${shapeStr(bsA)} and ${shapeStr(bsB)} differ (only equal or size-1 batches broadcast)`);
  const batch = Math.max(batchA, batchB);
  return { M, N, K, batch, batchA, batchB, outShape: [...batchShape, M, N] };
}

/** a @ b over the last two axes, batched over the leading ones (equal or broadcast from 1). */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const tA = !!opts.transposeA;
  const tB = !!opts.transposeB;
  const g = geometry(a, b, tA, tB);
  const bias = opts.bias;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== g.N)) throw new Error(`matmul: bias ${bias.describe()} must have shape [${g.N}]`);
  const rt = runtime();
  const p = {
    M: g.M,
    N: g.N,
    K: g.K,
    batch: g.batch,
    strideA: g.batchA === 1 ? 0 : g.M * g.K,
    strideB: g.batchB === 1 ? 0 : g.K * g.N,
    transA: tA,
    transB: tB,
    bias: !!bias,
  };
  const kernel = rt.choose({
    family: 'matmul',
    shape: matmulShape(p),
    candidates: matmulCandidates(p, rt.ctx.summary, rt.features).map((c) => ({ name: c.name, make: () => matmulKernel(c.params) })),
    bindings: [a.size * 4, b.size * 4, ...(bias ? [g.N * 4] : []), g.batch * g.M * g.N * 4],
    outputs: 1,
  });
  const y = launch('matmul', kernel, bias ? [a, b, bias] : [a, b], g.outShape);
  const inputs = bias ? [a, b, bias] : [a, b];
  return record(
    'matmul',
    inputs,
    y,
    (gy, [sa, sb]) => {
      const da = tA ? matmul(sb, gy, { transposeA: tB, transposeB: true }) : matmul(gy, sb, { transposeB: !tB });
      const db = tB ? matmul(gy, sa, { transposeA: true, transposeB: tA }) : matmul(sa, gy, { transposeA: !tA });
      const grads: (Tensor | null)[] = [sumBatch(da, a.shape), sumBatch(db, b.shape)];
      if (bias) grads.push(sum(reshape(gy, [-1, g.N]), 0));
      return grads;
    },
    [a, b],
  );
}

/** What a matmul's tuning depends on: sizes, which operand is broadcast, layouts, bias. */
function matmulShape(p: { M: number; N: number; K: number; batch: number; strideA: number; strideB: number; transA: boolean; transB: boolean; bias: boolean }): string {
  return `${p.batch}x${p.M}x${p.N}x${p.K}:${p.strideA ? 'a' : 'A'}${p.strideB ? 'b' : 'B'}:${+p.transA}${+p.transB}:${+p.bias}`;
}

/** A gradient computed per batch entry, summed over the batch when the operand was broadcast. */
function sumBatch(grad: Tensor, shape: readonly number[]): Tensor {
  if (grad.size === shape.reduce((x, y) => x * y, 1)) return reshape(grad, shape);
  const [r, c] = shape.slice(-2);
  return reshape(sum(reshape(grad, [-1, r, c]), 0), shape);
}

/**
 * matmul: a [..., M, K] x b [..., K, N] -> [..., M, N]; leading (batch) dims broadcast
 * as in NumPy; transposeA / transposeB read the last two axes of an operand swapped.
 */
import { broadcastShapes, sourceIndex } from './elementwise.js';
import { T, fmtShape, unravel, type RefTensor } from './tensor.js';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

export function matmul(a: RefTensor, b: RefTensor, opts: MatmulOptions = {}): RefTensor {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) throw new Error(`matmul: operands need rank >= 2, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const tA = opts.transposeA ?? false;
  const tB = opts.transposeB ?? false;
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const M = tA ? a1 : a0;
  const K = tA ? a0 : a1;
  const Kb = tB ? b1 : b0;
  const N = tB ? b0 : b1;
  if (K !== Kb) {
    throw new Error(`matmul: inner dims differ: ${fmtShape(a.shape)}${tA ? '^T' : ''} x ${fmtShape(b.shape)}${tB ? '^T' : ''}`);
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB, 'matmul');
  const out = T([...batch, M, N]);
  const batches = out.data.length / Math.max(M * N, 1);
  for (let bi = 0; bi < batches; bi++) {
    const idx = unravel(bi, batch);
    const offA = sourceIndex(idx, batchA) * a0 * a1;
    const offB = sourceIndex(idx, batchB) * b0 * b1;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a.data[offA + (tA ? k * a1 + m : m * a1 + k)];
          const bv = b.data[offB + (tB ? n * b1 + k : k * b1 + n)];
          s += av * bv;
        }
        out.data[(bi * M + m) * N + n] = s;
      }
    }
  }
  return out;
}


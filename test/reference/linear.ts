/**
 * linear: y = x W + b, x [..., in], weight [in, out], bias [out].
 */
import { T, fmtShape, sameShape, type RefTensor } from './tensor.js';

function dims(x: RefTensor, w: RefTensor, bias: RefTensor | undefined): { rows: number; In: number; Out: number } {
  if (w.shape.length !== 2 || x.shape.length < 1 || x.shape[x.shape.length - 1] !== w.shape[0]) {
    throw new Error(`linear: input ${fmtShape(x.shape)} and weight ${fmtShape(w.shape)} (expected [in, out]) do not agree`);
  }
  const [In, Out] = w.shape;
  if (bias && !sameShape(bias.shape, [Out])) throw new Error(`linear: bias ${fmtShape(bias.shape)}, expected [${Out}]`);
  return { rows: x.data.length / Math.max(In, 1), In, Out };
}

export function linear(x: RefTensor, w: RefTensor, bias?: RefTensor): RefTensor {
  const { rows, In, Out } = dims(x, w, bias);
  const y = T([...x.shape.slice(0, -1), Out]);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < Out; o++) {
      let s = bias ? bias.data[o] : 0;
      for (let i = 0; i < In; i++) s += x.data[r * In + i] * w.data[i * Out + o];
      y.data[r * Out + o] = s;
    }
  }
  return y;
}

/** dx = dy W^T, dw = x^T dy, db = sum of dy over rows. */
export function linearBackward(x: RefTensor, w: RefTensor, dy: RefTensor): { dx: RefTensor; dw: RefTensor; db: RefTensor } {
  const { rows, In, Out } = dims(x, w, undefined);
  if (!sameShape(dy.shape, [...x.shape.slice(0, -1), Out])) {
    throw new Error(`linear backward: dy ${fmtShape(dy.shape)}, expected ${fmtShape([...x.shape.slice(0, -1), Out])}`);
  }
  const dx = T(x.shape);
  const dw = T(w.shape);
  const db = T([Out]);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < Out; o++) {
      const g = dy.data[r * Out + o];
      db.data[o] += g;
      for (let i = 0; i < In; i++) {
        dx.data[r * In + i] += g * w.data[i * Out + o];
        dw.data[i * Out + o] += g * x.data[r * In + i];
      }
    }
  }
  return { dx, dw, db };
}

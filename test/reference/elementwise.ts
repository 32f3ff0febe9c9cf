/**
 * Elementwise ops: unary maps, binary ops with NumPy broadcasting, and their analytic
 * backward (a table of derivatives, so the forward and its derivative sit side by side).
 */
import { T, fmtShape, map, sameShape, unravel, type RefTensor } from './tensor.js';

// ---- unary -------------------------------------------------------------------------

const sig = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** f and df/dx of each unary op; pow with a scalar exponent is handled separately. */
export const UNARY = {
  neg: { f: (x: number) => -x, df: (_x: number) => -1 },
  exp: { f: Math.exp, df: Math.exp },
  log: { f: Math.log, df: (x: number) => 1 / x },
  sqrt: { f: Math.sqrt, df: (x: number) => 0.5 / Math.sqrt(x) },
  sigmoid: { f: sig, df: (x: number) => sig(x) * (1 - sig(x)) },
  // swish = SiLU = x * sigmoid(x)
  swish: { f: (x: number) => x * sig(x), df: (x: number) => sig(x) * (1 + x * (1 - sig(x))) },
  // relu'(0) = 0, as PyTorch and tfjs define it
  relu: { f: (x: number) => (x > 0 ? x : 0), df: (x: number) => (x > 0 ? 1 : 0) },
  // abs'(0) = 0 (sign), as PyTorch defines it
  abs: { f: Math.abs, df: (x: number) => Math.sign(x) },
} as const;

export type UnaryName = keyof typeof UNARY;

export const neg = (x: RefTensor): RefTensor => map(x, UNARY.neg.f);
export const exp = (x: RefTensor): RefTensor => map(x, UNARY.exp.f);
export const log = (x: RefTensor): RefTensor => map(x, UNARY.log.f);
export const sqrt = (x: RefTensor): RefTensor => map(x, UNARY.sqrt.f);
export const sigmoid = (x: RefTensor): RefTensor => map(x, UNARY.sigmoid.f);
export const swish = (x: RefTensor): RefTensor => map(x, UNARY.swish.f);
export const relu = (x: RefTensor): RefTensor => map(x, UNARY.relu.f);
export const abs = (x: RefTensor): RefTensor => map(x, UNARY.abs.f);

/** dL/dx = dy * f'(x). */
export function unaryBackward(op: UnaryName, x: RefTensor, dy: RefTensor): RefTensor {
  checkSame(op, x, dy);
  return map(x, (v, i) => dy.data[i] * UNARY[op].df(v));
}

// ---- broadcasting -------------------------------------------------------------------

/** NumPy broadcasting: align from the right; each pair of dims equal, or one of them 1. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op = 'broadcast'): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Flat index into `shape` of the element that broadcasting maps to output index `outIdx`. */
export function sourceIndex(outIdx: readonly number[], shape: readonly number[]): number {
  const off = outIdx.length - shape.length;
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i] + (shape[i] === 1 ? 0 : outIdx[off + i]);
  return flat;
}

/** Materialises `x` broadcast to `shape`. */
export function broadcastTo(x: RefTensor, shape: readonly number[]): RefTensor {
  broadcastShapes(x.shape, shape, 'broadcastTo');
  const out = T(shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = x.data[sourceIndex(unravel(i, shape), x.shape)];
  return out;
}

/**
 * The backward of broadcasting: sums `g` over the axes that broadcasting stretched, so
 * a gradient comes back in the shape of the operand that was broadcast.
 */
export function sumToShape(g: RefTensor, shape: readonly number[]): RefTensor {
  broadcastShapes(shape, g.shape, 'sumToShape');
  const out = T(shape);
  for (let i = 0; i < g.data.length; i++) out.data[sourceIndex(unravel(i, g.shape), shape)] += g.data[i];
  return out;
}

// ---- binary -------------------------------------------------------------------------

/** f(a, b), df/da and df/db of each binary op. */
export const BINARY = {
  add: { f: (a: number, b: number) => a + b, da: (_a: number, _b: number) => 1, db: (_a: number, _b: number) => 1 },
  sub: { f: (a: number, b: number) => a - b, da: (_a: number, _b: number) => 1, db: (_a: number, _b: number) => -1 },
  mul: { f: (a: number, b: number) => a * b, da: (_a: number, b: number) => b, db: (a: number, _b: number) => a },
  div: { f: (a: number, b: number) => a / b, da: (_a: number, b: number) => 1 / b, db: (a: number, b: number) => -a / (b * b) },
  // d/db a^b = a^b ln a, defined for a > 0 (the gradient w.r.t. a tensor exponent needs a positive base)
  pow: {
    f: (a: number, b: number) => Math.pow(a, b),
    da: (a: number, b: number) => b * Math.pow(a, b - 1),
    db: (a: number, b: number) => Math.pow(a, b) * Math.log(a),
  },
} as const;

export type BinaryName = keyof typeof BINARY;

export function binary(op: BinaryName, a: RefTensor, b: RefTensor): RefTensor {
  const shape = broadcastShapes(a.shape, b.shape, op);
  const out = T(shape);
  const f = BINARY[op].f;
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    out.data[i] = f(a.data[sourceIndex(idx, a.shape)], b.data[sourceIndex(idx, b.shape)]);
  }
  return out;
}

export const add = (a: RefTensor, b: RefTensor): RefTensor => binary('add', a, b);
export const sub = (a: RefTensor, b: RefTensor): RefTensor => binary('sub', a, b);
export const mul = (a: RefTensor, b: RefTensor): RefTensor => binary('mul', a, b);
export const div = (a: RefTensor, b: RefTensor): RefTensor => binary('div', a, b);

/** x ** e, with a scalar exponent or a tensor exponent (broadcast). */
export function pow(x: RefTensor, e: number | RefTensor): RefTensor {
  return typeof e === 'number' ? map(x, (v) => Math.pow(v, e)) : binary('pow', x, e);
}

/** Gradients of a binary op w.r.t. both operands, each in its operand's own shape. */
export function binaryBackward(op: BinaryName, a: RefTensor, b: RefTensor, dy: RefTensor): [RefTensor, RefTensor] {
  const shape = broadcastShapes(a.shape, b.shape, op);
  checkShape(op, dy, shape);
  const ga = T(shape);
  const gb = T(shape);
  const { da, db } = BINARY[op];
  for (let i = 0; i < dy.data.length; i++) {
    const idx = unravel(i, shape);
    const va = a.data[sourceIndex(idx, a.shape)];
    const vb = b.data[sourceIndex(idx, b.shape)];
    ga.data[i] = dy.data[i] * da(va, vb);
    gb.data[i] = dy.data[i] * db(va, vb);
  }
  return [sumToShape(ga, a.shape), sumToShape(gb, b.shape)];
}

/** Gradient of pow with a scalar exponent w.r.t. the base. */
export function powScalarBackward(x: RefTensor, e: number, dy: RefTensor): RefTensor {
  checkSame('pow', x, dy);
  return map(x, (v, i) => dy.data[i] * e * Math.pow(v, e - 1));
}

function checkSame(op: string, x: RefTensor, dy: RefTensor): void {
  checkShape(op, dy, x.shape);
}

function checkShape(op: string, t: RefTensor, shape: readonly number[]): void {
  if (!sameShape(t.shape, shape)) {
    throw new Error(`${op} backward: gradient shape ${fmtShape(t.shape)}, expected ${fmtShape(shape)}`);
  }
}

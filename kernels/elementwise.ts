import { grid1d, type Kernel } from './kernel.js';
import { countUniform, gridStrideMain, strideGroups } from './grid-stride.js';
import { WG, flatIndexHeader, offsetFromIndex } from './wgsl.js';

/**
 * Elementwise ops declared as a table of forward and derivative expressions, turned into
 * kernels by one generator. Unary expressions see x (input), y (output), p (a scalar
 * uniform) and g (upstream gradient); binary ones see a and b.
 */
const HELPERS = /* wgsl */ `
fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// A var keeps the NaN out of constant evaluation, which rejects it.
fn nan() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
fn powf(x: f32, p: f32) -> f32 {
  if (p == 0.0) { return 1.0; }
  if (p == 1.0) { return x; }
  if (p == 2.0) { return x * x; }
  let r = pow(abs(x), p);
  if (x < 0.0) {
    if (fract(p) != 0.0) { return nan(); }
    if (fract(p * 0.5) != 0.0) { return -r; }
  }
  return r;
}`;

export const UNARY = {
  neg: { fwd: '-x', grad: '-g' },
  exp: { fwd: 'exp(x)', grad: 'g * y' },
  log: { fwd: 'log(x)', grad: 'g / x' },
  sqrt: { fwd: 'sqrt(x)', grad: 'g * 0.5 / y' },
  sigmoid: { fwd: 'sigm(x)', grad: 'g * y * (1.0 - y)' },
  swish: { fwd: 'x * sigm(x)', grad: 'g * (sigm(x) * (1.0 + x * (1.0 - sigm(x))))' },
  relu: { fwd: 'max(x, 0.0)', grad: 'select(0.0, g, x > 0.0)' },
  abs: { fwd: 'abs(x)', grad: 'g * sign(x)' },
  addScalar: { fwd: 'x + p', grad: 'g' },
  mulScalar: { fwd: 'x * p', grad: 'g * p' },
  rsubScalar: { fwd: 'p - x', grad: '-g' },
  rdivScalar: { fwd: 'p / x', grad: '-g * p / (x * x)' },
  powScalar: { fwd: 'powf(x, p)', grad: 'g * p * powf(x, p - 1.0)' },
} as const;
export type UnaryOp = keyof typeof UNARY;

export const BINARY = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'powf(a, b)',
  /** d/db of a^b */
  powGradB: 'powf(a, b) * log(a)',
  /** d/da of a^b */
  powGradA: 'b * powf(a, b - 1.0)',
  eq: 'select(0.0, 1.0, a == b)',
} as const;
export type BinaryOp = keyof typeof BINARY;

/**
 * The element count is a uniform in the kernels below, not a constant, so one pipeline per op
 * serves every tensor size (each new pipeline costs lavapipe LLVM time on a first run).
 * `struct U { p: f32, n: u32 }`: the op's scalar and the count.
 */
function scalarUniform(p: number, n: number): ArrayBuffer {
  const u = new ArrayBuffer(16);
  new Float32Array(u, 0, 1)[0] = p;
  new Uint32Array(u, 4, 1)[0] = n;
  return u;
}

/** y = f(x, p). Bindings: 0 x, 1 y. */
export function unaryKernel(op: UnaryOp, n: number, p = 0): Kernel {
  const code = `${HELPERS}
struct U { p: f32, n: u32 }
${flatIndexHeader(`@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;`)}
  if (i >= u.n) { return; }
  let x = X[i];
  let p = u.p;
  Y[i] = ${UNARY[op].fwd};
}`;
  return { key: `unary:${op}`, code, workgroups: grid1d(Math.ceil(n / WG)), uniforms: scalarUniform(p, n) };
}

/** gx = f'(x, y, p) * g. Bindings: 0 x, 1 y, 2 g, 3 gx. */
export function unaryGradKernel(op: UnaryOp, n: number, p = 0): Kernel {
  const code = `${HELPERS}
struct U { p: f32, n: u32 }
${flatIndexHeader(`@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Yv: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> GX: array<f32>;
@group(0) @binding(4) var<uniform> u: U;`)}
  if (i >= u.n) { return; }
  let x = X[i];
  let y = Yv[i];
  let g = G[i];
  let p = u.p;
  GX[i] = ${UNARY[op].grad};
}`;
  return { key: `unaryGrad:${op}`, code, workgroups: grid1d(Math.ceil(n / WG)), uniforms: scalarUniform(p, n) };
}

/**
 * out = a (op) b with broadcasting. `dims` is the (collapsed) output shape; `sa`, `sb`
 * the element strides of a and b over it, 0 where that operand is broadcast.
 * Bindings: 0 a, 1 b, 2 out.
 */
export function binaryKernel(op: BinaryOp, dims: readonly number[], sa: readonly number[], sb: readonly number[]): Kernel {
  const n = dims.reduce((x, y) => x * y, 1);
  const same = sa.every((s, d) => s === sb[d]) && isContiguous(dims, sa);
  if (same && n % 4 === 0) return sameShapeVec4Kernel(op, n);
  const index = same
    ? 'let ia = i;\n  let ib = i;'
    : `${offsetFromIndex('i', dims, sa, 'ia')}\n  ${offsetFromIndex('i', dims, sb, 'ib')}`;
  const code = `${HELPERS}
${flatIndexHeader(`@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;`)}
  if (i >= ${n}u) { return; }
  ${index}
  let a = A[ia];
  let b = B[ib];
  O[i] = ${BINARY[op]};
}`;
  return { key: `binary:${op}:${dims}:${sa}:${sb}`, code, workgroups: grid1d(Math.ceil(n / WG)) };
}

/**
 * Same-shape operands as vec4 in a grid-stride loop: lavapipe pays per load (a vec4 costs
 * about what a float does) and per workgroup, so this is ~4x the one-float-per-thread form.
 * The table's expressions are scalar (powf branches), so they are applied per component.
 */
function sameShapeVec4Kernel(op: BinaryOp, n: number): Kernel {
  const comps = [0, 1, 2, 3].map((c) => `bin(va[${c}], vb[${c}])`).join(', ');
  const code = `${HELPERS}
fn bin(a: f32, b: f32) -> f32 { return ${BINARY[op]}; }
@group(0) @binding(0) var<storage, read> A: array<vec4f>;
@group(0) @binding(1) var<storage, read> B: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> O: array<vec4f>;
struct N { n: u32 }
@group(0) @binding(3) var<uniform> u: N;
${gridStrideMain('u.n', `let va = A[i];
    let vb = B[i];
    O[i] = vec4f(${comps});`)}`;
  return { key: `binary4:${op}`, code, workgroups: strideGroups(n / 4), uniforms: countUniform(n / 4) };
}

function isContiguous(dims: readonly number[], strides: readonly number[]): boolean {
  let acc = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    if (dims[d] !== 1 && strides[d] !== acc) return false;
    acc *= dims[d];
  }
  return true;
}

/** acc += g in place (gradient accumulation). Bindings: 0 acc (read_write), 1 g. */
export function accumulateKernel(n: number): Kernel {
  const vec4 = n % 4 === 0;
  const T = vec4 ? 'vec4f' : 'f32';
  const count = vec4 ? n / 4 : n;
  const code = `@group(0) @binding(0) var<storage, read_write> ACC: array<${T}>;
@group(0) @binding(1) var<storage, read> G: array<${T}>;
struct N { n: u32 }
@group(0) @binding(2) var<uniform> u: N;
${gridStrideMain('u.n', 'ACC[i] = ACC[i] + G[i];')}`;
  return { key: `accumulate:${T}`, code, workgroups: strideGroups(count), uniforms: countUniform(count) };
}

/** out[i] = value. Bindings: 0 out. */
export function fillKernel(n: number, value: number): Kernel {
  const code = `struct U { p: f32, n: u32 }
${flatIndexHeader(`@group(0) @binding(0) var<storage, read_write> O: array<f32>;
@group(0) @binding(1) var<uniform> u: U;`)}
  if (i >= u.n) { return; }
  O[i] = u.p;
}`;
  return { key: 'fill', code, workgroups: grid1d(Math.ceil(n / WG)), uniforms: scalarUniform(value, n) };
}

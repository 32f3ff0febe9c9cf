import { flatIndexHeader } from './wgsl.js';

type Buffers = readonly (readonly [name: string, type: string])[];

function bindingLines(buffers: Buffers): string[] {
  return buffers.map(([name, type], b) => `@group(0) @binding(${b}) var<storage, ${b === buffers.length - 1 ? 'read_write' : 'read'}> ${name}: array<${type}>;`);
}

/**
 * Sizes a kernel reads from a uniform block instead of baking them into its WGSL, so one
 * pipeline serves every value (lavapipe compiles each pipeline with LLVM on its first
 * dispatch: seconds each). `add` returns the WGSL expression (an i32 field of `u`);
 * `code` is the struct and its binding after the kernel's buffers; `buffer` the packing.
 */
export class SizeUniforms {
  private readonly fields: [string, number][] = [];

  add(name: string, value: number): string {
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new Error(`kernel size ${name} = ${value} is not an i32`);
    this.fields.push([name, value]);
    return `u.${name}`;
  }

  /** The largest value packed: the kernels' index arithmetic must stay below divmod's bound. */
  get max(): number {
    return Math.max(0, ...this.fields.map(([, v]) => v));
  }

  code(binding: number): string {
    const names = this.fields.map(([n]) => n);
    while (names.length % 4) names.push(`pad${names.length}`);
    return `struct U { ${names.map((n) => `${n}: i32`).join(', ')} }
@group(0) @binding(${binding}) var<uniform> u: U;`;
  }

  buffer(): ArrayBuffer {
    const v = new Int32Array(Math.ceil(this.fields.length / 4) * 4);
    v.set(this.fields.map(([, x]) => x));
    return v.buffer;
  }
}

/**
 * Largest dividend divmod below is exact for: f32 division may be 2.5 ULP off, which stays
 * under a third of a unit of the quotient below 2^20, so one correction either way lands.
 */
export const DIVMOD_LIMIT = 1 << 20;

/**
 * (a / b, a % b) for 0 <= a < DIVMOD_LIMIT and b > 0, by f32 division and one correction.
 * An integer division by a uniform is not a constant LLVM can turn into a multiply, and x86
 * has no vector integer division, so lavapipe would run it one lane at a time. When `exact`
 * (a grid past the limit) it is the plain integer division.
 */
export function divmodFn(exact: boolean): string {
  if (exact) return 'fn divmod(a: i32, b: i32) -> vec2<i32> { return vec2<i32>(a / b, a % b); }';
  return `fn divmod(a: i32, b: i32) -> vec2<i32> {
  var q = i32(f32(a) / f32(b));
  var m = a - q * b;
  q = q - select(0, 1, m < 0) + select(0, 1, m >= b);
  return vec2<i32>(q, a - q * b);
}`;
}

/**
 * (a / b, a % b) as a vec2<i32> for 0 <= a: the shared `divmod` when `b` is a uniform field,
 * plain integer division when it is a literal (a constant divisor LLVM turns into a
 * multiply, and a divisor of 1 folds away entirely).
 */
export function splitBy(a: string, b: string): string {
  return /^\d+$/.test(b) ? `vec2<i32>((${a}) / ${b}, (${a}) % ${b})` : `divmod(${a}, ${b})`;
}

/**
 * The opening every convolution-family kernel (conv2d's and depthwiseConv2d's passes)
 * shares: its storage buffers bound 0, 1, ... in order, the last one written, then `sizes`
 * as a uniform block and the shared `divmod` for the kernel's own index splits; the flat
 * thread index with its bounds test against `total`; the thread's channel vector `cq` (i
 * modulo `lanes`, so neighbouring lanes read neighbouring channels of one pixel) and the
 * rest of the index in `rest` ('var r' when the kernel splits it further, 'let s' for a
 * chunk index). `total` and `lanes` are WGSL expressions: uniform fields, or literals
 * where the kernel bakes them.
 */
export function convPreambleUniform(buffers: Buffers, sizes: SizeUniforms, total: string, lanes: string, rest = 'var r'): string {
  const decls = [...bindingLines(buffers), sizes.code(buffers.length), divmodFn(sizes.max >= DIVMOD_LIMIT)];
  return `${flatIndexHeader(decls.join('\n'))}
  if (i >= u32(${total})) { return; }
  let qc = ${splitBy('i32(i)', lanes)};
  let cq = qc.y;
  ${rest} = qc.x;`;
}

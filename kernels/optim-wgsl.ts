import { grid1d } from './kernel.js';
import { WG, flatIndexHeader } from './wgsl.js';

/**
 * Shared frame of the optimizer kernels. They run once per parameter buffer every step,
 * so the element count and every hyperparameter (lr, step-dependent bias corrections)
 * are uniforms, not WGSL constants: one pipeline serves all parameters and all steps.
 * Buffers are read as vec4 when the count allows (they are memory bound).
 */
export interface OptimFrame {
  /** WGSL elements per buffer: n / 4 or n */
  count: number;
  vec4: boolean;
  workgroups: [number, number, number];
}

export function optimFrame(n: number): OptimFrame {
  const vec4 = n % 4 === 0;
  const count = vec4 ? n / 4 : n;
  return { count, vec4, workgroups: grid1d(Math.ceil(count / WG)) };
}

/** WGSL header: `alias V`, the uniform struct U (first field n: u32), storage buffers (of V unless typed), flat index `i`. */
export function optimHeader(
  f: OptimFrame,
  fields: readonly string[],
  buffers: readonly (readonly [string, 'read' | 'read_write', string?])[],
): string {
  const decl = buffers.map(([name, access, type], i) => `@group(0) @binding(${i}) var<storage, ${access}> ${name}: array<${type ?? 'V'}>;`).join('\n');
  return `alias V = ${f.vec4 ? 'vec4f' : 'f32'};
struct U { n: u32, ${fields.map((x) => `${x}: f32`).join(', ')} }
${flatIndexHeader(`${decl}\n@group(0) @binding(${buffers.length}) var<uniform> u: U;`)}
  if (i >= u.n) { return; }`;
}

/** Packs (n, ...floats) into a 16-byte-multiple uniform block matching optimHeader's U. */
export function optimUniforms(count: number, values: readonly number[]): ArrayBuffer {
  const buf = new ArrayBuffer(Math.ceil((1 + values.length) / 4) * 16);
  new Uint32Array(buf, 0, 1)[0] = count;
  new Float32Array(buf, 4, values.length).set(values);
  return buf;
}

import { gridStrideMain, strideGroups } from './grid-stride.js';

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
  return { count, vec4, workgroups: strideGroups(count) };
}

/** WGSL: `alias V`, the uniform struct U (first field n: u32), storage buffers (of V unless typed), and `body` run for each i < n. */
export function optimKernelCode(
  f: OptimFrame,
  fields: readonly string[],
  buffers: readonly (readonly [string, 'read' | 'read_write', string?])[],
  body: string,
): string {
  const decl = buffers.map(([name, access, type], i) => `@group(0) @binding(${i}) var<storage, ${access}> ${name}: array<${type ?? 'V'}>;`).join('\n');
  return `alias V = ${f.vec4 ? 'vec4f' : 'f32'};
struct U { n: u32, ${fields.map((x) => `${x}: f32`).join(', ')} }
${decl}
@group(0) @binding(${buffers.length}) var<uniform> u: U;
${gridStrideMain('u.n', body)}`;
}

/** Packs (n, ...floats) into a 16-byte-multiple uniform block matching optimHeader's U. */
export function optimUniforms(count: number, values: readonly number[]): ArrayBuffer {
  const buf = new ArrayBuffer(Math.ceil((1 + values.length) / 4) * 16);
  new Uint32Array(buf, 0, 1)[0] = count;
  new Float32Array(buf, 4, values.length).set(values);
  return buf;
}

/** A guarded optimizer kernel's extra binding (after its own buffers) and body: the update
 * runs only while the step guard's flag (kernels/step-guard.ts) is non-zero, so a step with
 * a non-finite loss or gradient leaves every parameter and moment as it found them. */
export const GUARD_BUFFER = ['FLAG', 'read', 'f32'] as const;

export function guardedBody(body: string, guarded: boolean): string {
  return guarded ? `if (FLAG[0] != 0.0) {\n    ${body}\n    }` : body;
}

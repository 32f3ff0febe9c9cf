/** Shared WGSL snippets for the 1-D kernels: a flat thread index that spans a 2-D grid. */
export const WG = 256;

export function flatIndexHeader(bindings: string): string {
  return `${bindings}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * ${WG}u + lid;`;
}

/** A float literal WGSL accepts for any JS number (finite). */
export function f32lit(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`non-finite constant ${v} in a kernel`);
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** Emits `off += (r % d) * stride; r /= d` over dims, innermost first, into `target`. */
export function offsetFromIndex(indexVar: string, dims: readonly number[], strides: readonly number[], target: string): string {
  const lines = [`var r_${target} = ${indexVar};`, `var ${target} = 0u;`];
  for (let d = dims.length - 1; d >= 0; d--) {
    const last = d === 0;
    const coord = last ? `r_${target}` : `(r_${target} % ${dims[d]}u)`;
    if (strides[d] !== 0) lines.push(`${target} += ${coord} * ${strides[d]}u;`);
    if (!last) lines.push(`r_${target} = r_${target} / ${dims[d]}u;`);
  }
  return lines.join('\n  ');
}

/**
 * Elementwise kernels as grid-stride loops over a capped number of workgroups. On the
 * software adapter every workgroup costs about 10 us of scheduling, so one element per
 * thread (n / 256 workgroups) spends most of its time there: an in-place scale of 5.3M
 * floats took 68 ms that way and 12 ms with 256-1024 looping workgroups. 1024 workgroups
 * of 256 threads also fill a large GPU (about 2K resident threads per SM, ~130 SMs).
 */
export const MAX_GROUPS = 1024;
const WG = 256;

export function strideGroups(n: number): [number, number, number] {
  return [Math.max(1, Math.min(MAX_GROUPS, Math.ceil(n / WG))), 1, 1];
}

/** `main` running `body` for every i < n (a WGSL expression: a constant or a uniform). */
export function gridStrideMain(n: string, body: string): string {
  return `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  for (var i = wid.x * ${WG}u + lid; i < ${n}; i += nwg.x * ${WG}u) {
    ${body}
  }
}`;
}

/** `struct N { n: u32 }`: the element count a grid-stride kernel without other uniforms loops to (`u.n`). */
export function countUniform(n: number): ArrayBuffer {
  return new Uint32Array([n, 0, 0, 0]).buffer;
}

// Shared shapes for the segmentation stages. All heavy per-pixel work in pipeline/segment runs in
// tight loops over typed arrays on the CPU (no GPU): at the working scale (512^2 for a 2048^2
// field) a field is a quarter million pixels, where kernel launch and read-back would cost more
// than the arithmetic.

/** A float image, row-major. */
export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

/** Instance labels, row-major: 0 = background, 1..count = objects. */
export interface Labels {
  width: number;
  height: number;
  data: Uint32Array;
  count: number;
}

export function plane(width: number, height: number, data = new Float32Array(width * height)): Plane {
  return { width, height, data };
}

/** Number of distinct objects: the largest label, as labels are kept consecutive. */
export function maxLabel(data: Uint32Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > m) m = data[i];
  return m;
}

/** 8-neighbour offsets as [dx, dy] pairs; 4-neighbour ones are the first four. */
export const NEIGHBOURS_8: ReadonlyArray<readonly [number, number]> = [
  [1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1], [1, -1], [-1, 1],
];

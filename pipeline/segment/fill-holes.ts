import type { Labels } from './planes.js';

/** Background pixels that cannot reach the image border through 4-connected background:
 * the holes of an 8-connected foreground. Returns a 0/1 mask of them. */
function enclosedBackground(isBackground: (i: number) => boolean, width: number, height: number): Uint8Array {
  const n = width * height;
  const reached = new Uint8Array(n);
  const queue = new Int32Array(n);
  let tail = 0;
  const seed = (i: number) => {
    if (!reached[i] && isBackground(i)) {
      reached[i] = 1;
      queue[tail++] = i;
    }
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seed(y * width);
    seed(y * width + width - 1);
  }
  for (let head = 0; head < tail; head++) {
    const i = queue[head];
    const x = i % width;
    if (x > 0) seed(i - 1);
    if (x < width - 1) seed(i + 1);
    if (i >= width) seed(i - width);
    if (i < n - width) seed(i + width);
  }
  const holes = new Uint8Array(n);
  for (let i = 0; i < n; i++) holes[i] = !reached[i] && isBackground(i) ? 1 : 0;
  return holes;
}

/** Fills the holes of a binary mask in place. */
export function fillHoles(mask: Uint8Array, width: number, height: number): Uint8Array {
  const holes = enclosedBackground((i) => mask[i] === 0, width, height);
  for (let i = 0; i < mask.length; i++) if (holes[i]) mask[i] = 1;
  return mask;
}

/** Fills holes in a label image in place: each enclosed background region goes to the label
 * it borders most, so a hole inside one cell joins that cell and a gap enclosed by several
 * cells goes to the one that surrounds most of it. */
export function fillLabelHoles(labels: Labels): Labels {
  const { width, height, data } = labels;
  const holes = enclosedBackground((i) => data[i] === 0, width, height);
  const n = width * height;
  const queue = new Int32Array(n);
  const votes = new Map<number, number>();
  for (let s = 0; s < n; s++) {
    if (holes[s] !== 1) continue;
    // Gather one hole (4-connected) and count the labels along its rim.
    let tail = 0;
    queue[tail++] = s;
    holes[s] = 2;
    votes.clear();
    for (let head = 0; head < tail; head++) {
      const i = queue[head];
      const x = i % width;
      const visit = (j: number) => {
        if (holes[j] === 1) {
          holes[j] = 2;
          queue[tail++] = j;
        } else if (data[j] !== 0) {
          votes.set(data[j], (votes.get(data[j]) ?? 0) + 1);
        }
      };
      if (x > 0) visit(i - 1);
      if (x < width - 1) visit(i + 1);
      if (i >= width) visit(i - width);
      if (i < n - width) visit(i + width);
    }
    let best = 0;
    let bestVotes = 0;
    for (const [l, v] of votes) if (v > bestVotes) [best, bestVotes] = [l, v];
    for (let k = 0; k < tail; k++) data[queue[k]] = best;
  }
  return labels;
}

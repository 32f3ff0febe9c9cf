/** Smooth random textures for the synthetic fields: value noise on a seeded lattice. */

/** A hash of a lattice point to [0,1): the same (x, y, seed) always gives the same value,
 * so a texture is a pure function of the field's seed. */
function latticeValue(x: number, y: number, seed: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ Math.imul(seed, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Value noise in [0,1) with features about `spacing` pixels across. */
export function valueNoise(w: number, h: number, spacing: number, seed: number): Float32Array {
  const s = Math.max(1, spacing);
  const gw = Math.ceil(w / s) + 2;
  const gh = Math.ceil(h / s) + 2;
  const grid = new Float32Array(gw * gh);
  for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) grid[y * gw + x] = latticeValue(x, y, seed);
  const ix = new Int32Array(w);
  const fx = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const g = x / s;
    ix[x] = Math.floor(g);
    const f = g - ix[x];
    fx[x] = f * f * (3 - 2 * f);
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const g = y / s;
    const iy = Math.floor(g);
    let fy = g - iy;
    fy = fy * fy * (3 - 2 * fy);
    const r0 = iy * gw;
    const r1 = r0 + gw;
    for (let x = 0; x < w; x++) {
      const i = ix[x];
      const a = grid[r0 + i] + (grid[r0 + i + 1] - grid[r0 + i]) * fx[x];
      const b = grid[r1 + i] + (grid[r1 + i + 1] - grid[r1 + i]) * fx[x];
      out[y * w + x] = a + (b - a) * fy;
    }
  }
  return out;
}

/** Several octaves of value noise, finest last, normalised back to about [0,1). */
export function fbm(w: number, h: number, spacing: number, octaves: number, seed: number): Float32Array {
  const out = new Float32Array(w * h);
  let amp = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const n = valueNoise(w, h, spacing / 2 ** o, seed + o * 7919);
    for (let i = 0; i < out.length; i++) out[i] += amp * n[i];
    total += amp;
    amp *= 0.5;
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

/** Thin connected ridges (1 on the ridge, 0 between): a reticular network like the ER. */
export function ridges(w: number, h: number, spacing: number, seed: number): Float32Array {
  const n = fbm(w, h, spacing, 2, seed);
  for (let i = 0; i < n.length; i++) {
    const t = 1 - Math.min(1, Math.abs(2 * n[i] - 1) * 2.2);
    const t2 = t * t;
    n[i] = t2 * t2;
  }
  return n;
}

/** Acklam's rational approximation of the inverse normal CDF (relative error < 1.2e-9). */
function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628274631];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

const TABLE_BITS = 12;
const NORMAL_TABLE = Float64Array.from({ length: (1 << TABLE_BITS) + 1 }, (_, i) => inverseNormal((i + 0.5) / ((1 << TABLE_BITS) + 1)));

/** A standard normal from one 32-bit draw by table lookup: millions of noise samples per
 * field need something cheaper than Box-Muller, and camera noise does not need the far
 * tails (the table stops near 3.5 sigma). */
export function fastNormal(u32: number): number {
  const i = u32 >>> (32 - TABLE_BITS);
  const f = (u32 & ((1 << (32 - TABLE_BITS)) - 1)) / (1 << (32 - TABLE_BITS));
  return NORMAL_TABLE[i] + (NORMAL_TABLE[i + 1] - NORMAL_TABLE[i]) * f;
}

/** Otsu's threshold over the values (optionally only where mask is set): the cut that
 * maximises the between-class variance of a 256-bin histogram spanning [min, max].
 * Returns a value in the input's units; values > threshold are foreground. Returns NaN when
 * the values are constant, so the caller can say "nothing to segment" instead of guessing. */
export function otsuThreshold(values: Float32Array, mask?: Uint8Array, bins = 256): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (mask && !mask[i]) continue;
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return NaN;
  const hist = new Float64Array(bins);
  const scale = (bins - 1) / (hi - lo);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask && !mask[i]) continue;
    hist[Math.round((values[i] - lo) * scale)]++;
    n++;
  }
  let total = 0;
  for (let b = 0; b < bins; b++) total += b * hist[b];
  let w0 = 0;
  let sum0 = 0;
  let best = -1;
  let bestB = 0;
  for (let b = 0; b < bins - 1; b++) {
    w0 += hist[b];
    sum0 += b * hist[b];
    const w1 = n - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0;
    const m1 = (total - sum0) / w1;
    const between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      bestB = b;
    }
  }
  // The cut sits between bin bestB and bestB+1.
  return lo + (bestB + 0.5) / scale;
}

/** Middle value (the upper one of an even count), so a single slow step cannot move it. */
export function median(xs: readonly number[]): number {
  if (!xs.length) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

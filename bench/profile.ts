// The GPU-time profile of one step (issue 14): every dispatch timed by timestamp queries
// (engine/profiler.ts), summed per kernel family, per layer and per kernel, each with its
// share of the step's GPU time and its rate against the matmul and copy peaks measured in
// the same run. Used by `npm run bench -- model --profile`.
import * as E from '../engine/index.js';
import type { BenchRow } from './report.js';

export interface Peaks {
  /** engine matmul at 1024^3 */
  gflops: number;
  /** a 64 MiB buffer copy, read + write */
  gbs: number;
}

/** Rows for one grouping: name, calls, GPU ms, share of the step, then rate vs the peaks. */
function totalsRows(section: string, totals: E.ProfileTotal[], stepMs: number, peaks: Peaks, top: number): BenchRow[] {
  const rows: BenchRow[] = totals.slice(0, top).map((t) => {
    const r: BenchRow = { profile: section, name: t.name, calls: t.calls, 'GPU ms': t.ms, '% of step GPU time': (100 * t.ms) / stepMs };
    if (t.allFlops && t.flops) {
      const gflops = t.flops / (t.ms * 1e6);
      r['GFLOP/s'] = gflops;
      r['% matmul peak'] = (100 * gflops) / peaks.gflops;
    }
    const gbs = t.bytes / (t.ms * 1e6);
    // '~' marks bytes summed over the bound buffers (pool buckets, up to a quarter over the tensors)
    r['GB/s'] = t.exactBytes ? gbs : `~${gbs.toPrecision(3)}`;
    r['% copy peak'] = t.exactBytes ? (100 * gbs) / peaks.gbs : `~${((100 * gbs) / peaks.gbs).toPrecision(3)}`;
    return r;
  });
  const rest = totals.slice(top);
  if (rest.length) {
    const ms = rest.reduce((a, t) => a + t.ms, 0);
    rows.push({ profile: section, name: `(${rest.length} more)`, calls: rest.reduce((a, t) => a + t.calls, 0), 'GPU ms': ms, '% of step GPU time': (100 * ms) / stepMs });
  }
  return rows;
}

/** Shortens a kernel key for the table: the family, then its shape fields. */
function shortKey(key: string): string {
  return key.length > 72 ? `${key.slice(0, 69)}...` : key;
}

/**
 * Profiles one call of `step` (already warmed up, so no compiling inside) and returns the
 * family, layer and top-kernel tables. `wallMs` is the unprofiled step's wall time, so the
 * reader sees how much of it the GPU was busy.
 */
export async function profileStep(label: string, step: () => Promise<void>, wallMs: number, peaks: Peaks, top = 15): Promise<BenchRow[]> {
  const rt = E.runtime();
  const t0 = performance.now();
  const { dispatches } = await E.profile(rt, step);
  const profiledWall = performance.now() - t0;
  const gpuMs = dispatches.reduce((a, d) => a + d.ms, 0);
  const rows: BenchRow[] = [
    {
      profile: label,
      name: `${dispatches.length} dispatches, GPU busy ${gpuMs.toFixed(1)} ms of a ${wallMs.toFixed(1)} ms step (${profiledWall.toFixed(1)} ms with a timed pass per dispatch); peaks ${peaks.gflops.toFixed(1)} GFLOP/s, ${peaks.gbs.toFixed(1)} GB/s`,
    },
  ];
  rows.push(...totalsRows('family', E.sumBy(dispatches, (d) => d.family), gpuMs, peaks, top));
  rows.push(...totalsRows('layer', E.sumBy(dispatches, (d) => d.layer || '(outside a layer)'), gpuMs, peaks, 30));
  rows.push(...totalsRows('kernel', E.sumBy(dispatches, (d) => shortKey(d.key)), gpuMs, peaks, top));
  return rows;
}

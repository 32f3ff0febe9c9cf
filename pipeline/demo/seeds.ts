import { join } from 'node:path';
import { refuseNonEmpty } from '../../engine/io/refuse-overwrite.js';
import { DEMO_PRESETS } from './presets.js';
import { formatDemoSummary, runDemo, type DemoOptions, type DemoResult } from './run.js';

/** The figures compared across seeds: each one's spread (max - min) over the runs. */
const FIGURES = {
  'image val F1': (r: DemoResult) => r.imageValF1,
  'tile val F1': (r: DemoResult) => r.tileValF1,
  'mAP image only': (r: DemoResult) => r.mAP.image,
  'mAP tile only': (r: DemoResult) => r.mAP.tile,
  'mAP fused': (r: DemoResult) => r.mAP.fused,
};

export interface DemoSeedsResult {
  runs: { seed: number; result: DemoResult }[];
  /** max - min over the seeds, per figure. */
  spread: Record<keyof typeof FIGURES, number | null>;
  /** Fused mAP above both single models in every run, by more than the largest of the three mAP spreads. */
  fusionBeatsSpread: boolean;
  seconds: number;
}

/**
 * The demo once per seed (the preset's seed, then the next ones), each in OUT/seed-K with
 * its own synthetic fields and training seed, so the spread between runs says how far one
 * run's figures can be trusted: fused mAP above image-only and tile-only by less than
 * that spread is not a finding. Expects the engine to be initialised.
 */
export async function runDemoSeeds(o: DemoOptions & { seeds: number }): Promise<DemoSeedsResult> {
  if (!(Number.isInteger(o.seeds) && o.seeds >= 2)) throw new Error(`demo: seeds must be a whole number >= 2 to compare runs, got ${o.seeds}`);
  const log = o.log ?? ((l: string) => console.log(l));
  refuseNonEmpty(o.out, o.force);
  const t0 = performance.now();
  const first = o.preset?.seed ?? DEMO_PRESETS[o.quick ? 'quick' : 'full'].seed;
  const runs: DemoSeedsResult['runs'] = [];
  for (let k = 0; k < o.seeds; k++) {
    const seed = first + k;
    log(`\n==== seed ${seed} (${k + 1} of ${o.seeds}) ====`);
    const result = await runDemo({ ...o, out: join(o.out, `seed-${seed}`), preset: { ...o.preset, seed } });
    log(formatDemoSummary(result));
    runs.push({ seed, result });
  }
  const spread = Object.fromEntries(
    Object.entries(FIGURES).map(([name, get]) => {
      const v = runs.map((r) => get(r.result));
      return [name, v.some((x) => x === null) ? null : Math.max(...(v as number[])) - Math.min(...(v as number[]))];
    }),
  ) as DemoSeedsResult['spread'];
  const mapSpread = Math.max(spread['mAP image only'] ?? Infinity, spread['mAP tile only'] ?? Infinity, spread['mAP fused'] ?? Infinity);
  const fusionBeatsSpread = runs.every(({ result: { mAP } }) => mAP.fused !== null && mAP.image !== null && mAP.tile !== null && mAP.fused - Math.max(mAP.image, mAP.tile) > mapSpread);
  return { runs, spread, fusionBeatsSpread, seconds: (performance.now() - t0) / 1000 };
}

export function formatDemoSeeds(r: DemoSeedsResult): string {
  const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
  const names = Object.keys(FIGURES) as (keyof typeof FIGURES)[];
  const w = Math.max(...names.map((n) => n.length));
  const head = `${'figure'.padEnd(w)}  ${r.runs.map((x) => `seed ${x.seed}`.padStart(8)).join('  ')}    spread`;
  const rows = names.map((n) => `${n.padEnd(w)}  ${r.runs.map((x) => f(FIGURES[n](x.result)).padStart(8)).join('  ')}  ${f(r.spread[n]).padStart(8)}`);
  const margins = r.runs.map(({ seed, result: { mAP } }) => `seed ${seed}: fused - best single ${mAP.fused === null || mAP.image === null || mAP.tile === null ? 'n/a' : (mAP.fused - Math.max(mAP.image, mAP.tile)).toFixed(4)}`);
  return [
    '',
    `across ${r.runs.length} seeds (each its own synthetic fields and training seed):`,
    head,
    ...rows,
    ...margins,
    `fused above image-only and tile-only by more than the largest mAP spread in every run: ${r.fusionBeatsSpread ? 'yes' : 'no'}`,
    `total ${r.seconds.toFixed(0)} s`,
  ].join('\n');
}

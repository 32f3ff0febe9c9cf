import type { Command } from 'commander';
import { initEngine, shutdownEngine } from '../../engine/index.js';
import { formatDemoSummary, runDemo } from '../../pipeline/demo/run.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole workflow on synthetic HPA fields with cell-level truth: synth, train the image model, segment, tiles, train the tile model, predict, evaluate with the sweep')
    .option('--out <dir>', 'where every artefact goes', 'hpa-demo')
    .option('--quick', 'a smaller run (under 10 minutes on 2 cores with the software GPU)')
    .option('--force', 'replace an earlier demo in --out')
    .action(async (f: { out: string; quick?: boolean; force?: boolean }) => {
      await initEngine();
      try {
        const r = await runDemo({ out: f.out, quick: f.quick, force: f.force });
        console.log(formatDemoSummary(r));
      } finally {
        shutdownEngine();
      }
    });
}

import type { Command } from 'commander';
import { initEngine, shutdownEngine } from '../../engine/index.js';
import { showCompiles } from '../compile-notice.js';
import { formatDemoSummary, runDemo } from '../../pipeline/demo/run.js';
import { flag, int, text } from '../flags.js';
import { formatDemoSeeds, runDemoSeeds } from '../../pipeline/demo/seeds.js';
import { jsonFlag, printJson, progressLog } from '../output.js';

interface Flags {
  out: string;
  quick?: boolean;
  truthTiles?: boolean;
  force?: boolean;
  json?: boolean;
  seeds: number;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole workflow on synthetic HPA fields with cell-level truth, with the labels Kaggle gives (image labels, on every tile too): synth, segment, tiles, train the tile model, train the image model (started from the tile model backbone), predict, evaluate with the sweep')
    .addOption(flag({ flags: '--out <dir>', description: 'where every artefact goes (new or empty)', parse: text, required: true }))
    .option('--quick', 'a smaller run (under 10 minutes on 2 cores with the software GPU)')
    .option('--truth-tiles', "also train a tile model on the true cell labels (synthetic truth, which Kaggle does not give) and report it apart as an upper bound")
    .addOption(flag({ flags: '--seeds <n>', description: "run the demo n times (the preset's seed and the next ones, each in OUT/seed-K) and print every run's figures with their spread", parse: int(1, 10), default: 1 }))
    .option('--force', 'replace an earlier demo in --out')
    .addOption(jsonFlag('the summary (F1s, mAPs, seconds, paths)'))
    .action(async (f: Flags) => {
      await initEngine();
      showCompiles();
      try {
        const o = { out: f.out, quick: f.quick, truthTiles: f.truthTiles, force: f.force, log: progressLog(f.json) };
        if (f.seeds > 1) {
          const r = await runDemoSeeds({ ...o, seeds: f.seeds });
          if (f.json) printJson(r);
          else console.log(formatDemoSeeds(r));
        } else {
          const r = await runDemo(o);
          if (f.json) printJson(r);
          else console.log(formatDemoSummary(r));
        }
      } finally {
        shutdownEngine();
      }
    });
}

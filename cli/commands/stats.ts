import type { Command } from 'commander';
import { datasetStats } from '../../pipeline/stats.js';
import { flag, text } from '../flags.js';
import { jsonFlag, printJson } from '../output.js';

interface Flags {
  data: string;
  chart?: string;
  force?: boolean;
  json?: boolean;
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('label distribution of a train.csv: single-label images and all images per label, as a table and optionally a PNG bar chart')
    .addOption(flag({ flags: '--data <dir>', description: 'Kaggle-layout folder or a train.csv', parse: text, required: true }))
    .addOption(flag({ flags: '--chart <png>', description: 'also draw the distribution as a bar chart PNG', parse: text }))
    .option('--force', 'replace an existing chart')
    .addOption(jsonFlag('the counts'))
    .action((f: Flags) => {
      const { stats, table } = datasetStats(f.data, f.chart, f.force);
      if (f.json) return printJson({ ...stats, chart: f.chart ?? null });
      console.log(table);
      if (f.chart) console.log(`\nchart: ${f.chart}`);
    });
}

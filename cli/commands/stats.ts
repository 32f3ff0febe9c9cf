import type { Command } from 'commander';
import { datasetStats } from '../../pipeline/stats.js';

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('label distribution of a train.csv: single-label images and all images per label, as a table and a PNG bar chart')
    .requiredOption('--data <dir>', 'Kaggle-layout folder or a train.csv')
    .option('--chart <png>', 'bar chart output', 'label-distribution.png')
    .option('--no-chart', 'print the table only')
    .option('--force', 'replace an existing chart')
    .action((opts: { data: string; chart: string | false; force?: boolean }) => {
      const { table } = datasetStats(opts.data, opts.chart || undefined, opts.force);
      console.log(table);
      if (opts.chart) console.log(`\nchart: ${opts.chart}`);
    });
}

import type { Command } from 'commander';
import { evaluateSubmission, sweepFusion } from '../../pipeline/evaluate.js';
import { formatLabelTable, formatSweepTable } from '../../pipeline/evaluate-report.js';
import { readScores, SWEEP_WEIGHTS } from '../../pipeline/fusion.js';

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('cell-level mAP at mask IoU 0.6 (Open Images style) of a submission, or of fused cached scores for each tile weight')
    .requiredOption('--truth <dir>', 'folder with train.csv, cells.csv and train/{ID}_cells.png')
    .option('--submission <csv>', 'Kaggle submission to score')
    .option('--sweep', 'rerun the tile/image fusion for tile weights 0.0..1.0 from cached scores')
    .option('--scores <file>', 'cached scores written by predict (with --sweep)')
    .action((opts: { truth: string; submission?: string; sweep?: boolean; scores?: string }) => {
      if (opts.sweep) {
        if (!opts.scores) throw new Error('evaluate --sweep needs --scores FILE');
        console.log(formatSweepTable(sweepFusion(readScores(opts.scores), opts.truth, SWEEP_WEIGHTS)));
        return;
      }
      if (!opts.submission) throw new Error('evaluate needs --submission CSV (or --sweep --scores FILE)');
      const r = evaluateSubmission(opts.submission, opts.truth);
      console.log(formatLabelTable(r));
      console.log(`(${r.fields} of the truth's ${r.truthFields} fields are in the submission)`);
    });
}

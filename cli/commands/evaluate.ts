import type { Command } from 'commander';
import { evaluateSubmission, sweepFusion } from '../../pipeline/evaluate.js';
import { formatLabelTable, formatSweepTable } from '../../pipeline/evaluate-report.js';
import { readScores, SWEEP_WEIGHTS } from '../../pipeline/fusion.js';
import { UsageError } from '../errors.js';
import { flag, text } from '../flags.js';
import { jsonFlag, printJson } from '../output.js';

interface Flags {
  truth: string;
  submission?: string;
  sweep?: boolean;
  scores?: string;
  json?: boolean;
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('cell-level mAP at mask IoU 0.6 (Open Images style) of a submission, or of fused cached scores for each tile weight')
    .addOption(flag({ flags: '--truth <dir>', description: 'folder with train.csv, cells.csv and train/{ID}_cells.png', parse: text, required: true }))
    .addOption(flag({ flags: '--submission <csv>', description: 'Kaggle submission to score', parse: text }))
    .option('--sweep', `rerun the tile/image fusion for tile weights ${SWEEP_WEIGHTS[0].toFixed(1)}..${SWEEP_WEIGHTS[SWEEP_WEIGHTS.length - 1].toFixed(1)} from cached scores`)
    .addOption(flag({ flags: '--scores <file>', description: "predict's scores.json (with --sweep)", parse: text }))
    .addOption(jsonFlag('per-label AP and the mean (or each weight of the sweep)'))
    .action((f: Flags) => {
      if (f.sweep) {
        if (!f.scores) throw new UsageError('--sweep needs --scores FILE');
        if (f.submission) throw new UsageError('--sweep scores cached scores, not --submission: give one of them');
        const rows = sweepFusion(readScores(f.scores), f.truth, SWEEP_WEIGHTS);
        if (f.json) return printJson({ sweep: rows.map((r) => ({ weight: r.weight, ...r.result })) });
        return console.log(formatSweepTable(rows));
      }
      if (f.scores) throw new UsageError('--scores goes with --sweep');
      if (!f.submission) throw new UsageError('--submission CSV is required (or --sweep --scores FILE)');
      const r = evaluateSubmission(f.submission, f.truth);
      if (f.json) return printJson(r);
      console.log(formatLabelTable(r));
      console.log(`(${r.fields} of the truth's ${r.truthFields} fields are in the submission)`);
    });
}

import type { Command } from 'commander';
import { segmentDataset } from '../../pipeline/segment/run.js';
import { formatComparison } from '../../pipeline/segment/compare.js';

export function registerSegment(program: Command): void {
  program
    .command('segment')
    .description('classical nucleus + cell segmentation of HPA fields: SEG/{ID}_cells.png, {ID}_nuclei.png (16-bit labels) and {ID}.json')
    .requiredOption('--data <dir>', 'Kaggle-layout folder (train.csv or sample_submission.csv, or bare images)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--ids <ids...>', 'only these IDs (space or comma separated)')
    .option('--scale <s>', 'working scale', '0.25')
    .option('--green <w>', 'weight of the green channel in the cell signal', '0')
    .option('--compare <refdir>', 'score against {ID}_predictedmask.png / {ID}_cells.png reference masks (IoU >= 0.6)')
    .option('--overlay <png>', 'draw outlines over the blended field (with several IDs: one file per ID)')
    .option('--force', 'replace existing outputs')
    .action((opts: { data: string; out: string; ids?: string[]; scale: string; green: string; compare?: string; overlay?: string; force?: boolean }) => {
      const r = segmentDataset({
        data: opts.data,
        out: opts.out,
        ids: opts.ids?.flatMap((s) => s.split(',')).filter((s) => s !== ''),
        scale: Number(opts.scale),
        greenWeight: Number(opts.green),
        compare: opts.compare,
        overlay: opts.overlay,
        force: opts.force,
        log: (line) => console.log(line),
        warn: (line) => console.error(line),
      });
      for (const f of r.fields) if (f.comparison) console.log(formatComparison(f.comparison));
      if (r.overall && r.fields.length > 1) console.log(formatComparison(r.overall));
    });
}

import type { Command } from 'commander';
import { SEGMENT_DEFAULTS } from '../../pipeline/segment/field.js';
import { segmentDataset } from '../../pipeline/segment/run.js';
import { formatComparison } from '../../pipeline/segment/compare.js';
import { idsFlag } from '../data-flags.js';
import { flag, num, text } from '../flags.js';
import { jsonFlag, printJson, progressLog } from '../output.js';

interface Flags {
  data: string;
  out: string;
  ids?: string[];
  scale: number;
  green: number;
  compare?: string;
  overlay?: string;
  force?: boolean;
  json?: boolean;
}

export function registerSegment(program: Command): void {
  const d = SEGMENT_DEFAULTS;
  program
    .command('segment')
    .description('classical nucleus + cell segmentation of HPA fields: SEG/{ID}_cells.png, {ID}_nuclei.png (16-bit labels) and {ID}.json')
    .addOption(flag({ flags: '--data <dir>', description: 'Kaggle-layout folder (train.csv or sample_submission.csv, or bare images)', parse: text, required: true }))
    .addOption(flag({ flags: '--out <dir>', description: 'output folder', parse: text, required: true }))
    .addOption(idsFlag())
    .addOption(flag({ flags: '--scale <s>', description: 'working scale', parse: num(0, 1, { min: true }), default: d.scale }))
    .addOption(flag({ flags: '--green <w>', description: 'weight of the green channel in the cell signal', parse: num(0, 100), default: d.greenWeight }))
    .addOption(flag({ flags: '--compare <dir>', description: 'score against {ID}_predictedmask.png / {ID}_cells.png reference masks there (IoU >= 0.6)', parse: text }))
    .addOption(flag({ flags: '--overlay <dir>', description: 'also draw outlines over each blended field: DIR/{ID}_overlay.png', parse: text }))
    .option('--force', 'replace existing outputs')
    .addOption(jsonFlag('every field (cells, seconds, comparison) and the overall comparison'))
    .action((f: Flags) => {
      const r = segmentDataset({
        data: f.data,
        out: f.out,
        ids: f.ids,
        scale: f.scale,
        greenWeight: f.green,
        compare: f.compare,
        overlay: f.overlay,
        force: f.force,
        log: progressLog(f.json),
        warn: (line) => console.error(line),
      });
      if (f.json) {
        return printJson({
          fields: r.fields.map((x) => ({ id: x.info.id, cells: x.info.cellCount, border: x.info.cells.filter((c) => c.border).length, seconds: x.segmentSeconds, comparison: x.comparison ?? null })),
          overall: r.overall ?? null,
        });
      }
      for (const x of r.fields) if (x.comparison) console.log(formatComparison(x.comparison));
      if (r.overall && r.fields.length > 1) console.log(formatComparison(r.overall));
    });
}

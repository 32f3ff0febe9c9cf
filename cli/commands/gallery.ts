import type { Command } from 'commander';
import { GALLERY_DEFAULTS, writeGallery } from '../../pipeline/gallery/gallery.js';
import { flag, int, text } from '../flags.js';
import { jsonFlag, printJson, progressLog } from '../output.js';

interface Flags {
  data: string;
  out: string;
  fields: number;
  panel: number;
  force?: boolean;
  json?: boolean;
}

export function registerGallery(program: Command): void {
  const d = GALLERY_DEFAULTS;
  program
    .command('gallery')
    .description("the seed's figures of the data as PNGs: Fig. 5 each channel, Figs. 6-7 the ybr and rgb blends, Fig. 9 one field per label")
    .addOption(flag({ flags: '--data <dir>', description: 'Kaggle-layout folder with train.csv (or sample_submission.csv: Fig. 9 is then left out)', parse: text, required: true }))
    .addOption(flag({ flags: '--out <dir>', description: 'folder for fig5-channels.png, fig6-ybr.png, fig7-rgb.png and fig9-labels.png', parse: text, required: true }))
    .addOption(flag({ flags: '--fields <n>', description: 'fields in the blend figures', parse: int(1, 64), default: d.fields }))
    .addOption(flag({ flags: '--panel <px>', description: "longer side of each field's panel", parse: int(16, 4096), default: d.panel }))
    .option('--force', 'replace existing figures')
    .addOption(jsonFlag('the figures written and the fields each shows'))
    .action((f: Flags) => {
      const r = writeGallery({ data: f.data, out: f.out, fields: f.fields, panel: f.panel, force: f.force, log: progressLog(f.json) });
      if (f.json) return printJson(r);
      console.log(`${r.figures.length} figures in ${f.out}: ${r.figures.map((g) => g.figure).join(', ')}`);
    });
}

import type { Command } from 'commander';
import { TILE_DEFAULTS } from '../../pipeline/tiles/crop.js';
import { makeTiles } from '../../pipeline/tiles/make.js';
import { idsFlag } from '../data-flags.js';
import { flag, int, text } from '../flags.js';

interface Flags {
  data: string;
  seg: string;
  out: string;
  ids?: string[];
  size: number;
  margin: number;
  maskOthers?: boolean;
  truthLabels?: boolean;
  force?: boolean;
}

export function registerTiles(program: Command): void {
  const d = TILE_DEFAULTS;
  program
    .command('tiles')
    .description('crop each segmented cell into a square tile; writes a Kaggle-layout dataset TILES/train.csv + TILES/train/{ID}_{cell}_{colour}.png')
    .addOption(flag({ flags: '--data <dir>', description: 'Kaggle-layout folder with train.csv (image labels)', parse: text, required: true }))
    .addOption(flag({ flags: '--seg <dir>', description: 'segment output ({ID}_cells.png)', parse: text, required: true }))
    .addOption(flag({ flags: '--out <dir>', description: 'tile dataset folder', parse: text, required: true }))
    .addOption(idsFlag())
    .addOption(flag({ flags: '--size <px>', description: 'tile side', parse: int(8, 4096), default: d.size }))
    .addOption(flag({ flags: '--margin <px>', description: 'context around the bounding box', parse: int(0, 4096), default: d.margin }))
    .option('--mask-others', "zero other cells' pixels")
    .option('--truth-labels', "label tiles with the matching true cell's labels from cells.csv (synthetic data)")
    .option('--force', 'write into a non-empty folder')
    .action((f: Flags) => {
      const r = makeTiles({
        data: f.data,
        seg: f.seg,
        out: f.out,
        ids: f.ids,
        size: f.size,
        margin: f.margin,
        maskOthers: f.maskOthers,
        truthLabels: f.truthLabels,
        force: f.force,
        log: (line) => console.log(line),
      });
      console.log(`${r.tiles} tiles from ${r.fields} fields in ${f.out}` + (r.unmatched ? ` (${r.unmatched} cells with no true cell left out)` : ''));
    });
}

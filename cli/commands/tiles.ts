import type { Command } from 'commander';
import { makeTiles } from '../../pipeline/tiles/make.js';

export function registerTiles(program: Command): void {
  program
    .command('tiles')
    .description('crop each segmented cell into a square tile; writes a Kaggle-layout dataset TILES/train.csv + TILES/train/{ID}_{cell}_{colour}.png')
    .requiredOption('--data <dir>', 'Kaggle-layout folder with train.csv (image labels)')
    .requiredOption('--seg <dir>', 'segment output ({ID}_cells.png)')
    .requiredOption('--out <dir>', 'tile dataset folder')
    .option('--ids <ids...>', 'only these IDs (space or comma separated)')
    .option('--size <px>', 'tile side', '256')
    .option('--margin <px>', 'context around the bounding box', '0')
    .option('--mask-others', "zero other cells' pixels")
    .option('--truth-labels', "label tiles with the matching true cell's labels from cells.csv (synthetic data)")
    .option('--force', 'write into a non-empty folder')
    .action((opts: { data: string; seg: string; out: string; ids?: string[]; size: string; margin: string; maskOthers?: boolean; truthLabels?: boolean; force?: boolean }) => {
      const r = makeTiles({
        data: opts.data,
        seg: opts.seg,
        out: opts.out,
        ids: opts.ids?.flatMap((s) => s.split(',')).filter((s) => s !== ''),
        size: Number(opts.size),
        margin: Number(opts.margin),
        maskOthers: opts.maskOthers,
        truthLabels: opts.truthLabels,
        force: opts.force,
        log: (line) => console.log(line),
      });
      console.log(`${r.tiles} tiles from ${r.fields} fields in ${opts.out}` + (r.unmatched ? ` (${r.unmatched} cells with no true cell left out)` : ''));
    });
}

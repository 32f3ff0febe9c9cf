import type { Command } from 'commander';
import { SYNTH_DEFAULTS, writeSynthDataset } from '../../pipeline/synth/write.js';
import { choice, flag, int, text } from '../flags.js';
import { UsageError } from '../errors.js';

interface Flags {
  out: string;
  images: number;
  size: number;
  seed: number;
  bitDepth: '8' | '16';
  minCells: number;
  maxCells: number;
  force?: boolean;
}

export function registerSynth(program: Command): void {
  const d = SYNTH_DEFAULTS;
  program
    .command('synth')
    .description(
      'write synthetic HPA fields in the Kaggle layout (train.csv, train/{ID}_{red,green,blue,yellow}.png) ' +
        'with cell truth: train/{ID}_cells.png (16-bit instance labels, cell k = k) and cells.csv (ID,Cell,Label)',
    )
    .addOption(flag({ flags: '--out <dir>', description: 'output folder (new or empty)', parse: text, required: true }))
    .addOption(flag({ flags: '--images <n>', description: 'number of fields', parse: int(1, 1_000_000), required: true }))
    .addOption(flag({ flags: '--size <px>', description: 'field side', parse: int(16, 8192), default: d.size }))
    .addOption(flag({ flags: '--seed <k>', description: 'random seed: the same seed writes the same bytes', parse: int(0, 2 ** 32 - 1), default: d.seed }))
    .addOption(flag({ flags: '--bit-depth <d>', description: '8 or 16 bit channels', parse: choice(['8', '16'] as const), default: String(d.bitDepth) as '8' }))
    .addOption(flag({ flags: '--min-cells <n>', description: 'fewest cells in a field (each field draws its count from min..max)', parse: int(1, 1000), default: d.minCells }))
    .addOption(flag({ flags: '--max-cells <n>', description: 'most cells in a field', parse: int(1, 1000), default: d.maxCells }))
    .option('--force', 'write into a folder that is not empty')
    .action((f: Flags) => {
      if (f.minCells > f.maxCells) throw new UsageError(`--min-cells ${f.minCells} is above --max-cells ${f.maxCells}`);
      const t0 = performance.now();
      const r = writeSynthDataset(f.out, { images: f.images, size: f.size, seed: f.seed, bitDepth: f.bitDepth === '16' ? 16 : 8, minCells: f.minCells, maxCells: f.maxCells, force: f.force });
      console.log(`wrote ${r.ids.length} fields (${r.cells} cells) to ${f.out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
}

import type { Command } from 'commander';
import { writeSynthDataset } from '../../pipeline/synth/write.js';

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description(
      'write synthetic HPA fields in the Kaggle layout (train.csv, train/{ID}_{red,green,blue,yellow}.png) ' +
        'with cell truth: train/{ID}_cells.png (16-bit instance labels, cell k = k) and cells.csv (ID,Cell,Label)',
    )
    .requiredOption('--out <dir>', 'output folder (new or empty)')
    .requiredOption('--images <n>', 'number of fields')
    .option('--size <s>', 'field side in pixels', '256')
    .option('--seed <k>', 'random seed: the same seed writes the same bytes', '0')
    .option('--bit-depth <d>', '8 or 16 bit channels', '8')
    .option('--force', 'write into a folder that is not empty')
    .action((opts: { out: string; images: string; size: string; seed: string; bitDepth: string; force?: boolean }) => {
      const t0 = performance.now();
      const r = writeSynthDataset(opts.out, {
        images: Number(opts.images),
        size: Number(opts.size),
        seed: Number(opts.seed),
        bitDepth: Number(opts.bitDepth) as 8 | 16,
        force: opts.force,
      });
      console.log(`wrote ${r.ids.length} fields (${r.cells} cells) to ${opts.out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
}

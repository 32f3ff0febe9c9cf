import type { Command } from 'commander';
import { writeBlendPng } from '../../pipeline/blend.js';

export function registerBlend(program: Command): void {
  program
    .command('blend')
    .description('write a viewable 8-bit RGB composite of one field (4-channel blends: yellow added to red and green)')
    .requiredOption('--data <dir>', 'Kaggle-layout folder')
    .requiredOption('--id <id>', 'the image ID')
    .option('--blend <b>', 'rgb, ybr, rgby or a channel list such as green,blue', 'rgb')
    .requiredOption('--out <png>', 'output PNG')
    .option('--force', 'replace an existing output')
    .action((opts: { data: string; id: string; blend: string; out: string; force?: boolean }) => {
      const { width, height } = writeBlendPng(opts.data, opts.id, opts.blend, opts.out, opts.force);
      console.log(`wrote ${opts.out} (${width}x${height}, ${opts.blend})`);
    });
}

import type { Command } from 'commander';
import { writeBlendPng } from '../../pipeline/blend.js';
import { blendSpec } from '../data-flags.js';
import { flag, text } from '../flags.js';

interface Flags {
  data: string;
  id: string;
  blend: string;
  png: string;
  force?: boolean;
}

export function registerBlend(program: Command): void {
  program
    .command('blend')
    .description('write a viewable 8-bit RGB composite of one field (4-channel blends: yellow added to red and green)')
    .addOption(flag({ flags: '--data <dir>', description: 'Kaggle-layout folder', parse: text, required: true }))
    .addOption(flag({ flags: '--id <id>', description: 'the image ID', parse: text, required: true }))
    .addOption(blendSpec('rgb'))
    .addOption(flag({ flags: '--png <file>', description: 'the composite PNG to write', parse: text, required: true }))
    .option('--force', 'replace an existing PNG')
    .action((f: Flags) => {
      const { width, height } = writeBlendPng(f.data, f.id, f.blend, f.png, f.force);
      console.log(`wrote ${f.png} (${width}x${height}, ${f.blend})`);
    });
}

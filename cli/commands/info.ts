import type { Command } from 'commander';
import { efficientNetConfig, parseEfficientNetOptions } from '../../models/efficientnet-config.js';
import { formatEfficientNetSummary, summarizeEfficientNet } from '../../models/efficientnet-summary.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('EfficientNet architecture summary (stages, channels, repeats, resolution) and exact parameter count')
    .option('--model <name>', 'b0..b7', 'b0')
    .option('--classes <n>', 'number of output classes', '1000')
    .option('--in-channels <n>', '3 (RGB blends) or 4 (all HPA channels)', '3')
    .option('--padding <kind>', "symmetric (torchvision) or same (TensorFlow)", 'symmetric')
    .option('--bn <preset>', 'BatchNorm eps/momentum: torchvision or lukemelas', 'torchvision')
    .option('--json', 'print JSON')
    .action((opts: { model: string; classes: string; inChannels: string; padding: string; bn: string; json?: boolean }) => {
      const summary = summarizeEfficientNet(efficientNetConfig(opts.model, parseEfficientNetOptions(opts)));
      console.log(opts.json ? JSON.stringify(summary, null, 2) : formatEfficientNetSummary(summary));
    });
}

import type { Command } from 'commander';
import { EFFICIENTNET_DEFAULTS, efficientNetConfig, MODEL_NAMES } from '../../models/efficientnet-config.js';
import { formatEfficientNetSummary, summarizeEfficientNet } from '../../models/efficientnet-summary.js';
import { bnPreset, modelName, padding } from '../model-flags.js';
import { flag, int } from '../flags.js';
import { jsonFlag, printJson } from '../output.js';

interface Flags {
  model: string;
  classes: number;
  inChannels: number;
  padding: 'symmetric' | 'same';
  bn: 'torchvision' | 'lukemelas';
  json?: boolean;
}

export function registerInfo(program: Command): void {
  const d = EFFICIENTNET_DEFAULTS;
  program
    .command('info')
    .description('EfficientNet architecture summary (stages, channels, repeats, resolution) and exact parameter count')
    .addOption(flag({ flags: '--model <name>', description: MODEL_NAMES.join(', '), parse: modelName, default: 'b0' }))
    .addOption(flag({ flags: '--classes <n>', description: 'number of output classes', parse: int(1, 1_000_000), default: d.numClasses }))
    .addOption(flag({ flags: '--in-channels <n>', description: '3 (RGB blends) or 4 (all HPA channels)', parse: int(3, 4), default: d.inChannels }))
    .addOption(padding(d.padding))
    .addOption(bnPreset(d.bn))
    .addOption(jsonFlag('the summary'))
    .action((f: Flags) => {
      const summary = summarizeEfficientNet(efficientNetConfig(f.model, { numClasses: f.classes, inChannels: f.inChannels, padding: f.padding, bn: f.bn }));
      if (f.json) printJson(summary);
      else console.log(formatEfficientNetSummary(summary));
    });
}

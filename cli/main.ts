#!/usr/bin/env node
import { Command } from 'commander';
import { reportAndExit } from './errors.js';
import { registerDevices } from './commands/devices.js';
import { registerSmoke } from './commands/smoke.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerInfo } from './commands/info.js';
import { registerSegment } from './commands/segment.js';
import { registerTiles } from './commands/tiles.js';
import { registerSynth } from './commands/synth.js';
import { registerBlend } from './commands/blend.js';
import { registerStats } from './commands/stats.js';
import { registerTrain } from './commands/train.js';
import { registerPredict } from './commands/predict.js';
import { registerDemo } from './commands/demo.js';

const program = new Command();
program
  .name('hpa-engine')
  .description('Protein localisation in Human Protein Atlas cells, on a WebGPU tensor engine')
  .option('--verbose', 'show stack traces on errors')
  .showHelpAfterError();

// One small file per command under cli/commands; each adds itself here.
registerDevices(program);
registerSmoke(program);
registerEvaluate(program);
registerInfo(program);
registerSegment(program);
registerTiles(program);
registerSynth(program);
registerBlend(program);
registerStats(program);
registerTrain(program);
registerPredict(program);
registerDemo(program);

const verbose = process.argv.includes('--verbose');
process.env.XDG_RUNTIME_DIR ??= '/tmp';
program.parseAsync(process.argv).catch((err) => reportAndExit(err, verbose));

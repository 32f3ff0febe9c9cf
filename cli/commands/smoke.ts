import type { Command } from 'commander';
import { shutdownEngine } from '../../engine/index.js';
import { SMOKE_DEFAULTS, smokeTrain } from '../../pipeline/smoke-train.js';
import { flag, int } from '../flags.js';

export function registerSmoke(program: Command): void {
  program
    .command('smoke')
    .description('train a tiny multi-label perceptron on the GPU engine for a few steps and check the loss falls')
    .addOption(flag({ flags: '--steps <n>', description: 'training steps', parse: int(2, 100_000), default: SMOKE_DEFAULTS.steps }))
    .action(async (f: { steps: number }) => {
      try {
        const r = await smokeTrain(f.steps, (s, l) => {
          if (s % 10 === 0 || s === f.steps - 1) console.log(`step ${String(s).padStart(4)}  loss ${l.toFixed(4)}`);
        });
        const first = r.losses[0];
        const last = r.losses[r.losses.length - 1];
        console.log(`adapter: ${r.adapter}; ${r.stepsPerSecond.toFixed(1)} steps/s; loss ${first.toFixed(4)} -> ${last.toFixed(4)}`);
        if (!(last < first * 0.8)) throw new Error(`smoke: the loss did not fall (${first} -> ${last}); the engine is not training`);
      } finally {
        shutdownEngine();
      }
    });
}

import type { Command } from 'commander';
import { smokeTrain } from '../../pipeline/smoke-train.js';
import { shutdownEngine } from '../../engine/index.js';

export function registerSmoke(program: Command): void {
  program
    .command('smoke')
    .description('train a tiny multi-label perceptron on the GPU engine for a few steps and check the loss falls')
    .option('--steps <n>', 'training steps', '60')
    .action(async (opts: { steps: string }) => {
      const steps = Number(opts.steps);
      if (!Number.isInteger(steps) || steps < 2) throw new Error(`smoke: --steps must be an integer >= 2, got '${opts.steps}'`);
      try {
        const r = await smokeTrain(steps, (s, l) => {
          if (s % 10 === 0 || s === steps - 1) console.log(`step ${String(s).padStart(4)}  loss ${l.toFixed(4)}`);
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

import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerTrain } from '../../cli/commands/train.js';
import { choiceFlag, intFlag, numberFlag } from '../../cli/flags.js';

/** The train command as main.ts registers it, with commander's exits turned into throws. */
async function train(args: string[]): Promise<void> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerTrain(program);
  program.commands.forEach((c) => c.exitOverride());
  await program.parseAsync(['node', 'hpa-engine', 'train', ...args]);
}

describe('command-line flags', () => {
  it('name the rule and the value they refuse', () => {
    expect(() => intFlag(8)('abc')).toThrow("must be an integer >= 8, got 'abc'");
    expect(() => intFlag(8)('4')).toThrow("must be an integer >= 8, got '4'");
    expect(intFlag(0)('12')).toBe(12);
    expect(() => numberFlag(0, 1, false)('1')).toThrow("must be a number in [0, 1), got '1'");
    expect(() => numberFlag(0, 10)('')).toThrow("must be a number in [0, 10], got ''");
    expect(numberFlag(0, 10)('3e-3')).toBe(0.003);
    expect(() => choiceFlag(['rgb', 'ybr'] as const)('rgy')).toThrow("must be one of rgb, ybr, got 'rgy'");
  });

  it('train refuses contradictory or incomplete options before touching the GPU', async () => {
    await expect(train(['--size', 'abc', '--data', 'd', '--out', 'o'])).rejects.toThrow(/--size <px>.*must be an integer >= 8, got 'abc'/);
    await expect(train(['--resume', 'RUN', '--lr', '0.1'])).rejects.toThrow("--resume takes the run's own options; drop --lr");
    await expect(train(['--data', 'd'])).rejects.toThrow('train: --data and --out are required (or --resume RUN)');
    await expect(train(['--data', 'd', '--out', 'o', '--folds', '5'])).rejects.toThrow('--folds and --fold go together');
    await expect(train(['--data', 'd', '--out', 'o', '--folds', '5', '--fold', '5'])).rejects.toThrow('--fold 5 is not in 0..4');
    await expect(train(['--data', 'd', '--out', 'o', '--size', '300'])).rejects.toThrow('--size 300 is larger than --resize 256');
  });
});

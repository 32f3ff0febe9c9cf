import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/program.js';
import { cli } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'hpa-usage-'));
/** A path that must stay absent: usage errors fail before anything is read or written. */
const untouched = join(tmp, 'never-written');

/** Each command's required flags, filled in, so one case can break exactly one flag. */
const REQUIRED: Record<string, string[]> = {
  devices: [],
  smoke: [],
  info: [],
  synth: ['--out', untouched, '--images', '2'],
  blend: ['--data', tmp, '--id', 'x', '--png', join(untouched, 'x.png')],
  stats: ['--data', tmp],
  gallery: ['--data', tmp, '--out', untouched],
  segment: ['--data', tmp, '--out', untouched],
  tiles: ['--data', tmp, '--seg', tmp, '--out', untouched],
  train: ['--data', tmp, '--out', untouched],
  predict: ['--data', tmp, '--image-model', join(tmp, 'm.safetensors'), '--out', untouched],
  evaluate: ['--truth', tmp, '--submission', join(tmp, 's.csv')],
  demo: ['--out', untouched],
};

interface Case {
  args: string[];
  /** What the one line must contain: the flag, and the rule or the value. */
  says: string;
  /** The args are the whole command line (a required flag left out on purpose); otherwise
   * they follow the filled-in required flags, and commander lets the later value win. */
  alone?: boolean;
}

/** Per command: a non-numeric number, an out-of-range value, a missing required flag and
 * other bad values. Every command also gets an unknown flag and a stray argument (below). */
const CASES: Record<string, Case[]> = {
  devices: [],
  smoke: [
    { args: ['--steps', 'abc'], says: "--steps: must be an integer in 2..100000, got 'abc'" },
    { args: ['--steps', '1'], says: "--steps: must be an integer in 2..100000, got '1'" },
    { args: ['--steps', '1.5'], says: "--steps: must be an integer in 2..100000, got '1.5'" },
  ],
  info: [
    { args: ['--classes', 'many'], says: "--classes: must be an integer in 1..1000000, got 'many'" },
    { args: ['--classes', '0'], says: "--classes: must be an integer in 1..1000000, got '0'" },
    { args: ['--in-channels', '5'], says: "--in-channels: must be an integer in 3..4, got '5'" },
    { args: ['--model', 'b9'], says: "--model: must be one of b0, b1, b2, b3, b4, b5, b6, b7, got 'b9'" },
    { args: ['--padding', 'valid'], says: "--padding: must be one of symmetric, same, got 'valid'" },
    { args: ['--bn', 'tf'], says: "--bn: must be one of torchvision, lukemelas, got 'tf'" },
  ],
  synth: [
    { args: ['--out', untouched], says: "required option '--images <n>' not specified", alone: true },
    { args: ['--images', '2'], says: "required option '--out <dir>' not specified", alone: true },
    { args: ['--images', 'two'], says: "--images: must be an integer in 1..1000000, got 'two'" },
    { args: ['--size', '8'], says: "--size: must be an integer in 16..8192, got '8'" },
    { args: ['--seed', '-1'], says: "--seed: must be an integer in 0..4294967295, got '-1'" },
    { args: ['--bit-depth', '12'], says: "--bit-depth: must be one of 8, 16, got '12'" },
    { args: ['--min-cells', '0'], says: "--min-cells: must be an integer in 1..1000, got '0'" },
    { args: ['--min-cells', '8', '--max-cells', '4'], says: '--min-cells 8 is above --max-cells 4' },
    { args: ['--out', ''], says: "--out: must not be empty, got ''" },
  ],
  blend: [
    { args: ['--data', tmp, '--id', 'x'], says: "required option '--png <file>' not specified", alone: true },
    { args: ['--blend', 'rgx'], says: "--blend: blend 'rgx': unknown channel 'rgx'" },
    { args: ['--blend', 'red,red'], says: "--blend: blend 'red,red': a channel appears twice" },
  ],
  stats: [{ args: ['--chart', join(untouched, 'c.png')], says: "required option '--data <dir>' not specified", alone: true }],
  gallery: [
    { args: ['--data', tmp], says: "required option '--out <dir>' not specified", alone: true },
    { args: ['--fields', 'all'], says: "--fields: must be an integer in 1..64, got 'all'" },
    { args: ['--fields', '0'], says: "--fields: must be an integer in 1..64, got '0'" },
    { args: ['--panel', '8'], says: "--panel: must be an integer in 16..4096, got '8'" },
  ],
  segment: [
    { args: ['--data', tmp], says: "required option '--out <dir>' not specified", alone: true },
    { args: ['--scale', 'abc'], says: "--scale: must be a number in (0, 1], got 'abc'" },
    { args: ['--scale', '0'], says: "--scale: must be a number in (0, 1], got '0'" },
    { args: ['--scale', '1.5'], says: "--scale: must be a number in (0, 1], got '1.5'" },
    { args: ['--green', '-1'], says: "--green: must be a number in [0, 100], got '-1'" },
  ],
  tiles: [
    { args: ['--data', tmp, '--out', untouched], says: "required option '--seg <dir>' not specified", alone: true },
    { args: ['--size', 'big'], says: "--size: must be an integer in 8..4096, got 'big'" },
    { args: ['--size', '4'], says: "--size: must be an integer in 8..4096, got '4'" },
    { args: ['--margin', '-2'], says: "--margin: must be an integer in 0..4096, got '-2'" },
  ],
  train: [
    { args: ['--data', tmp], says: '--data and --out are required (or --resume RUN)', alone: true },
    { args: ['--lr', 'fast'], says: "--lr: must be a number in (0, 10], got 'fast'" },
    { args: ['--lr', '0'], says: "--lr: must be a number in (0, 10], got '0'" },
    { args: ['--size', 'abc'], says: "--size: must be an integer in 8..4096, got 'abc'" },
    { args: ['--epochs', '0'], says: "--epochs: must be an integer in 1..100000, got '0'" },
    { args: ['--val-split', '1'], says: "--val-split: must be a number in [0, 1), got '1'" },
    { args: ['--workers', '-1'], says: "--workers: must be an integer in 0..256, got '-1'" },
    { args: ['--model', 'b8'], says: "--model: must be one of b0, b1, b2, b3, b4, b5, b6, b7, got 'b8'" },
    { args: ['--blend', 'green,blue'], says: "--blend: EfficientNet takes 3 or 4 channels, 'green,blue' has 2" },
    { args: ['--folds', '5'], says: '--folds and --fold go together' },
    { args: ['--folds', '5', '--fold', '5'], says: '--fold 5 is not in 0..4' },
    { args: ['--folds', '5', '--fold', '1', '--val-split', '0.2'], says: '--val-split and --folds are two ways to validate: give one' },
    { args: ['--size', '300'], says: '--size 300 is larger than --resize 256' },
    { args: ['--schedule', 'cosine'], says: "--schedule: must be one of constant, warmup-cosine, got 'cosine'" },
    { args: ['--pos-weight', '3'], says: "--pos-weight: must be one of none, balanced, sqrt, got '3'" },
  ],
  predict: [
    { args: ['--data', tmp, '--out', untouched], says: "required option '--image-model <file>' not specified", alone: true },
    { args: ['--weight', 'half'], says: "--weight: must be a number in [0, 1], got 'half'" },
    { args: ['--weight', '1.5'], says: "--weight: must be a number in [0, 1], got '1.5'" },
    { args: ['--batch', '0'], says: "--batch: must be an integer in 1..4096, got '0'" },
    { args: ['--tile-size', '2'], says: "--tile-size: must be an integer in 8..4096, got '2'" },
    { args: ['--tta', 'rotate'], says: "--tta: must be one of none, flip, got 'rotate'" },
    { args: ['--split', 'val'], says: "--split: must be one of train, test, got 'val'" },
  ],
  evaluate: [
    { args: ['--submission', join(tmp, 's.csv')], says: "required option '--truth <dir>' not specified", alone: true },
    { args: ['--truth', tmp], says: '--submission CSV is required (or --sweep --scores FILE)', alone: true },
    { args: ['--sweep'], says: '--sweep needs --scores FILE' },
    { args: ['--sweep', '--scores', join(tmp, 'x.json')], says: '--sweep scores cached scores, not --submission: give one of them' },
  ],
  demo: [
    { args: ['--quick'], says: "required option '--out <dir>' not specified", alone: true },
    { args: ['--seeds', '0'], says: "--seeds: must be an integer in 1..10, got '0'" },
    { args: ['--seeds', 'two'], says: "--seeds: must be an integer in 1..10, got 'two'" },
  ],
};

function argsFor(command: string, c: Case): string[] {
  return c.alone ? [command, ...c.args] : [command, ...REQUIRED[command], ...c.args];
}

async function expectUsage(args: string[], command: string, says: string): Promise<void> {
  const r = await cli(...args);
  expect(r.code, `${args.join(' ')}: ${r.err.join(' | ')}`).toBe(2);
  expect(r.err, args.join(' ')).toHaveLength(1);
  expect(r.err[0].startsWith(`hpa-engine: ${command}: `), r.err[0]).toBe(true);
  expect(r.err[0]).toContain(says);
  expect(r.err[0]).toMatch(new RegExp(`\\(see hpa-engine ${command} --help\\)$`));
  expect(r.out).toBe('');
}

describe('every command refuses bad input with exit 2 and one line naming the flag', () => {
  const names = buildProgram().commands.map((c) => c.name());

  it('covers every registered command', () => {
    expect(Object.keys(CASES).sort()).toEqual([...names].sort());
  });

  for (const command of Object.keys(CASES)) {
    describe(command, () => {
      it('an unknown flag', async () => {
        await expectUsage([command, ...REQUIRED[command], '--bogus', '1'], command, "unknown option '--bogus'");
      });
      it('a stray argument', async () => {
        await expectUsage([command, ...REQUIRED[command], 'stray'], command, 'too many arguments');
      });
      for (const c of CASES[command]) {
        it(c.args.join(' ') || '(nothing)', async () => {
          await expectUsage(argsFor(command, c), command, c.says);
        });
      }
    });
  }

  it('touched no file: every failure came before any read or write', () => {
    expect(existsSync(untouched)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('the program', () => {
  it('an unknown command, and no command at all, are usage errors', async () => {
    const r = await cli('trian');
    expect(r).toMatchObject({ code: 2, err: ["hpa-engine: unknown command 'trian' (Did you mean train?) (see hpa-engine --help)"] });
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.help).toMatch(/^Usage: hpa-engine \[options\] \[command\]/);
  });

  it('--version prints the package version and exits 0', async () => {
    const version = (await import('../../package.json', { with: { type: 'json' } })).default.version;
    expect(await cli('--version')).toMatchObject({ code: 0, help: `${version}\n` });
  });

  it('--help exits 0, and shows every default in one style', async () => {
    const help = await cli('train', '--help');
    expect(help.code).toBe(0);
    expect(help.help).toMatch(/^Usage: hpa-engine train \[options\]/);
    for (const c of buildProgram().commands) {
      const help = c.helpInformation();
      expect(help, c.name()).not.toMatch(/default: "/);
      expect(help, c.name()).not.toMatch(/\(default [^:]/);
    }
    const train = buildProgram().commands.find((c) => c.name() === 'train')!.helpInformation().replace(/\s+/g, ' ');
    expect(train).toContain('--model <name> EfficientNet variant (b0, b1, b2, b3, b4, b5, b6, b7) (default: b0)');
    expect(train).toContain('--lr <rate> Adam learning rate (default: 0.001)');
    expect(train).toContain('(a linear ramp over the first 10% of steps, then half a cosine to 0) (default: constant)');
    expect(train).toContain("as torch's BCEWithLogitsLoss pos_weight) or sqrt (its square root) (default: none)");
    expect(train).toContain('--workers <n> decode threads (default: cores - 1)');
    expect(train).toContain('--eager run every op of every step as it is called instead of replaying the captured step');
    const segment = buildProgram().commands.find((c) => c.name() === 'segment')!.helpInformation().replace(/\s+/g, ' ');
    expect(segment).toContain('--out <dir> output folder (required)');
  });

  it('--out is a folder wherever it appears; commands that write one file name it as a file', () => {
    for (const c of buildProgram().commands) {
      const out = c.options.find((o) => o.long === '--out');
      if (out) expect(out.flags, c.name()).toBe('--out <dir>');
    }
    const blend = buildProgram().commands.find((c) => c.name() === 'blend')!;
    expect(blend.options.map((o) => o.flags)).toContain('--png <file>');
  });
});

/**
 * The `hpa-engine` program: conventions shared by every command, and the list of commands.
 *
 * How a command is written (cli/commands/<name>.ts, one small file each):
 *  1. flags built with flag() and the parsers of flags.ts, defaults taken from the
 *     pipeline's own defaults constant (never restated here);
 *  2. the action turns the parsed flags into the pipeline's typed options (checks that
 *     involve two flags throw UsageError), calls pipeline/, and prints; with --json the
 *     result goes to stdout as JSON and progress lines to stderr.
 * pipeline/ and models/ take typed options and never name a flag. See cli/README.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describeError, EXIT } from './errors.js';
import { HELP_STYLE } from './help.js';
import { registerDevices } from './commands/devices.js';
import { registerSmoke } from './commands/smoke.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerInfo } from './commands/info.js';
import { registerSegment } from './commands/segment.js';
import { registerTiles } from './commands/tiles.js';
import { registerSynth } from './commands/synth.js';
import { registerBlend } from './commands/blend.js';
import { registerStats } from './commands/stats.js';
import { registerGallery } from './commands/gallery.js';
import { registerTrain } from './commands/train.js';
import { registerPredict } from './commands/predict.js';
import { registerDemo } from './commands/demo.js';

const COMMANDS: Array<(program: Command) => void> = [
  registerDevices,
  registerSmoke,
  registerInfo,
  registerSynth,
  registerBlend,
  registerStats,
  registerGallery,
  registerSegment,
  registerTiles,
  registerTrain,
  registerPredict,
  registerEvaluate,
  registerDemo,
];

/** This package's version: its package.json is the nearest one above (cli/ in the sources,
 * dist/cli/ when built). */
function version(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command()
    .name('hpa-engine')
    .description('Protein localisation in Human Protein Atlas cells, on a WebGPU tensor engine')
    .version(version(), '--version', 'print the version')
    .option('--verbose', "stack traces on errors, and Dawn's own warnings")
    // Errors come back as exceptions (runCli prints them in one line), settings that every
    // command added afterwards inherits.
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .configureHelp(HELP_STYLE);
  for (const register of COMMANDS) register(program);
  return program;
}

export interface CliIo {
  /** Where error lines go (stderr). */
  error(line: string): void;
  /** Where commander writes help and the version (stdout, and stderr for help after an error). */
  writeOut?: (s: string) => void;
  writeErr?: (s: string) => void;
}

/** Runs one command line (`argv` as process.argv gives it) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = { error: (l) => process.stderr.write(`${l}\n`) }): Promise<number> {
  const program = buildProgram();
  if (io.writeOut || io.writeErr) {
    const out = { writeOut: io.writeOut, writeErr: io.writeErr };
    for (const c of [program, ...program.commands]) c.configureOutput({ ...c.configureOutput(), ...Object.fromEntries(Object.entries(out).filter(([, v]) => v)) });
  }
  const args = argv.slice(2);
  const name = args.find((a) => !a.startsWith('-'));
  const command = program.commands.find((c) => c.name() === name)?.name();
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (err) {
    const r = describeError(err, command);
    if (args.includes('--verbose') && r.stack) io.error(r.stack);
    else if (r.line) io.error(r.line);
    return r.code;
  }
}

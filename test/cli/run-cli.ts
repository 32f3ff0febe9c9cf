/**
 * Runs one `hpa-engine` command line in this process, exactly as cli/main.ts does (the same
 * program, parsers, error lines and exit codes), with stdout and stderr captured.
 */
import { vi } from 'vitest';
import { runCli } from '../../cli/program.js';

export interface CliRun {
  code: number;
  /** console.log lines (stdout). */
  out: string;
  /** Error lines and console.error lines (stderr). */
  err: string[];
  /** What commander wrote itself: help and the version. */
  help: string;
}

export async function cli(...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const help: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s: unknown) => void out.push(String(s)));
  const error = vi.spyOn(console, 'error').mockImplementation((s: unknown) => void err.push(String(s)));
  try {
    const code = await runCli(['node', 'hpa-engine', ...args], { error: (l) => err.push(l), writeOut: (s) => help.push(s), writeErr: (s) => help.push(s) });
    return { code, out: out.join('\n'), err, help: help.join('') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

import { CommanderError } from 'commander';

/** Exit codes of every command. */
export const EXIT = {
  ok: 0,
  failure: 1,
  /** Unknown flag or command, bad value, missing or contradictory flags. */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT), as shells report it. */
  interrupted: 130,
} as const;

/** Bad command-line input; the message names the flag. */
export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
}

/**
 * Library errors that a flag can fix carry the typed option that fixes it (`force` for an
 * output that exists); the CLI names the flag, so pipeline/ and models/ never do.
 */
function hintFor(err: Error): string {
  if ((err as Error & { option?: unknown }).option !== 'force') return '';
  return (err as Error & { kind?: unknown }).kind === 'folder' ? ' (use --force to write into it)' : ' (use --force to replace it)';
}

export interface Reported {
  code: number;
  /** The one line for stderr (empty when Commander already printed help). */
  line: string;
  stack?: string;
}

/**
 * Any error as the one line a user sees, `hpa-engine: <what, where>`, and its exit code.
 * Commander's own messages lose their "error: " prefix and gain the command's help hint.
 */
export function describeError(err: unknown, command?: string): Reported {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return { code: EXIT.ok, line: '' };
    // `hpa-engine` with no command: Commander has printed the help to stderr.
    if (err.code === 'commander.help') return { code: EXIT.usage, line: '' };
    const msg = err.message.replace(/^error: /, '').split('\n').join(' ');
    const where = command ? `${command}: ` : '';
    const help = command ? `hpa-engine ${command} --help` : 'hpa-engine --help';
    return { code: EXIT.usage, line: `hpa-engine: ${where}${msg} (see ${help})` };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as Error & { exitCode?: unknown }).exitCode;
  const oneLine = e.message.split('\n').join(' ');
  if (e instanceof UsageError) {
    const where = command ? `${command}: ` : '';
    return { code: EXIT.usage, line: `hpa-engine: ${where}${oneLine} (see hpa-engine ${command ? `${command} ` : ''}--help)`, stack: e.stack };
  }
  return { code: typeof code === 'number' ? code : EXIT.failure, line: `hpa-engine: ${oneLine}${hintFor(e)}`, stack: e.stack };
}

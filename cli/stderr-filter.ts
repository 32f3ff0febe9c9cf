/**
 * Dawn prints two warnings on every lavapipe adapter ("maxDynamic...PerPipelineLayout
 * artificially reduced ... to fit dynamic offset allocation limit") from native code,
 * while it enumerates adapters: before any limit can be requested, and past anything
 * JavaScript can intercept. So the CLI runs the command in a child process whose stderr it
 * reads, drops exactly those lines and passes everything else on at once. --verbose runs
 * in-process and shows them.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const DAWN_LIMIT_WARNING = /^Warning: maxDynamic\w+PerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?$/;
const PREFIX = 'Warning: maxDynamic';

/** Set in the child: 'tty:<columns>' when the user's stderr is a terminal, else 'pipe'. */
export const CHILD_ENV = 'HPA_ENGINE_STDERR';

/** Line filter that never holds back text which cannot become a Dawn warning line
 * (progress bars redraw with '\r' and no newline). */
export class DawnWarningFilter {
  private pending = '';
  constructor(private readonly write: (s: string) => void) {}

  push(chunk: string): void {
    this.pending += chunk;
    let nl: number;
    let out = '';
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      if (!DAWN_LIMIT_WARNING.test(line)) out += `${line}\n`;
    }
    const p = this.pending;
    if (p && !(p.length < PREFIX.length ? PREFIX.startsWith(p) : p.startsWith(PREFIX))) {
      out += p;
      this.pending = '';
    }
    if (out) this.write(out);
  }

  end(): void {
    if (this.pending && !DAWN_LIMIT_WARNING.test(this.pending)) this.write(this.pending);
    this.pending = '';
  }
}

/** Runs this same command line in a child with stderr filtered; resolves to its exit code
 * (128 + signal number when a signal ended it: 130 after Ctrl-C). */
export function runFiltered(): Promise<number> {
  const err = process.stderr;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [CHILD_ENV]: err.isTTY ? `tty:${err.columns ?? 80}` : 'pipe' },
  });
  // Ctrl-C reaches the child itself (same process group): it decides how to stop (train
  // writes a checkpoint first), and this process waits for it. Other stops are passed on.
  process.on('SIGINT', () => {});
  for (const s of ['SIGTERM', 'SIGHUP'] as const) process.on(s, () => child.kill(s));
  const filter = new DawnWarningFilter((s) => err.write(s));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => filter.push(s));
  return new Promise((resolve) => {
    child.on('error', (e) => {
      err.write(`hpa-engine: could not start ${process.execPath}: ${e.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      filter.end();
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

/** In the child: the progress bar sees the user's terminal, not the pipe to the parent. */
export function adoptParentTerminal(): void {
  const m = /^tty:(\d+)$/.exec(process.env[CHILD_ENV] ?? '');
  // Not inherited further: a command that runs hpa-engine itself gets its own filter.
  delete process.env[CHILD_ENV];
  if (!m) return;
  Object.assign(process.stderr, { isTTY: true, columns: Number(m[1]) });
}

// Turns any error into the one-line message a user sees; the stack only with --verbose.
export function reportAndExit(err: unknown, verbose: boolean): never {
  const e = err instanceof Error ? err : new Error(String(err));
  if (verbose && e.stack) console.error(e.stack);
  else console.error(`hpa-engine: ${e.message.split('\n').join(' ')}`);
  const code = (e as Error & { exitCode?: unknown }).exitCode;
  process.exit(typeof code === 'number' ? code : 1);
}

/** The one-line error for a file that could not be opened or read: `FILE: file not found`
 * or `FILE: cannot read (EACCES)`, with `context` (e.g. the csv row) appended. */
export function readFailure(file: string, e: unknown, context?: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const what = code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? (e as Error).message})`;
  return new Error(`${file}: ${what}${context ? ` (${context})` : ''}`);
}

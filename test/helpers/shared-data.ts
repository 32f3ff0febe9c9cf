/**
 * Real data the repository does not carry (../shared beside the repo root: the HPA sample
 * fields and masks, the full train.csv, reference name tables). Tests that need it run
 * where it is and, where it is not, are skipped with the reason in their title and a line
 * on stderr, never silently.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
export const SHARED = join(ROOT, '..', 'shared');

export interface SharedFile {
  path: string;
  present: boolean;
  /** The test's name, with why it is skipped when the file is missing. */
  title(name: string): string;
}

export function sharedFile(rel: string): SharedFile {
  const path = join(SHARED, rel);
  const present = existsSync(path);
  const shown = relative(ROOT, path);
  if (!present) console.warn(`skipped: needs ${shown} (not found at ${path})`);
  return { path, present, title: (name) => (present ? name : `${name} [skipped: ${shown} not found]`) };
}

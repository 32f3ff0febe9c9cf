import { existsSync, readdirSync, statSync } from 'node:fs';

/**
 * An output that is already there and was not asked to be replaced. `option` names the
 * typed option that allows it (`force: true`); the CLI turns that into its flag.
 */
export class OutputExistsError extends Error {
  readonly option = 'force';
  constructor(
    readonly path: string,
    readonly kind: 'file' | 'folder',
  ) {
    super(kind === 'file' ? `${path}: already exists` : `${path}: not empty`);
  }
}

/** Refuses to replace a file unless `force`. */
export function refuseOverwrite(file: string, force: boolean | undefined): void {
  if (!force && existsSync(file)) throw new OutputExistsError(file, 'file');
}

/** Refuses to write into a folder that holds anything unless `force`. */
export function refuseNonEmpty(dir: string, force: boolean | undefined): void {
  if (force || !existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new Error(`${dir}: exists and is not a folder`);
  if (readdirSync(dir).length) throw new OutputExistsError(dir, 'folder');
}

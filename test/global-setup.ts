/**
 * Tests that run the real `hpa-engine` binary or pack the package read dist/. Build it
 * once before any test when a source file is newer than the build, so a test never runs an
 * old binary (and two test files never build at the same time).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const SOURCES = ['engine', 'kernels', 'models', 'pipeline', 'bench', 'cli'];
const STAMP = join(ROOT, 'dist', 'cli', 'main.js');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return t;
}

export default function setup(): void {
  const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
  const sources = Math.max(...SOURCES.map((d) => newest(join(ROOT, d))), statSync(join(ROOT, 'tsconfig.json')).mtimeMs);
  if (sources <= built) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  chmodSync(STAMP, 0o755);
}

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DawnWarningFilter } from '../../cli/stderr-filter.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';

/** The built binary, as `npx hpa-engine` runs it (test/global-setup.ts keeps it current). */
const MAIN = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: mkdtempSync(join(tmpdir(), 'hpa-cwd-')) });

const DAWN_LINE = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';

describe('the hpa-engine binary', () => {
  it('a usage error: exit 2, one line on stderr, nothing on stdout', () => {
    const r = run('segment', '--data', 'x', '--out', 'y', '--scale', 'abc');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("hpa-engine: segment: --scale: must be a number in (0, 1], got 'abc' (see hpa-engine segment --help)\n");
    expect(r.stdout).toBe('');
  });

  it('a failure: exit 1, one line; --verbose adds the stack', () => {
    const r = run('stats', '--data', '/nonexistent/hpa');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['hpa-engine: /nonexistent/hpa: no such folder']);
    const v = run('--verbose', 'stats', '--data', '/nonexistent/hpa');
    expect(v.status).toBe(1);
    expect(v.stderr).toMatch(/^Error: \/nonexistent\/hpa: no such folder\n\s+at /);
  });

  it("opens the adapter without Dawn's limit warnings on stderr", () => {
    const r = run('devices', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/artificially reduced/);
    // Anything else on stderr is the driver's, not ours (seen once under heavy load, unread):
    // shown, so it can be looked at, but not a failure of this check.
    if (r.stderr) console.warn(`devices wrote to stderr:\n${r.stderr}`);
    expect(JSON.parse(r.stdout).length).toBeGreaterThan(0);
  });

  it('exits 130 after Ctrl-C, train having written a checkpoint to resume from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpa-sigint-'));
    const data = join(dir, 'data');
    writeSynthDataset(data, { images: 12, size: 64, seed: 3 });
    const out = join(dir, 'run');
    // Its own process group, so the test can signal the group as a terminal's Ctrl-C does.
    const child = spawn(process.execPath, [MAIN, 'train', '--data', data, '--out', out, '--size', '32', '--resize', '32', '--batch', '4', '--epochs', '50', '--workers', '0', '--no-cache'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        const first = !stdout.includes('EfficientNet-B0');
        stdout += d;
        // The run header is printed once the Ctrl-C handler is in place.
        if (first && stdout.includes('EfficientNet-B0')) process.kill(-child.pid!, 'SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    expect(code, stderr).toBe(130);
    expect(stderr).toContain(`hpa-engine: stopped; continue with: hpa-engine train --resume ${out}`);
    expect(existsSync(join(out, 'last.safetensors'))).toBe(true);
  });

  it("trains through on Dawn's null backend, whose reads are noise, saying that its figures mean nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpa-null-'));
    const data = join(dir, 'data');
    writeSynthDataset(data, { images: 12, size: 64, seed: 3 });
    const out = join(dir, 'run');
    const r = spawnSync(process.execPath, [MAIN, 'train', '--data', data, '--out', out, '--size', '32', '--resize', '32', '--batch', '2', '--epochs', '2', '--workers', '0', '--no-cache'], {
      encoding: 'utf8',
      env: { ...process.env, HPA_BACKEND: 'null' },
    });
    // Before: the guard's flag read back as 0 and the run stopped at step 1 (exit 1).
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('the null backend runs no GPU work');
    expect(r.stdout).toMatch(/^ +2 \|/m);
  });
});

describe('Ctrl-C in a command with no stop of its own', () => {
  it('exits 130 (the child dies of SIGINT, the filtering parent reports 128 + 2)', async () => {
    const child = spawn(process.execPath, [MAIN, 'smoke', '--steps', '100000'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        const first = !stdout.includes('step');
        stdout += d;
        if (first && stdout.includes('step')) process.kill(-child.pid!, 'SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    expect(code).toBe(130);
  });
});

describe('the Dawn warning filter', () => {
  it('drops exactly the limit warnings, holds back nothing else, and passes partial lines on at once', () => {
    const seen: string[] = [];
    const f = new DawnWarningFilter((s) => seen.push(s));
    f.push(`${DAWN_LINE}\n${DAWN_LINE.replace('Uniform', 'Storage')}\nreal`);
    expect(seen).toEqual(['real']);
    f.push(' line\n\r[####      ] 4/10');
    expect(seen).toEqual(['real', ' line\n\r[####      ] 4/10']);
    f.push('Warn');
    expect(seen).toHaveLength(2); // could still become a Dawn warning
    f.push('ing: something else\n');
    expect(seen[2]).toBe('Warning: something else\n');
    f.push(DAWN_LINE.slice(0, 30));
    f.push(`${DAWN_LINE.slice(30)}\n`);
    f.push('Warning: maxDynamic but not the same text\n');
    f.end();
    expect(seen.slice(3)).toEqual(['Warning: maxDynamic but not the same text\n']);
  });
});

/**
 * The package as a user gets it: `npm pack`, installed from the tarball into a fresh
 * project, its three entry points imported by name, a matmul and its gradient computed on
 * the adapter, and a consumer file type-checked by tsc against the shipped .d.ts files
 * (no skipLibCheck).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const project = mkdtempSync(join(tmpdir(), 'hpa-consumer-'));

const CONSUMER = `import { initEngine, shutdownEngine, tensor, matmul, sum, backward, type Tensor } from 'hpa-engine';
import { efficientNetConfig, parameterCount } from 'hpa-engine/models';
import { LABEL_NAMES, parseBlend, TRAIN_DEFAULTS, type TrainOptions } from 'hpa-engine/pipeline';

const rt = await initEngine();
const a: Tensor = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
const b: Tensor = tensor(new Float32Array([1, -1, 0.5, 2, -2, 0.25]), [3, 2]);
a.requiresGrad = true;
b.requiresGrad = true;
const y = matmul(a, b);
backward(sum(y));
const options: Partial<TrainOptions> = { ...TRAIN_DEFAULTS, blend: parseBlend('rgb').join(',') };
console.log(JSON.stringify({
  adapter: rt.ctx.summary.name,
  y: [...(await y.data())],
  da: [...(await a.grad!.data())],
  db: [...(await b.grad!.data())],
  b0: parameterCount(efficientNetConfig('b0')),
  labels: LABEL_NAMES.length,
  blend: options.blend,
}));
shutdownEngine();
`;

/** Imports only: nothing may touch globals or Dawn until a device is asked for. */
const IMPORT_ONLY = `const before = 'GPUBufferUsage' in globalThis;
await import('hpa-engine');
await import('hpa-engine/models');
await import('hpa-engine/pipeline');
const after = 'GPUBufferUsage' in globalThis;
let refused = '';
try {
  await (await import('hpa-engine')).initEngine();
} catch (e) {
  refused = e.message;
}
console.log(JSON.stringify({ before, after, refused }));
`;

/** The README's library example, as a user would paste it. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- api-example:start[^>]*-->\s*```ts\n([\s\S]*?)```\s*<!-- api-example:end -->/.exec(readme);
  if (!m) throw new Error('README.md: no api-example block');
  return m[1];
}

beforeAll(() => {
  // dist/ is current (test/global-setup.ts); pack it as it is.
  const packed = JSON.parse(execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: ROOT, encoding: 'utf8' }));
  const tarball = join(project, packed[0].filename);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync(npm, ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', '--loglevel=error'], { cwd: project, stdio: 'pipe' });
  writeFileSync(join(project, 'consumer.ts'), CONSUMER);
  writeFileSync(join(project, 'readme-example.ts'), readmeExample());
  writeFileSync(join(project, 'import-only.mjs'), IMPORT_ONLY);
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        // The consumer's own Node types, as any Node project has them.
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        types: ['node'],
      },
      files: ['consumer.ts', 'readme-example.ts'],
    }),
  );
}, 120_000);

describe('the packed package', () => {
  it('type-checks a consumer against its .d.ts files, then runs a matmul and its gradient on the adapter', () => {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr, 'tsc').toBe('');
    expect(tsc.status).toBe(0);
    const run = spawnSync(process.execPath, ['consumer.js'], { cwd: project, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout);
    // y = A B; d sum(y) / dA = 1 B^T, / dB = A^T 1.
    expect(r.y).toEqual([-4, 3.75, -5.5, 7.5]);
    expect(r.da).toEqual([0, 2.5, -1.75, 0, 2.5, -1.75]);
    expect(r.db).toEqual([5, 5, 7, 7, 9, 9]);
    expect(r.b0).toBe(5_288_548);
    expect(r.labels).toBe(19);
    expect(r.blend).toBe('red,green,blue');
    expect(r.adapter.length).toBeGreaterThan(0);
  });

  it("the README's library example type-checks (above) and runs: one EfficientNet-B0 training step", () => {
    const run = spawnSync(process.execPath, ['readme-example.js'], { cwd: project, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const m = /^loss (\S+)$/m.exec(run.stdout);
    expect(m, run.stdout).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![1])).toBeLessThan(5);
  });

  it('imports with no side effects; only acquiring a device throws, with its advice, where no adapter exists', () => {
    // Dawn has no D3D12 backend on Linux: as good as a machine with no adapter.
    const backend = process.platform === 'win32' ? 'metal' : 'd3d12';
    const run = spawnSync(process.execPath, ['import-only.mjs'], { cwd: project, encoding: 'utf8', env: { ...process.env, HPA_BACKEND: backend } });
    expect(run.status, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.before).toBe(false);
    expect(r.after).toBe(false);
    expect(r.refused).toMatch(/^no WebGPU adapter could be opened \(tried /);
    expect(r.refused).toContain('HPA_BACKEND=vulkan|opengles');
  });
});

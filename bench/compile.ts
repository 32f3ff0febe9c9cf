// First-run cost of EfficientNet-B0: how many GPU pipelines each network and input size needs
// and how long the driver takes to compile them, cold and warm.
// `npm run bench -- compile [--json] [--shapes=b16x64,b32x48]`
// (default: the quick demo's image and tile shapes, pipeline/demo/presets.ts.)
// Lavapipe compiles a pipeline with LLVM at its first dispatch, on its queue thread (creating
// it takes ~0.1 s; see docs/BENCHMARKS.md), and keeps the result in Mesa's disk cache. So
// each shape's first training step and first eval forward are timed twice, each time in a
// fresh child process with MESA_SHADER_CACHE_DIR pointing at one new folder: first cold (the
// folder is empty, as on a fresh machine), then warm (the first run filled it). 'compile s'
// is cold minus warm. The shapes run in order in one process, so a later shape's 'new
// pipelines' counts only what the earlier ones did not already create: layers of one
// channel shape share a pipeline at every batch and size where their kernels take the sizes
// as uniforms. Adapters without a Mesa disk cache (real GPUs cache in their own driver)
// still get counts; their cold and warm runs may both be warm.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from '../engine/index.js';
import { EfficientNet } from '../models/efficientnet.js';
import { efficientNetConfig } from '../models/efficientnet-config.js';
import { EvalForward, TrainStep } from '../pipeline/train/steps.js';
import { DEMO_PRESETS } from '../pipeline/demo/presets.js';
import type { BenchRow } from './report.js';
import { option } from './args.js';

const CLASSES = 19;

interface Shape {
  batch: number;
  size: number;
}

interface PassResult {
  pass: 'train step' | 'eval forward';
  shape: string;
  /** pipelines this pass created that no earlier pass in the process had */
  pipelines: number;
  seconds: number;
}

function parseShapes(args: string[]): Shape[] {
  const q = DEMO_PRESETS.quick;
  const given = option(args, 'shapes') ?? `b${q.image.batch}x${q.image.size},b${q.tile.batch}x${q.tile.size}`;
  return given.split(',').map((g) => {
    const m = /^b(\d+)x(\d+)$/.exec(g.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 32) throw new Error(`compile bench: --shapes wants e.g. b16x64,b32x48 (batch x size >= 32), got '${g}'`);
    return { batch: Number(m[1]), size: Number(m[2]) };
  });
}

/** The child: one training step then one eval forward per shape, timed to their results. */
async function child(shapes: Shape[]): Promise<{ adapter: string; results: PassResult[] }> {
  const rt = await E.initEngine();
  const out: PassResult[] = [];
  const adapter = `${rt.ctx.summary.name} (${rt.ctx.summary.backend})`;
  try {
    const model = new EfficientNet(efficientNetConfig('b0', { numClasses: CLASSES }), 1);
    const opt = new E.Adam(Object.fromEntries(model.namedParameters()), { lr: 1e-3 });
    const rng = new E.Rng(5);
    for (const s of shapes) {
      const xs = Float32Array.from({ length: s.batch * s.size * s.size * 3 }, () => rng.next() * 2 - 1);
      const ys = Float32Array.from({ length: s.batch * CLASSES }, () => (rng.next() < 0.2 ? 1 : 0));
      const shape = `b${s.batch}@${s.size}`;
      const timed = async (pass: PassResult['pass'], run: () => Promise<unknown>) => {
        const p0 = rt.stats.pipelines;
        const t0 = performance.now();
        await run();
        out.push({ pass, shape, pipelines: rt.stats.pipelines - p0, seconds: (performance.now() - t0) / 1000 });
      };
      model.train();
      const st = new TrainStep(model, opt, {});
      await timed('train step', () => st.run(xs, [s.batch, s.size, s.size, 3], ys, [s.batch, CLASSES]));
      st.dispose();
      model.eval();
      const f = new EvalForward(model, {});
      await timed('eval forward', () => f.logits(xs, [s.batch, s.size, s.size, 3]));
      f.dispose();
    }
    opt.dispose();
    model.dispose();
    return { adapter, results: out };
  } finally {
    E.shutdownEngine();
  }
}

/** Runs the child in a process of its own against the shader cache folder `cache`. */
function runChild(shapes: string, cache: string): Promise<{ adapter: string; results: PassResult[] }> {
  const main = join(fileURLToPath(new URL('.', import.meta.url)), 'main.js');
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [main, 'compile', '--child', `--shapes=${shapes}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, MESA_SHADER_CACHE_DIR: cache, MESA_SHADER_CACHE_DISABLE: 'false' },
    });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = text.split('\n').find((l) => l.startsWith('{"child":'));
      if (code !== 0 || !line) return reject(new Error(`compile bench: child exited with ${code}: ${text.slice(-300)}`));
      resolve(JSON.parse(line).child);
    });
  });
}

export async function compileBench(args: string[]): Promise<BenchRow[]> {
  const shapes = parseShapes(args);
  if (args.includes('--child')) {
    console.log(JSON.stringify({ child: await child(shapes) }));
    return [];
  }
  const spec = shapes.map((s) => `b${s.batch}x${s.size}`).join(',');
  const cache = mkdtempSync(join(tmpdir(), 'hpa-compile-bench-'));
  try {
    const cold = await runChild(spec, cache);
    const warm = await runChild(spec, cache);
    const rows: BenchRow[] = [{ pass: `EfficientNet-B0, ${CLASSES} classes, adapter: ${cold.adapter}; each pass's first call, in a fresh process; cold: a new MESA_SHADER_CACHE_DIR, warm: the same one again` }];
    let total = 0;
    let coldS = 0;
    let warmS = 0;
    cold.results.forEach((c, i) => {
      const w = warm.results[i];
      total += c.pipelines;
      coldS += c.seconds;
      warmS += w.seconds;
      rows.push({ pass: c.pass, shape: c.shape, 'new pipelines': c.pipelines, 'pipelines so far': total, 'cold s': c.seconds, 'warm s': w.seconds, 'compile s (cold - warm)': c.seconds - w.seconds });
    });
    rows.push({ pass: 'all', shape: spec, 'new pipelines': total, 'pipelines so far': total, 'cold s': coldS, 'warm s': warmS, 'compile s (cold - warm)': coldS - warmS });
    return rows;
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

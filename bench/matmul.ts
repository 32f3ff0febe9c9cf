// Matmul kernels on the adapter at hand: GFLOP/s per variant for square sizes, and what one
// dispatch costs (many tiny dispatches in one pass, a submit each, a wait each).
// `npm run bench -- matmul [--json] [--sizes=256,512,1024,2048] [--variants=subgroup,basic]
//   [--blockings=16x1,8x1,24x1] [--runs=3]`
// Each figure is the best of --runs timings, each timing many dispatches recorded into ONE
// command encoder, measured with performance.now() around submit + onSubmittedWorkDone. The
// CPU may be shared (the software adapter runs on it), so cpu_util reports how many cores the
// process actually got while timing: below the core count means someone else had the rest.
import { acquireDevice, type GpuContext } from '../engine/device.js';
import { Rng } from '../engine/random.js';
import { canRunSubgroupVariant, chooseMatmulVariant, matmulKernel, MATMUL_VARIANTS, type MatmulParams, type MatmulVariant } from '../kernels/matmul.js';
import type { BenchRow } from './report.js';
import type { Kernel } from '../kernels/kernel.js';
import { uniformBuffer } from '../engine/runtime.js';
import { option } from './args.js';

const SECONDS_PER_TIMING = 0.4;
/** Slow variants skip a size when one dispatch would take longer than this. */
const MAX_SECONDS_PER_DISPATCH = 4;

function storage(ctx: GpuContext, data: Float32Array): GPUBuffer {
  const buf = ctx.device.createBuffer({ size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  ctx.device.queue.writeBuffer(buf, 0, data);
  return buf;
}

async function readBack(ctx: GpuContext, buf: GPUBuffer, count: number): Promise<Float32Array> {
  const staging = ctx.device.createBuffer({ size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = ctx.device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, count * 4);
  ctx.device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

interface Prepared {
  encodeInto(pass: GPUComputePassEncoder): void;
}

async function prepare(ctx: GpuContext, kernel: Kernel, buffers: GPUBuffer[]): Promise<Prepared> {
  const { code, workgroups } = kernel;
  const module = ctx.device.createShaderModule({ code });
  const pipeline = await ctx.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bind = ctx.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      ...buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
      ...(kernel.uniforms ? [{ binding: buffers.length, resource: { buffer: uniformBuffer(ctx.device, kernel.uniforms) } }] : []),
    ],
  });
  return {
    encodeInto(pass) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(...workgroups);
    },
  };
}

/** Seconds per dispatch (best of `runs`) and the cores the process used meanwhile. */
async function timeDispatches(ctx: GpuContext, k: Prepared, reps: number, runs: number): Promise<{ seconds: number; cpuUtil: number }> {
  let best = Infinity;
  let cpuUtil = 0;
  for (let r = 0; r < runs; r++) {
    const enc = ctx.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let i = 0; i < reps; i++) k.encodeInto(pass);
    pass.end();
    const cmd = enc.finish();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    ctx.device.queue.submit([cmd]);
    await ctx.device.queue.onSubmittedWorkDone();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (wall / reps < best) {
      best = wall / reps;
      cpuUtil = (cpu.user + cpu.system) / 1e6 / wall;
    }
  }
  return { seconds: best, cpuUtil };
}

/** A few entries against a float64 dot product, so a broken kernel never posts a figure. */
function spotCheck(label: string, n: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  const rng = new Rng(7);
  for (let t = 0; t < 16; t++) {
    const i = rng.int(n);
    const j = rng.int(n);
    let s = 0;
    let mag = 0;
    for (let k = 0; k < n; k++) {
      s += a[i * n + k] * b[k * n + j];
      mag += Math.abs(a[i * n + k] * b[k * n + j]);
    }
    if (!(Math.abs(c[i * n + j] - s) <= 1e-5 * mag + 1e-30)) throw new Error(`matmul bench: ${label} gives C[${i},${j}] = ${c[i * n + j]}, want ${s}`);
  }
}

async function squareRows(ctx: GpuContext, variants: MatmulVariant[], blockings: { rows: number; groups: number }[], sizes: number[], runs: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rng = new Rng(1);
  const skip = new Set<string>();
  for (const n of sizes) {
    const a = Float32Array.from({ length: n * n }, () => rng.next() * 2 - 1);
    const b = Float32Array.from({ length: n * n }, () => rng.next() * 2 - 1);
    const bufs = [storage(ctx, a), storage(ctx, b), storage(ctx, new Float32Array(n * n))];
    const flops = 2 * n ** 3;
    for (const variant of variants) {
      for (const blocking of variant === 'subgroup' ? blockings : [undefined]) {
        const label = blocking ? `${variant} ${blocking.rows}x${blocking.groups}` : variant;
        if (skip.has(label)) continue;
        const p: MatmulParams = { M: n, N: n, K: n, batch: 1, strideA: 0, strideB: 0, transA: false, transB: false, bias: false, variant, blocking };
        const kernel = matmulKernel(p);
        const k = await prepare(ctx, kernel, bufs);
        await timeDispatches(ctx, k, 1, 1); // the first dispatch compiles the pipeline
        spotCheck(label, n, a, b, await readBack(ctx, bufs[2], n * n));
        const warm = await timeDispatches(ctx, k, 1, 1);
        const reps = Math.max(1, Math.min(1000, Math.round(SECONDS_PER_TIMING / warm.seconds)));
        const t = await timeDispatches(ctx, k, reps, runs);
        rows.push({ variant: label, size: `${n}^3`, gflops: flops / t.seconds / 1e9, ms: t.seconds * 1e3, reps, cpu_util: t.cpuUtil });
        // the next size costs 8x: drop a variant that would take too long
        if (t.seconds * 8 > MAX_SECONDS_PER_DISPATCH) skip.add(label);
      }
    }
    for (const buf of bufs) buf.destroy();
  }
  return rows;
}

/** The per-dispatch cost, apart from any work: a 1x1x1 matmul repeated. */
async function overheadRows(ctx: GpuContext, variant: MatmulVariant, runs: number): Promise<BenchRow[]> {
  const bufs = [storage(ctx, new Float32Array([2])), storage(ctx, new Float32Array([3])), storage(ctx, new Float32Array(1))];
  const kernel = matmulKernel({ M: 1, N: 1, K: 1, batch: 1, strideA: 0, strideB: 0, transA: false, transB: false, bias: false, variant });
  const k = await prepare(ctx, kernel, bufs);
  await timeDispatches(ctx, k, 1, 1);
  const rows: BenchRow[] = [];
  const onePass = await timeDispatches(ctx, k, 2000, runs);
  rows.push({ variant: `dispatch overhead (${variant} 1x1x1)`, size: 'many in one pass, one submit', us_per_dispatch: onePass.seconds * 1e6 });
  for (const wait of [false, true]) {
    let best = Infinity;
    for (let r = 0; r < runs; r++) {
      const n = 300;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const enc = ctx.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        k.encodeInto(pass);
        pass.end();
        ctx.device.queue.submit([enc.finish()]);
        if (wait) await ctx.device.queue.onSubmittedWorkDone();
      }
      await ctx.device.queue.onSubmittedWorkDone();
      best = Math.min(best, (performance.now() - t0) / n);
    }
    rows.push({ variant: `dispatch overhead (${variant} 1x1x1)`, size: wait ? 'a submit and a wait each' : 'a submit each', us_per_dispatch: best * 1e3 });
  }
  for (const buf of bufs) buf.destroy();
  return rows;
}

export async function matmulBench(args: string[]): Promise<BenchRow[]> {
  const ctx = await acquireDevice();
  try {
    const runs = Number(option(args, 'runs') ?? 3);
    const sizes = (option(args, 'sizes') ?? '256,512,1024,2048').split(',').map(Number);
    const usable = MATMUL_VARIANTS.filter((v) => v !== 'subgroup' || canRunSubgroupVariant(ctx.summary, ctx.features));
    const asked = option(args, 'variants')?.split(',') as MatmulVariant[] | undefined;
    for (const v of asked ?? []) if (!usable.includes(v)) throw new Error(`matmul bench: variant '${v}' cannot run here (have: ${usable.join(', ')})`);
    // the chosen variant first; the others for comparison
    const chosen = chooseMatmulVariant(ctx.summary, ctx.features);
    const variants = asked ?? [chosen, ...usable.filter((v) => v !== chosen)];
    const blockings = (option(args, 'blockings') ?? '16x1').split(',').map((s) => {
      const [rows, groups] = s.split('x').map(Number);
      return { rows, groups };
    });
    const rows: BenchRow[] = [{ variant: `adapter: ${ctx.summary.name} (${ctx.summary.backend})`, size: `chosen variant: ${chosen}` }];
    rows.push(...(await squareRows(ctx, variants, blockings, sizes, runs)));
    rows.push(...(await overheadRows(ctx, variants[0], runs)));
    return rows;
  } finally {
    ctx.destroy();
  }
}

/**
 * Every matmul kernel variant, run on the real adapter against a float64 loop: ragged sizes,
 * the vec4 paths (sizes that are multiples of 4), all four transposes, batches with one
 * operand broadcast, the fused bias. Buffers are padded with NaN and C is prefilled with NaN,
 * so a kernel that reads past an operand into an output, or skips or overruns an output, fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDevice, type GpuContext } from '../../engine/device.js';
import { Rng } from '../../engine/random.js';
import { uniformBuffer } from '../../engine/runtime.js';
import { canRunSubgroupVariant, MATMUL_VARIANTS, matmulCandidates, whyNoSubgroupVariant, matmulKernel, type MatmulParams, type MatmulVariant } from '../../kernels/matmul.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await acquireDevice();
  const why = whyNoSubgroupVariant(ctx.summary, ctx.features);
  if (why) console.warn(`SKIPPED: the subgroup matmul kernel cases on ${ctx.summary.name}: ${why}`);
});
afterAll(() => ctx?.destroy());

interface Case {
  M: number;
  N: number;
  K: number;
  batch?: number;
  /** 'A' or 'B': that operand is one matrix shared by the whole batch. */
  shared?: 'A' | 'B';
  transA?: boolean;
  transB?: boolean;
  bias?: boolean;
  blocking?: { rows: number; groups: number };
  /** A small grid limit forces the row-tile x batch fold that huge im2col products need. */
  maxGrid?: number;
}

const PAD = 8; // NaN floats after each operand

function params(c: Case, variant: MatmulVariant): MatmulParams {
  const batch = c.batch ?? 1;
  return {
    M: c.M,
    N: c.N,
    K: c.K,
    batch,
    strideA: c.shared === 'A' ? 0 : c.M * c.K,
    strideB: c.shared === 'B' ? 0 : c.K * c.N,
    transA: !!c.transA,
    transB: !!c.transB,
    bias: !!c.bias,
    variant,
    blocking: c.blocking,
    maxWorkgroupsPerDimension: c.maxGrid,
  };
}

/** C = op(A) op(B) + bias in float64, with the same strides the kernel sees. */
function reference(p: MatmulParams, a: Float32Array, b: Float32Array, bias: Float32Array | null): Float64Array {
  const { M, N, K } = p;
  const out = new Float64Array(p.batch * M * N);
  for (let z = 0; z < p.batch; z++)
    for (let r = 0; r < M; r++)
      for (let c = 0; c < N; c++) {
        let s = bias ? bias[c] : 0;
        for (let k = 0; k < K; k++) {
          const av = a[z * p.strideA + (p.transA ? k * M + r : r * K + k)];
          const bv = b[z * p.strideB + (p.transB ? c * K + k : k * N + c)];
          s += av * bv;
        }
        out[(z * M + r) * N + c] = s;
      }
  return out;
}

function upload(data: Float32Array): GPUBuffer {
  const padded = new Float32Array(Math.ceil((data.length + PAD) / 4) * 4).fill(NaN);
  padded.set(data);
  const buf = ctx.device.createBuffer({ size: padded.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  ctx.device.queue.writeBuffer(buf, 0, padded);
  return buf;
}

async function readBack(buf: GPUBuffer): Promise<Float32Array> {
  const staging = ctx.device.createBuffer({ size: buf.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = ctx.device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, buf.size);
  ctx.device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

async function run(p: MatmulParams, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const aLen = (p.strideA ? p.batch : 1) * p.M * p.K;
  const bLen = (p.strideB ? p.batch : 1) * p.K * p.N;
  const a = rand(aLen);
  const b = rand(bLen);
  const bias = p.bias ? rand(p.N) : null;
  const want = reference(p, a, b, bias);

  const kernel = matmulKernel(p);
  const { device } = ctx;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: kernel.code });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const inputs = [upload(a), upload(b), ...(bias ? [upload(bias)] : [])];
  const out = upload(new Float32Array(p.batch * p.M * p.N).fill(NaN));
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [...[...inputs, out].map((buffer, binding) => ({ binding, resource: { buffer } })), ...(kernel.uniforms ? [{ binding: inputs.length + 1, resource: { buffer: uniformBuffer(device, kernel.uniforms) } }] : [])],
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(...kernel.workgroups);
  pass.end();
  device.queue.submit([enc.finish()]);
  const got = await readBack(out);
  const err = await device.popErrorScope();
  expect(err?.message ?? null).toBeNull();
  for (const buf of [...inputs, out]) buf.destroy();

  // Tolerance scaled by the sum of |a*b| terms, the size of f32 rounding here.
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const z = Math.floor(i / (p.M * p.N));
    const r = Math.floor(i / p.N) % p.M;
    const c = i % p.N;
    let mag = bias ? Math.abs(bias[c]) : 0;
    for (let k = 0; k < p.K; k++) {
      mag += Math.abs(a[z * p.strideA + (p.transA ? k * p.M + r : r * p.K + k)] * b[z * p.strideB + (p.transB ? c * p.K + k : k * p.N + c)]);
    }
    const e = Math.abs(got[i] - want[i]) / (mag + 1e-30);
    if (!(e <= 1e-5)) throw new Error(`${kernel.key}: C[${i}] (batch ${z}, row ${r}, col ${c}) = ${got[i]}, want ${want[i]}`);
    worst = Math.max(worst, e);
  }
  for (let i = want.length; i < got.length; i++) {
    if (!Number.isNaN(got[i])) throw new Error(`${kernel.key}: wrote past C, at element ${i}`);
  }
  expect(worst).toBeLessThanOrEqual(1e-5);
}

/**
 * Every case runs on every variant: real GPUs get 'tiled' and adapters without subgroups get
 * 'basic', so neither may be proven on fewer shapes than the one lavapipe picks. Backward
 * issues A-only and B-only transposes (dA = dC B^T, dB = A^T dC), so each layout appears with
 * ragged sizes, vec4-friendly sizes and a broadcast batch.
 */
const cases: Case[] = [
  // ragged sizes (scalar loads, every edge guard)
  { M: 1, N: 1, K: 1 },
  { M: 7, N: 13, K: 5 },
  { M: 33, N: 65, K: 17 },
  { M: 129, N: 3, K: 257 },
  // multiples of 4: the vec4 loads; 36 columns leave a partial 32-column group, 20 rows a partial row block
  { M: 20, N: 36, K: 24 },
  { M: 9, N: 8, K: 7 }, // B as vec4 rows, A scalar with a 3-k tail
  // all four transposes, ragged and vec4-friendly
  { M: 7, N: 13, K: 5, transA: true },
  { M: 7, N: 13, K: 5, transB: true },
  { M: 7, N: 13, K: 5, transA: true, transB: true },
  { M: 20, N: 36, K: 24, transA: true },
  { M: 20, N: 36, K: 24, transB: true },
  { M: 20, N: 36, K: 24, transA: true, transB: true },
  { M: 12, N: 8, K: 9, transA: true }, // A as vec4 along rows with a 1-k tail
  { M: 31, N: 67, K: 19, transA: true }, // odd sizes past one 64x64 tile, each single transpose
  { M: 67, N: 31, K: 19, transB: true },
  // batches, one operand broadcast
  { M: 5, N: 6, K: 7, batch: 3, shared: 'A' },
  { M: 8, N: 12, K: 16, batch: 2, shared: 'B', transB: true },
  { M: 8, N: 12, K: 16, batch: 3, shared: 'A', transA: true },
  { M: 7, N: 9, K: 5, batch: 3, shared: 'B', transA: true }, // backward's dA of a shared weight, ragged
  { M: 9, N: 7, K: 5, batch: 2, shared: 'A', transB: true },
  { M: 5, N: 7, K: 3, batch: 4 }, // no operand shared
  // more row tiles x batch than one grid dimension holds: folded over y and z
  { M: 33, N: 40, K: 9, batch: 11, shared: 'B', maxGrid: 10 },
  // fused bias
  { M: 6, N: 11, K: 5, bias: true },
  { M: 4, N: 8, K: 12, batch: 2, shared: 'B', bias: true },
];

/** Other register blockings the bench and tuner may try. */
const blockings: Case[] = [
  { M: 33, N: 70, K: 20, blocking: { rows: 8, groups: 2 } },
  { M: 19, N: 68, K: 16, blocking: { rows: 5, groups: 3 }, transB: true, bias: true },
  { M: 24, N: 12, K: 10, blocking: { rows: 6, groups: 1 }, transA: true }, // row blocks off the quad grid
  // 32 rows is what big products get (defaultRows): ragged last tile, both A layouts
  { M: 70, N: 36, K: 12, blocking: { rows: 32, groups: 1 }, transB: true },
  { M: 68, N: 20, K: 9, blocking: { rows: 32, groups: 1 }, transA: true },
];

/**
 * Every matmul kernel takes M, N, K, the batch strides and the grid fold as uniforms, so
 * layers of one layout at any channels, batch and input size share a pipeline: the same code
 * (hence key) for each pair here, and each result right through it.
 */
const sharedPipelines: [Case, Case][] = [
  [{ M: 20, N: 36, K: 24 }, { M: 52, N: 36, K: 8 }], // forward: rows and reduction change
  [{ M: 20, N: 36, K: 24 }, { M: 9, N: 100, K: 16 }], // and columns: another layer's channels
  [{ M: 7, N: 13, K: 5, transB: true, bias: true }, { M: 11, N: 6, K: 9, transB: true, bias: true }], // ragged everything, bias
  [{ M: 12, N: 8, K: 9, transA: true }, { M: 12, N: 8, K: 21, transA: true }], // weight gradient: K = N*H*W changes, 1-k tail both
  [{ M: 8, N: 12, K: 16, batch: 2, shared: 'B', transB: true }, { M: 5, N: 12, K: 4, batch: 5, shared: 'B', transB: true }], // batch and strides
  [{ M: 33, N: 40, K: 9, batch: 11, shared: 'B', maxGrid: 10 }, { M: 21, N: 40, K: 13, batch: 12, shared: 'B', maxGrid: 10 }], // folded grid
];

for (const variant of MATMUL_VARIANTS) {
  // the subgroup variant at one fixed blocking (its default depends on the size)
  const at = (c: Case): MatmulParams => ({ ...params(c, variant), ...(variant === 'subgroup' ? { blocking: { rows: 4, groups: 1 } } : {}) });
  describe(`matmul ${variant}: one pipeline for every size of a layout`, () => {
    sharedPipelines.forEach(([c1, c2], i) => {
      it(`${c1.M}x${c1.N}x${c1.K} and ${c2.M}x${c2.N}x${c2.K}${c1.transA ? ' Aᵀ' : ''}${c1.transB ? ' Bᵀ' : ''}${c1.maxGrid ? ' folded' : ''}`, async (t) => {
        if (variant === 'subgroup' && !canRunSubgroupVariant(ctx.summary, ctx.features)) t.skip(whyNoSubgroupVariant(ctx.summary, ctx.features) ?? undefined);
        const [k1, k2] = [c1, c2].map((c) => matmulKernel(at(c)));
        expect(k2.key).toBe(k1.key);
        expect(k2.code).toBe(k1.code);
        expect([...new Uint32Array(k2.uniforms!)]).not.toEqual([...new Uint32Array(k1.uniforms!)]);
        await run(at(c1), 300 + i);
        await run(at(c2), 310 + i);
      });
    });
  });
}

describe('matmul kernels on the real adapter vs a float64 loop', () => {
  for (const variant of MATMUL_VARIANTS) {
    describe(variant, () => {
      cases.forEach((c, i) => {
        it(`${c.batch ?? 1}x[${c.M}x${c.K}]${c.transA ? 'ᵀ' : ''} x [${c.K}x${c.N}]${c.transB ? 'ᵀ' : ''}${c.shared ? ` shared ${c.shared}` : ''}${c.bias ? ' +bias' : ''}${c.maxGrid ? ` grid limit ${c.maxGrid}` : ''}`, async (t) => {
          if (variant === 'subgroup' && !canRunSubgroupVariant(ctx.summary, ctx.features)) t.skip(whyNoSubgroupVariant(ctx.summary, ctx.features) ?? undefined);
          await run(params(c, variant), 100 + i);
        });
      });
      if (variant === 'subgroup') {
        blockings.forEach((c, i) => {
          it(`blocking ${c.blocking!.rows} rows x ${c.blocking!.groups} groups on ${c.M}x${c.N}x${c.K}`, async (t) => {
            if (!canRunSubgroupVariant(ctx.summary, ctx.features)) t.skip(whyNoSubgroupVariant(ctx.summary, ctx.features) ?? undefined);
            await run(params(c, variant), 200 + i);
          });
        });
      }
    });
  }
});

/**
 * Every candidate the tuner may time (kernels/matmul.ts's matmulCandidates), as this adapter
 * lists them and as a real GPU would (tiled, basic, subgroup blockings): a candidate is only
 * eligible if it is proven here, whichever machine tunes.
 */
describe('every matmul candidate the tuner may time', () => {
  const shapes: Omit<MatmulParams, 'variant' | 'blocking'>[] = [
    { M: 64, N: 68, K: 64, batch: 1, strideA: 0, strideB: 0, transA: false, transB: true, bias: false }, // 8 rows by default
    { M: 130, N: 96, K: 260, batch: 1, strideA: 0, strideB: 0, transA: true, transB: false, bias: true }, // 32 rows, ragged
  ];
  const gpuLike = () => ({ ...ctx.summary, isSoftware: false, architecture: 'gpu' });
  shapes.forEach((s, i) => {
    for (const adapter of ['this adapter', 'a real GPU'] as const) {
      it(`${s.M}x${s.N}x${s.K} as ${adapter} lists them`, async () => {
        const facts = adapter === 'this adapter' ? ctx.summary : gpuLike();
        const list = matmulCandidates(s, facts, ctx.features);
        expect(list.length).toBeGreaterThanOrEqual(2);
        for (const c of list) await run(c.params, 300 + i);
      });
    }
  });
});

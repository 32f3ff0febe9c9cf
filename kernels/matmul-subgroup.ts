import type { Kernel } from './kernel.js';
import { MATMUL_UNIFORM_STRUCT, matmulUniforms, tileGrid, uniformGridPrelude, type MatmulParams } from './matmul-params.js';

/**
 * Matmul for software adapters (llvmpipe/lavapipe). There a subgroup of 8 lanes is one 256-bit
 * vector, so arithmetic is cheap, but every storage load whose address differs per lane (or
 * depends on a loop counter or the workgroup id) is split into 8 scalar loads, each with its
 * own bounds check and branch: about ten instructions per float. Workgroup memory is dearer
 * still. So the kernel is shaped to load as few floats per FMA as possible:
 *
 * - one subgroup per workgroup computes ROWS rows x (32 * GROUPS) columns of C; lane l owns
 *   columns 4l..4l+3 of each 32-column group, kept as vec4 accumulators;
 * - each step of 4 k's loads op(B) once (a vec4 per lane per group) and the ROWS x 4 block of
 *   op(A) once, spread over the lanes as vec4s, then hands every A value to all lanes with
 *   subgroupBroadcast (a register shuffle);
 * - so a float loaded per lane feeds ROWS FMAs. 1024^3 ran about
 *   27 GFLOP/s on 2 cores at 16 or 32 rows (8 rows or 8 columns per lane clearly less); see defaultRows.
 *   Its 64 vec4 accumulators spill, but spills are plain stack moves; the FMAs are emitted
 *   row by row so each accumulator is loaded and stored once per step, which alone gained
 *   about a third over emitting them k by k;
 * - every operand layout (transposed or not) gets vec4 loads along its contiguous axis when
 *   the sizes allow, scalar loads otherwise; ragged edges clamp the load index and skip the store;
 * - M, N, K, the batch strides and the grid fold are uniforms, not constants: only the block,
 *   the load modes (sizes divisible by 4 or not) and K % 4 shape the code, so one pipeline
 *   serves every layer of one layout at every batch and input size (B0's step went from 102
 *   matmul pipelines to a handful). Each new pipeline costs lavapipe seconds of LLVM on a first
 *   run; the uniforms are loop-invariant (bench in docs/BENCHMARKS.md).
 */
const LANES = 8;

/**
 * Big products take 32 rows: each B load then feeds twice the FMAs, which measured ~12% less
 * time over B0's b16/128 GEMMs than 16 rows (interleaved A/B on lavapipe), unless 32 would
 * leave more rows of the last tile idle than 16 (M = 112: 128 vs 112 rows computed).
 * The unrolled body takes lavapipe seconds to compile, so small products (gradchecks, SE
 * squeezes), which finish in well under a millisecond either way, get smaller blocks.
 */
export function defaultRows(p: MatmulParams): number {
  const macs = p.batch * p.M * p.N * p.K;
  if (macs < 1 << 18) return 4;
  if (macs < 1 << 22) return 8;
  const rowsComputed = (r: number) => Math.ceil(p.M / r) * r;
  return rowsComputed(32) <= rowsComputed(16) ? 32 : 16;
}

type AMode = 'k4' | 'm4' | 'scalar';
type BMode = 'n4' | 'k4' | 'scalar';

export function matmulSubgroupKernel(p: MatmulParams): Kernel {
  const { M, N, K, transA, transB } = p;
  const ROWS = Math.max(1, Math.min(p.blocking?.rows ?? defaultRows(p), M));
  const GROUPS = Math.max(1, p.blocking?.groups ?? 1);
  // m4 reads row quads from row0, so it needs the row block to start on a quad
  const aMode: AMode =
    !transA && K % 4 === 0 && p.strideA % 4 === 0 ? 'k4' : transA && M % 4 === 0 && ROWS % 4 === 0 && p.strideA % 4 === 0 ? 'm4' : 'scalar';
  const bMode: BMode = !transB && N % 4 === 0 && p.strideB % 4 === 0 ? 'n4' : transB && K % 4 === 0 && p.strideB % 4 === 0 ? 'k4' : 'scalar';
  const cVec = N % 4 === 0;
  const tail = K % 4; // only possible when neither operand loads vec4 along k
  const L: string[] = [];
  const decl = (binding: number, name: string, vec: boolean, access: string) =>
    L.push(`@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<${vec ? 'vec4f' : 'f32'}>;`);

  L.push('enable subgroups;');
  L.push(MATMUL_UNIFORM_STRUCT);
  decl(0, 'A', aMode !== 'scalar', 'read');
  decl(1, 'B', bMode !== 'scalar', 'read');
  if (p.bias) decl(2, 'BIAS', cVec, 'read');
  decl(p.bias ? 3 : 2, 'C', cVec, 'read_write');
  L.push(`@group(0) @binding(${p.bias ? 4 : 3}) var<uniform> u: U;`);
  // A scalar element of a buffer declared either way.
  const elemA = (i: string) => (aMode === 'scalar' ? `A[${i}]` : `A[(${i}) / 4u][(${i}) % 4u]`);

  L.push(`@compute @workgroup_size(${LANES})`);
  L.push('fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {');
  const rowTiles = Math.ceil(M / ROWS);
  const grid = tileGrid(p, Math.ceil(N / (32 * GROUPS)), rowTiles);
  const folded = grid.workgroups[1] !== rowTiles || grid.workgroups[2] !== p.batch;
  L.push(`  ${uniformGridPrelude(folded)}`);
  L.push('  let uM = u.M;');
  L.push('  let uK = u.K;');
  L.push('  let uN = u.N;');
  L.push(`  let uK4 = uK - ${tail}u;`);
  L.push(`  let row0 = rowTile * ${ROWS}u;`);
  L.push('  let offA = z * u.strideA;');
  L.push('  let offB = z * u.strideB;');
  L.push('  let offC = z * uM * uN;');
  // Lane's first column in each group, and the clamped columns its loads use.
  for (let g = 0; g < GROUPS; g++) {
    L.push(`  let cb${g} = wid.x * ${32 * GROUPS}u + ${32 * g}u + lane * 4u;`);
    if (bMode === 'n4' || (p.bias && cVec)) L.push(`  let cq${g} = min(cb${g} / 4u, max(uN / 4u, 1u) - 1u);`);
    if (bMode !== 'n4' || (p.bias && !cVec)) for (let i = 0; i < 4; i++) L.push(`  let cc${g}_${i} = min(cb${g} + ${i}u, uN - 1u);`);
  }

  // --- op(A): per step of E k's, the ROWS x E block is spread over the lanes; aVal(r, e) broadcasts one value.
  const aLoadsFor = (E: number, scalarOnly: boolean, tag: string): { setup: string[]; loads: (k: string) => string[]; val: (r: number, e: number) => string } => {
    const setup: string[] = [];
    const mode: AMode = scalarOnly ? 'scalar' : aMode;
    if (mode === 'k4') {
      const H = Math.ceil(ROWS / LANES);
      for (let h = 0; h < H; h++)
        setup.push(`  let ar${tag}${h} = offA / 4u + min(row0 + min(lane + ${LANES * h}u, ${ROWS - 1}u), uM - 1u) * (uK / 4u);`);
      return {
        setup,
        loads: (k) => Array.from({ length: H }, (_, h) => `let av${h} = A[ar${tag}${h} + (${k}) / 4u];`),
        val: (r, e) => `subgroupBroadcast(av${Math.floor(r / LANES)}[${e}], ${r % LANES}u)`,
      };
    }
    if (mode === 'm4') {
      const NQ = Math.ceil(ROWS / 4);
      const H = Math.ceil((NQ * E) / LANES);
      for (let h = 0; h < H; h++) {
        setup.push(`  let aq${tag}${h} = min(lane + ${LANES * h}u, ${NQ * E - 1}u);`);
        setup.push(`  let ar${tag}${h} = offA / 4u + (aq${tag}${h} / ${NQ}u) * (uM / 4u) + min(row0 / 4u + aq${tag}${h} % ${NQ}u, uM / 4u - 1u);`);
      }
      return {
        setup,
        loads: (k) => Array.from({ length: H }, (_, h) => `let av${h} = A[ar${tag}${h} + (${k}) * (uM / 4u)];`),
        val: (r, e) => {
          const q = e * NQ + Math.floor(r / 4);
          return `subgroupBroadcast(av${Math.floor(q / LANES)}[${r % 4}], ${q % LANES}u)`;
        },
      };
    }
    // scalar: item q = e * ROWS + r
    const H = Math.ceil((ROWS * E) / LANES);
    for (let h = 0; h < H; h++) {
      setup.push(`  let aq${tag}${h} = min(lane + ${LANES * h}u, ${ROWS * E - 1}u);`);
      const r = `min(row0 + aq${tag}${h} % ${ROWS}u, uM - 1u)`;
      const e = `aq${tag}${h} / ${ROWS}u`;
      setup.push(`  let ar${tag}${h} = offA + ${transA ? `${e} * uM + ${r}` : `${r} * uK + ${e}`};`);
    }
    return {
      setup,
      loads: (k) => Array.from({ length: H }, (_, h) => `let av${h} = ${elemA(`ar${tag}${h} + (${k})${transA ? ' * uM' : ''}`)};`),
      val: (r, e) => {
        const q = e * ROWS + r;
        return `subgroupBroadcast(av${Math.floor(q / LANES)}, ${q % LANES}u)`;
      },
    };
  };

  // --- op(B): bv(e, g) is the vec4 of columns cb_g..cb_g+3 at k + e.
  const bLoadsFor = (E: number): { loads: (k: string) => string[]; val: (e: number, g: number) => string } => {
    if (bMode === 'n4') {
      return {
        loads: (k) => {
          const out: string[] = [];
          for (let e = 0; e < E; e++) for (let g = 0; g < GROUPS; g++) out.push(`let b${e}_${g} = B[offB / 4u + (${k} + ${e}u) * (uN / 4u) + cq${g}];`);
          return out;
        },
        val: (e, g) => `b${e}_${g}`,
      };
    }
    if (bMode === 'k4') {
      return {
        loads: (k) => {
          const out: string[] = [];
          for (let g = 0; g < GROUPS; g++) for (let i = 0; i < 4; i++) out.push(`let bt${g}_${i} = B[offB / 4u + cc${g}_${i} * (uK / 4u) + (${k}) / 4u];`);
          return out;
        },
        val: (e, g) => `vec4f(bt${g}_0[${e}], bt${g}_1[${e}], bt${g}_2[${e}], bt${g}_3[${e}])`,
      };
    }
    return {
      loads: (k) => {
        const out: string[] = [];
        for (let e = 0; e < E; e++)
          for (let g = 0; g < GROUPS; g++) {
            const parts = [0, 1, 2, 3].map((i) => `B[offB + ${transB ? `cc${g}_${i} * uK + ${k} + ${e}u` : `(${k} + ${e}u) * uN + cc${g}_${i}`}]`);
            out.push(`let b${e}_${g} = vec4f(${parts.join(', ')});`);
          }
        return out;
      },
      val: (e, g) => `b${e}_${g}`,
    };
  };

  const block = (k: string, E: number, a: ReturnType<typeof aLoadsFor>, indent: string) => {
    const b = bLoadsFor(E);
    const out = [...a.loads(k), ...b.loads(k)];
    for (let r = 0; r < ROWS; r++)
      for (let e = 0; e < E; e++) {
        out.push(`{ let a = vec4f(${a.val(r, e)});`);
        for (let g = 0; g < GROUPS; g++) out.push(`  acc${r}_${g} = fma(a, ${b.val(e, g)}, acc${r}_${g});`);
        out.push('}');
      }
    return out.map((s) => indent + s);
  };

  const aMain = aLoadsFor(4, false, 'm');
  const aTail = tail ? aLoadsFor(tail, true, 't') : null;
  L.push(...aMain.setup);
  if (aTail) L.push(...aTail.setup);
  for (let r = 0; r < ROWS; r++) for (let g = 0; g < GROUPS; g++) L.push(`  var acc${r}_${g} = vec4f(0.0);`);
  L.push('  for (var k = 0u; k < uK4; k += 4u) {');
  L.push(...block('k', 4, aMain, '    '));
  L.push('  }');
  if (aTail) {
    L.push('  {');
    L.push(...block('uK4', tail, aTail, '    '));
    L.push('  }');
  }

  // --- bias and stores
  for (let g = 0; g < GROUPS; g++) {
    if (p.bias) L.push(`  let bias${g} = ${cVec ? `BIAS[cq${g}]` : `vec4f(BIAS[cc${g}_0], BIAS[cc${g}_1], BIAS[cc${g}_2], BIAS[cc${g}_3])`};`);
    for (let r = 0; r < ROWS; r++) {
      const v = p.bias ? `acc${r}_${g} + bias${g}` : `acc${r}_${g}`;
      if (cVec) {
        L.push(`  if (row0 + ${r}u < uM && cb${g} < uN) { C[offC / 4u + (row0 + ${r}u) * (uN / 4u) + cb${g} / 4u] = ${v}; }`);
      } else {
        L.push(`  if (row0 + ${r}u < uM) { let v = ${v}; let o = offC + (row0 + ${r}u) * uN + cb${g};`);
        for (let i = 0; i < 4; i++) L.push(`    if (cb${g} + ${i}u < uN) { C[o + ${i}u] = v[${i}]; }`);
        L.push('  }');
      }
    }
  }
  L.push('}');
  // Everything the code depends on, and nothing it reads from `u`.
  const key = `matmul:subgroup:${ROWS}x${GROUPS}:${cVec ? 'c4' : 'c1'}:${aMode}:${bMode}:k${tail}:${+transA}${+transB}:${+p.bias}:${folded ? 'fold' : 'grid'}`;
  return { key, code: L.join('\n'), workgroups: grid.workgroups, uniforms: matmulUniforms(p, rowTiles, grid.workgroups) };
}

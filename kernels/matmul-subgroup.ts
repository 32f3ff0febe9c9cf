import type { Kernel } from './kernel.js';
import { matmulKey, tileGrid, type MatmulParams } from './matmul-params.js';

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
 *   the sizes allow, scalar loads otherwise; ragged edges clamp the load index and skip the store.
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
  const K4 = K - (K % 4);
  const tail = K % 4; // only possible when neither operand loads vec4 along k
  const L: string[] = [];
  const decl = (binding: number, name: string, vec: boolean, access: string) =>
    L.push(`@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<${vec ? 'vec4f' : 'f32'}>;`);

  L.push('enable subgroups;');
  decl(0, 'A', aMode !== 'scalar', 'read');
  decl(1, 'B', bMode !== 'scalar', 'read');
  if (p.bias) decl(2, 'BIAS', cVec, 'read');
  decl(p.bias ? 3 : 2, 'C', cVec, 'read_write');
  // A scalar element of a buffer declared either way.
  const elemA = (i: string) => (aMode === 'scalar' ? `A[${i}]` : `A[(${i}) / 4u][(${i}) % 4u]`);

  L.push(`@compute @workgroup_size(${LANES})`);
  L.push('fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {');
  const grid = tileGrid(p, Math.ceil(N / (32 * GROUPS)), Math.ceil(M / ROWS));
  L.push(`  ${grid.prelude}`);
  L.push(`  let row0 = rowTile * ${ROWS}u;`);
  L.push(`  let offA = z * ${p.strideA}u;`);
  L.push(`  let offB = z * ${p.strideB}u;`);
  L.push(`  let offC = z * ${M * N}u;`);
  // Lane's first column in each group, and the clamped columns its loads use.
  for (let g = 0; g < GROUPS; g++) {
    L.push(`  let cb${g} = wid.x * ${32 * GROUPS}u + ${32 * g}u + lane * 4u;`);
    if (bMode === 'n4' || (p.bias && cVec)) L.push(`  let cq${g} = min(cb${g} / 4u, ${Math.max(0, N / 4 - 1)}u);`);
    if (bMode !== 'n4' || (p.bias && !cVec)) for (let i = 0; i < 4; i++) L.push(`  let cc${g}_${i} = min(cb${g} + ${i}u, ${N - 1}u);`);
  }

  // --- op(A): per step of E k's, the ROWS x E block is spread over the lanes; aVal(r, e) broadcasts one value.
  const aLoadsFor = (E: number, scalarOnly: boolean, tag: string): { setup: string[]; loads: (k: string) => string[]; val: (r: number, e: number) => string } => {
    const setup: string[] = [];
    const mode: AMode = scalarOnly ? 'scalar' : aMode;
    if (mode === 'k4') {
      const H = Math.ceil(ROWS / LANES);
      for (let h = 0; h < H; h++)
        setup.push(`  let ar${tag}${h} = offA / 4u + min(row0 + min(lane + ${LANES * h}u, ${ROWS - 1}u), ${M - 1}u) * ${K / 4}u;`);
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
        setup.push(`  let ar${tag}${h} = offA / 4u + (aq${tag}${h} / ${NQ}u) * ${M / 4}u + min(row0 / 4u + aq${tag}${h} % ${NQ}u, ${M / 4 - 1}u);`);
      }
      return {
        setup,
        loads: (k) => Array.from({ length: H }, (_, h) => `let av${h} = A[ar${tag}${h} + (${k}) * ${M / 4}u];`),
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
      const r = `min(row0 + aq${tag}${h} % ${ROWS}u, ${M - 1}u)`;
      const e = `aq${tag}${h} / ${ROWS}u`;
      setup.push(`  let ar${tag}${h} = offA + ${transA ? `${e} * ${M}u + ${r}` : `${r} * ${K}u + ${e}`};`);
    }
    return {
      setup,
      loads: (k) => Array.from({ length: H }, (_, h) => `let av${h} = ${elemA(`ar${tag}${h} + (${k})${transA ? ` * ${M}u` : ''}`)};`),
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
          for (let e = 0; e < E; e++) for (let g = 0; g < GROUPS; g++) out.push(`let b${e}_${g} = B[offB / 4u + (${k} + ${e}u) * ${N / 4}u + cq${g}];`);
          return out;
        },
        val: (e, g) => `b${e}_${g}`,
      };
    }
    if (bMode === 'k4') {
      return {
        loads: (k) => {
          const out: string[] = [];
          for (let g = 0; g < GROUPS; g++) for (let i = 0; i < 4; i++) out.push(`let bt${g}_${i} = B[offB / 4u + cc${g}_${i} * ${K / 4}u + (${k}) / 4u];`);
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
            const parts = [0, 1, 2, 3].map((i) => `B[offB + ${transB ? `cc${g}_${i} * ${K}u + ${k} + ${e}u` : `(${k} + ${e}u) * ${N}u + cc${g}_${i}`}]`);
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
  if (K4 > 0) {
    L.push(`  for (var k = 0u; k < ${K4}u; k += 4u) {`);
    L.push(...block('k', 4, aMain, '    '));
    L.push('  }');
  }
  if (aTail) {
    L.push('  {');
    L.push(...block(`${K4}u`, tail, aTail, '    '));
    L.push('  }');
  }

  // --- bias and stores
  for (let g = 0; g < GROUPS; g++) {
    if (p.bias) L.push(`  let bias${g} = ${cVec ? `BIAS[cq${g}]` : `vec4f(BIAS[cc${g}_0], BIAS[cc${g}_1], BIAS[cc${g}_2], BIAS[cc${g}_3])`};`);
    for (let r = 0; r < ROWS; r++) {
      const v = p.bias ? `acc${r}_${g} + bias${g}` : `acc${r}_${g}`;
      if (cVec) {
        L.push(`  if (row0 + ${r}u < ${M}u && cb${g} < ${N}u) { C[offC / 4u + (row0 + ${r}u) * ${N / 4}u + cb${g} / 4u] = ${v}; }`);
      } else {
        L.push(`  if (row0 + ${r}u < ${M}u) { let v = ${v}; let o = offC + (row0 + ${r}u) * ${N}u + cb${g};`);
        for (let i = 0; i < 4; i++) L.push(`    if (cb${g} + ${i}u < ${N}u) { C[o + ${i}u] = v[${i}]; }`);
        L.push('  }');
      }
    }
  }
  L.push('}');
  return { key: matmulKey(p, `:${ROWS}x${GROUPS}:${grid.workgroups.join('x')}`), code: L.join('\n'), workgroups: grid.workgroups };
}

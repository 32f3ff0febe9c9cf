// The model bench's peers, live in the same run: at each shape, tfjs-webgpu's training step
// and eval forward, and tfjs-wasm's eval forward on 2 threads (it cannot train). They run
// before our engine opens its device, one child process at a time, so nothing overlaps.
import { measurePeer, type PeerResult, type PeerSpec } from './peer-tfjs.js';
import type { BenchRow } from './report.js';

export interface PeerShape {
  batch: number;
  size: number;
}

/** Seconds of timed steps per peer measurement (at least one step, whatever it costs). */
const PEER_BUDGET_S = 60;
/** The CI box's cores: tfjs-wasm is quoted on 2 threads. */
const WASM_THREADS = 2;

const label = (r: PeerResult) => (r.spec.backend === 'wasm' ? `tfjs-wasm-${r.spec.threads}t` : `tfjs-${r.spec.backend}`);

function specs(s: PeerShape, steps: number): PeerSpec[] {
  const base = { batch: s.batch, size: s.size, steps, budgetS: PEER_BUDGET_S };
  return [
    { ...base, backend: 'webgpu', mode: 'train' },
    { ...base, backend: 'webgpu', mode: 'infer' },
    { ...base, backend: 'wasm', mode: 'infer', threads: WASM_THREADS, warmup: 2 },
  ];
}

export async function measureModelPeers(shapes: PeerShape[], steps: number): Promise<PeerResult[]> {
  const out: PeerResult[] = [];
  for (const s of shapes)
    for (const spec of specs(s, steps)) {
      process.stderr.write(`model bench: peer ${spec.backend} ${spec.mode} b${s.batch}@${s.size}... `);
      const r = await measurePeer(spec);
      process.stderr.write(r.ok ? `${r.imagesPerSec.toFixed(2)} images/s\n` : `failed: ${r.error}\n`);
      out.push(r);
    }
  return out;
}

/** One row per peer measurement, in our rows' columns, plus what ran it. */
export function peerRows(results: PeerResult[]): BenchRow[] {
  return results.map((r) => {
    const row: BenchRow = {
      pass: `peer ${label(r)} ${r.spec.mode === 'train' ? 'train step' : 'eval forward'}`,
      batch: r.spec.batch,
      input: `${r.spec.size}x${r.spec.size}x3`,
    };
    if (!r.ok) return { ...row, peer: `failed: ${r.error}` };
    return {
      ...row,
      'warm-up s': r.warmupS,
      'ms/step': r.medianMs,
      'images/s': r.imagesPerSec,
      peer: `${r.peer}, median of ${r.stepMs.length} step${r.stepMs.length === 1 ? '' : 's'}${r.truncated ? ' (budget)' : ''}`,
    };
  });
}

/** Our row's ratios to each peer measured at its pass and shape. */
export function peerColumns(results: PeerResult[], mode: 'train' | 'infer', s: PeerShape, imagesPerS: number): BenchRow {
  const cols: BenchRow = {};
  for (const r of results) {
    if (!r.ok || r.spec.mode !== mode || r.spec.batch !== s.batch || r.spec.size !== s.size) continue;
    cols[`x ${label(r)}`] = imagesPerS / r.imagesPerSec;
  }
  return cols;
}

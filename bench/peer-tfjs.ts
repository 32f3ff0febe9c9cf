// The tfjs peers, measured live beside ours: each measurement runs in a child process
// (peer-tfjs-child.ts), so tfjs-webgpu's Dawn instance and tfjs-wasm's threads never share
// our process, and a peer that crashes or hangs costs one row, not the bench.
// tfjs is a devDependency used by bench/ alone; where it is not installed (a production
// install, the device machine) a measurement fails with one line saying so.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PeerBackend } from './peer-tfjs-setup.js';
import type { PeerFailure, PeerResult, PeerSpec } from './peer-tfjs-run.js';

export type { PeerBackend } from './peer-tfjs-setup.js';
export type { PeerMeasurement, PeerResult, PeerSpec } from './peer-tfjs-run.js';

export const PEER_RESULT_MARK = 'PEER_RESULT ';
/** The child's whole life, set-up and warm-up included; a lavapipe b8@224 training warm-up takes about a minute. */
const DEFAULT_TIMEOUT_S = 600;

const fail = (spec: PeerSpec, error: string): PeerFailure => ({ ok: false, spec, error });

/** The child's result line, or a one-line failure from what it printed. */
export function parsePeerOutput(spec: PeerSpec, stdout: string, stderr: string, exit: string): PeerResult {
  const line = stdout.split('\n').find((l) => l.startsWith(PEER_RESULT_MARK));
  if (line) {
    try {
      return JSON.parse(line.slice(PEER_RESULT_MARK.length)) as PeerResult;
    } catch {
      return fail(spec, `peer printed an unreadable result (${exit})`);
    }
  }
  const last = stderr.split('\n').map((l) => l.trim()).filter(Boolean).find((l) => /error/i.test(l)) ?? stderr.trim().split('\n').pop();
  return fail(spec, `peer died (${exit})${last ? `: ${last}` : ''}`);
}

export async function measurePeer(spec: PeerSpec, timeoutS = DEFAULT_TIMEOUT_S): Promise<PeerResult> {
  const child = fileURLToPath(new URL('./peer-tfjs-child.js', import.meta.url));
  if (!fs.existsSync(child)) return fail(spec, `peer script ${child} is missing (npm run build)`);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [child, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, timeoutS * 1000);
    p.on('error', (e) => {
      clearTimeout(timer);
      resolve(fail(spec, `peer could not start: ${e.message}`));
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const exit = timedOut ? `killed after ${timeoutS} s` : signal ? `signal ${signal}` : `exit ${code}`;
      resolve(parsePeerOutput(spec, stdout, stderr, exit));
    });
  });
}

async function imagesPerSecond(spec: PeerSpec): Promise<number> {
  const r = await measurePeer(spec);
  if (!r.ok) throw new Error(`${spec.backend} ${spec.mode} peer: ${r.error}`);
  return r.imagesPerSec;
}

/** tfjs training step (forward, sigmoid BCE, backward, Adam) in images/s. tfjs-wasm cannot train. */
export function peerTrainImagesPerSecond(backend: Exclude<PeerBackend, 'wasm'>, batch: number, size: number, steps: number): Promise<number> {
  return imagesPerSecond({ backend, mode: 'train', batch, size, steps });
}

/** tfjs eval forward in images/s; tfjs-wasm on `threads` threads (2: the CI box's cores). */
export function peerInferImagesPerSecond(backend: PeerBackend, batch: number, size: number, steps: number, threads = 2): Promise<number> {
  return imagesPerSecond({ backend, mode: 'infer', batch, size, steps, threads });
}

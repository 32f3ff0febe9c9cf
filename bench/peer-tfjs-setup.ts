// Brings up one tfjs backend in this process and says what it runs on. Only the peer's
// child process calls this: tfjs-webgpu gets its own Dawn instance there, tfjs-wasm its
// own threads, and neither shares ours.
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export const PEER_BACKENDS = ['webgpu', 'wasm', 'cpu'] as const;
export type PeerBackend = (typeof PEER_BACKENDS)[number];

export interface PeerRuntime {
  tf: typeof tfc;
  layers: typeof tfl;
  /** e.g. "tfjs-webgpu 4.22.0 on llvmpipe (vulkan)", "tfjs-wasm 4.22.0, 2 threads, simd" */
  description: string;
  /** threads tfjs-wasm actually runs (it may run fewer than asked) */
  threads?: number;
}

export async function setUpPeer(backend: PeerBackend, wasmThreads: number): Promise<PeerRuntime> {
  const tf = await import('@tensorflow/tfjs-core');
  const layers = await import('@tensorflow/tfjs-layers');
  await import('@tensorflow/tfjs-backend-cpu');
  const version = `${backend === 'cpu' ? 'tfjs-cpu' : `tfjs-${backend}`} ${tf.version_core}`;
  if (backend === 'webgpu') return { tf, layers, description: `${version} on ${await setUpWebGpu(tf)}` };
  if (backend === 'wasm') {
    const threads = await setUpWasm(tf, wasmThreads);
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? ', simd' : '';
    return { tf, layers, description: `${version}, ${threads} thread${threads === 1 ? '' : 's'}${simd}`, threads };
  }
  await use(tf, 'cpu');
  return { tf, layers, description: version };
}

async function use(tf: typeof tfc, name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs refused backend '${name}'`);
  await tf.ready();
}

/** Dawn on the adapter ours picks by default (Vulkan; HPA_BACKEND / HPA_ADAPTER as for ours). */
async function setUpWebGpu(tf: typeof tfc): Promise<string> {
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const backend = process.env.HPA_BACKEND?.trim() || 'vulkan';
  if (backend === 'null') throw new Error('tfjs-webgpu cannot run on the null backend');
  const options = [`backend=${backend}`];
  if (process.env.HPA_ADAPTER?.trim()) options.push(`adapter=${process.env.HPA_ADAPTER.trim()}`);
  // dawn.node frees the instance under a live device if it is collected: keep it for the process.
  const gpu = create(options);
  (globalThis as { peerDawn?: unknown }).peerDawn = gpu;
  let adapter: GPUAdapter | null = null;
  const requestAdapter = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (o?: GPURequestAdapterOptions) => (adapter = await requestAdapter(o));
  // tfjs-webgpu registers itself at import time only if navigator.gpu exists; Node 20 has no navigator.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  await use(tf, 'webgpu');
  const a = adapter as GPUAdapter | null;
  if (!a) return `an unnamed adapter (${backend})`;
  const info = a.info;
  return `${info.description || info.device || info.vendor} (${backend})`;
}

async function setUpWasm(tf: typeof tfc, threads: number): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
  wasm.setWasmPaths(path.join(path.dirname(pkg), 'dist') + path.sep);
  let untrap = () => {};
  if (threads > 1) {
    const { enableWasmThreads } = await import('./peer-wasm-threads.js');
    untrap = enableWasmThreads(tf.env(), threads);
  }
  wasm.setThreadsCount(threads);
  try {
    await use(tf, 'wasm');
  } finally {
    untrap();
  }
  return wasm.getThreadsCount();
}

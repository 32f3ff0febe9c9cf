import type { create } from 'webgpu';

/**
 * Finding a WebGPU adapter on any machine. On Linux: Vulkan first (a real GPU's driver, or
 * Mesa's lavapipe on machines without one), then OpenGL ES through EGL surfaceless
 * (llvmpipe or a GPU), which only offers WebGPU's 'compatibility' feature level. On macOS
 * Metal, on Windows Direct3D 12 then Vulkan.
 * Overrides: HPA_BACKEND=vulkan|opengles|metal|d3d12|<dawn backend>, HPA_ADAPTER=<name substring>.
 */

export type DawnInstance = ReturnType<typeof create>;

type Dawn = typeof import('webgpu');
let dawn: Promise<Dawn> | null = null;

// Every Dawn instance this process made, kept until exit. dawn.node frees an instance once it
// is garbage-collected even while devices, buffers or pending events made from it live, and a
// later ProcessEvents then runs on freed memory: CI saw a vitest worker hung in a mutex inside
// InstanceBase::ProcessEvents (gdb) and another aborting with glibc's "futex facility returned
// an unexpected error code". A held instance does not keep Node from exiting once its devices
// are destroyed, so holding them all costs one small object per adapter attempt.
const instances: DawnInstance[] = [];
function keepForProcess(gpu: DawnInstance): DawnInstance {
  instances.push(gpu);
  return gpu;
}

/**
 * Dawn's native module, loaded on the first request for an adapter, never at import: a
 * program that imports the engine on a machine without a GPU (or without a prebuilt
 * dawn.node) still runs. WebGPU's globals (GPUBufferUsage, GPUMapMode, ...) are installed
 * then, where the host does not define them already.
 */
function loadDawn(): Promise<Dawn> {
  dawn ??= import('webgpu').then((m) => {
    for (const [k, v] of Object.entries(m.globals)) if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, writable: true, configurable: true });
    return m;
  });
  return dawn;
}

export interface AdapterSummary {
  backend: string;
  name: string;
  vendor: string;
  architecture: string;
  description: string;
  featureLevel: 'core' | 'compatibility';
  isSoftware: boolean;
  features: string[];
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
  limits: Record<string, number>;
}

export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  summary: AdapterSummary;
  features: Set<string>;
  /** Destroys the device and drops the Dawn instance so Node can exit. */
  destroy(): void;
}

interface Attempt {
  backend: string;
  featureLevel: 'core' | 'compatibility';
  options: string[];
  env?: Record<string, string>;
}

const KEY_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxUniformBufferBindingSize',
  'minUniformBufferOffsetAlignment',
  'minStorageBufferOffsetAlignment',
] as const;

/** Features we enable when the adapter has them. */
const WANTED_FEATURES = ['subgroups', 'shader-f16', 'timestamp-query'] as const;

/**
 * HPA_MASK_FEATURES=subgroups,shader-f16 opens the device without those features even where
 * the adapter has them, so the variants an adapter without them gets are run and tested on
 * any machine (a kernel that still needed one would fail shader compilation).
 */
function maskedFeatures(): Set<string> {
  return new Set((process.env.HPA_MASK_FEATURES ?? '').split(',').map((f) => f.trim()).filter(Boolean));
}

function attempts(): Attempt[] {
  const forced = process.env.HPA_BACKEND?.trim();
  const adapterName = process.env.HPA_ADAPTER?.trim();
  // Dawn rounds timestamps to 64 us by default (a browser's guard against timing attacks);
  // the profiler times kernels of a few us, and a local program has nothing to guard.
  const extra = [...(adapterName ? [`adapter=${adapterName}`] : []), 'disable-dawn-features=timestamp_quantization'];
  const vulkan: Attempt = { backend: 'vulkan', featureLevel: 'core', options: ['backend=vulkan', ...extra] };
  const gles: Attempt = {
    backend: 'opengles',
    featureLevel: 'compatibility',
    options: ['backend=opengles', ...extra],
    env: { EGL_PLATFORM: 'surfaceless' },
  };
  // Each platform's native API first: Metal on macOS, Direct3D 12 on Windows (Vulkan after
  // it, for drivers that have both); Linux has Vulkan, then GLES for llvmpipe or old GPUs.
  const native = (backend: string): Attempt => ({ backend, featureLevel: 'core', options: [`backend=${backend}`, ...extra] });
  if (!forced) return process.platform === 'darwin' ? [native('metal')] : process.platform === 'win32' ? [native('d3d12'), vulkan] : [vulkan, gles];
  if (forced === 'vulkan') return [vulkan];
  if (forced === 'opengles' || forced === 'gles') return [gles];
  return [native(forced)];
}

function summarize(adapter: GPUAdapter, attempt: Attempt): AdapterSummary {
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const limits: Record<string, number> = {};
  for (const k of KEY_LIMITS) limits[k] = Number((adapter.limits as unknown as Record<string, number>)[k]);
  const name = info.description || info.device || info.vendor || 'unknown adapter';
  return {
    backend: attempt.backend,
    name,
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    featureLevel: attempt.featureLevel,
    isSoftware:
      info.architecture === 'software' || /llvmpipe|lavapipe|swiftshader|software/i.test(`${info.description} ${info.device}`),
    features: [...adapter.features].sort(),
    subgroupMinSize: info.subgroupMinSize,
    subgroupMaxSize: info.subgroupMaxSize,
    limits,
  };
}

async function tryAdapter(create: Dawn['create'], attempt: Attempt): Promise<{ gpu: DawnInstance; adapter: GPUAdapter } | string> {
  if (attempt.env) for (const [k, v] of Object.entries(attempt.env)) process.env[k] ??= v;
  let gpu: DawnInstance;
  try {
    gpu = keepForProcess(create(attempt.options));
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
  try {
    const adapter = await gpu.requestAdapter({ featureLevel: attempt.featureLevel } as GPURequestAdapterOptions);
    if (!adapter) return 'no adapter offered';
    return { gpu, adapter };
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

function noAdapterError(failures: string[]): Error {
  return new Error(
    `no WebGPU adapter could be opened (tried ${failures.join('; ')}). ` +
      'On a machine without a GPU, install Mesa >= 24 software Vulkan (lavapipe): run `bash .ci/setup`, ' +
      'which on Debian 12 takes mesa-vulkan-drivers from bookworm-backports; with a GPU, install its Vulkan driver. ' +
      'HPA_BACKEND=vulkan|opengles and HPA_ADAPTER=<name> pick one explicitly; the README\'s "No adapter found" has more.',
  );
}

/** Dawn, or the same advice as for a missing adapter when its native module cannot load. */
async function openDawn(): Promise<Dawn> {
  try {
    return await loadDawn();
  } catch (e) {
    dawn = null;
    throw noAdapterError([`Dawn's native module (npm webgpu) did not load for ${process.platform}-${process.arch}: ${(e as Error).message.split('\n')[0]}`]);
  }
}

/** Opens the first adapter that works and a device with the features the engine uses. */
export async function acquireDevice(): Promise<GpuContext> {
  const { create } = await openDawn();
  const failures: string[] = [];
  for (const attempt of attempts()) {
    const got = await tryAdapter(create, attempt);
    if (typeof got === 'string') {
      failures.push(`${attempt.backend}: ${got}`);
      continue;
    }
    const { adapter } = got;
    const summary = summarize(adapter, attempt);
    const masked = maskedFeatures();
    const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f) && !masked.has(f)) as GPUFeatureName[];
    const al = adapter.limits;
    try {
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxBufferSize: al.maxBufferSize,
          maxStorageBufferBindingSize: al.maxStorageBufferBindingSize,
          maxStorageBuffersPerShaderStage: Math.min(al.maxStorageBuffersPerShaderStage, 10),
          maxComputeWorkgroupStorageSize: al.maxComputeWorkgroupStorageSize,
          maxComputeInvocationsPerWorkgroup: al.maxComputeInvocationsPerWorkgroup,
          maxComputeWorkgroupSizeX: al.maxComputeWorkgroupSizeX,
        },
      });
      const features = new Set<string>(requiredFeatures);
      return {
        device,
        adapter,
        summary,
        features,
        destroy() {
          device.destroy();
        },
      };
    } catch (e) {
      failures.push(`${attempt.backend} (${summary.name}): device request failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw noAdapterError(failures);
}

/** Every adapter we can find, for `hpa-engine devices`. Throws the same advice when none. */
export async function listAdapters(): Promise<AdapterSummary[]> {
  const { create } = await openDawn();
  const found: AdapterSummary[] = [];
  const failures: string[] = [];
  for (const attempt of attempts()) {
    try {
      if (attempt.env) for (const [k, v] of Object.entries(attempt.env)) process.env[k] ??= v;
      const gpu = keepForProcess(create(attempt.options));
      const seen = new Set<string>();
      for (const powerPreference of ['high-performance', 'low-power'] as const) {
        const adapter = await gpu.requestAdapter({ featureLevel: attempt.featureLevel, powerPreference } as GPURequestAdapterOptions);
        if (!adapter) continue;
        const s = summarize(adapter, attempt);
        if (seen.has(s.description + s.vendor)) continue;
        seen.add(s.description + s.vendor);
        found.push(s);
      }
      if (!seen.size) failures.push(`${attempt.backend}: no adapter offered`);
    } catch (e) {
      failures.push(`${attempt.backend}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (!found.length) throw noAdapterError(failures);
  return found;
}

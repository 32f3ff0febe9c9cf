// One peer measurement in this process: tfjs EfficientNet-B0 (our config, 19 classes,
// random weights) at a batch and size, an eval forward or a training step (forward,
// sigmoid BCE, backward, Adam) as ours does it, each step ending in a read of its result.
// The bench runs this in a child process (peer-tfjs-child.ts); tests run it here on tfjs-cpu.
import { efficientNetConfig, parameterCount } from '../models/efficientnet-config.js';
import { buildPeerEfficientNet, peerParameterCount } from './peer-effnet.js';
import { setUpPeer, type PeerBackend } from './peer-tfjs-setup.js';
import { median } from './stats.js';

export type PeerMode = 'train' | 'infer';

export interface PeerSpec {
  backend: PeerBackend;
  mode: PeerMode;
  batch: number;
  size: number;
  /** most timed steps; fewer when the budget runs out first (never fewer than one) */
  steps: number;
  /** untimed steps first: the first compiles tfjs's shaders */
  warmup?: number;
  /** seconds for the timed steps */
  budgetS?: number;
  /** tfjs-wasm threads */
  threads?: number;
  classes?: number;
}

export interface PeerMeasurement {
  ok: true;
  spec: PeerSpec;
  /** what ran, e.g. "tfjs-webgpu 4.22.0 on llvmpipe (LLVM 15.0.6, 256 bits) (vulkan)" */
  peer: string;
  imagesPerSec: number;
  medianMs: number;
  stepMs: number[];
  warmupS: number;
  setupS: number;
  params: number;
  /** the budget stopped the timed loop before `steps` */
  truncated: boolean;
  threads?: number;
}

export interface PeerFailure {
  ok: false;
  spec: PeerSpec;
  /** one line */
  error: string;
}

export type PeerResult = PeerMeasurement | PeerFailure;

export const PEER_CLASSES = 19;

export async function runPeer(spec: PeerSpec): Promise<PeerMeasurement> {
  const { batch, size, mode } = spec;
  if (spec.backend === 'wasm' && mode === 'train') throw new Error('tfjs-wasm cannot train (it has no Conv2DBackpropFilter)');
  const t0 = performance.now();
  const rt = await setUpPeer(spec.backend, spec.threads ?? 1);
  const { tf } = rt;
  const config = efficientNetConfig('b0', { numClasses: spec.classes ?? PEER_CLASSES });
  const model = buildPeerEfficientNet(rt.layers, config, size);
  const params = peerParameterCount(model);
  if (params !== parameterCount(config)) throw new Error(`peer model has ${params} parameters, ours ${parameterCount(config)}`);
  const x = tf.randomUniform([batch, size, size, config.inChannels], -1, 1, 'float32', 1);
  const y = tf.tidy(() => tf.cast(tf.less(tf.randomUniform([batch, config.numClasses], 0, 1, 'float32', 2), 0.2), 'float32'));
  const setupS = (performance.now() - t0) / 1000;

  let step: () => Promise<number>;
  if (mode === 'infer') {
    step = async () => {
      const out = tf.tidy(() => model.apply(x, { training: false }) as typeof x);
      const v = (await out.data())[0];
      out.dispose();
      return v;
    };
  } else {
    const opt = tf.train.adam(1e-3);
    const vars = model.trainableWeights.map((w) => w.read() as ReturnType<typeof tf.variable>);
    step = async () => {
      const loss = opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, model.apply(x, { training: true }) as typeof x), true, vars);
      if (!loss) throw new Error('tfjs returned no loss');
      const v = (await loss.data())[0];
      loss.dispose();
      return v;
    };
  }

  let value = 0;
  let t = performance.now();
  for (let i = 0; i < (spec.warmup ?? 1); i++) value = await step();
  const warmupS = (performance.now() - t) / 1000;
  const budgetMs = (spec.budgetS ?? 60) * 1000;
  const stepMs: number[] = [];
  const loop = performance.now();
  while (stepMs.length < spec.steps && (stepMs.length === 0 || performance.now() - loop < budgetMs)) {
    t = performance.now();
    value = await step();
    stepMs.push(performance.now() - t);
  }
  if (!Number.isFinite(value)) throw new Error(`${rt.description}: the ${mode} step gave a non-finite value (${value})`);
  const medianMs = median(stepMs);
  return {
    ok: true,
    spec,
    peer: rt.description,
    imagesPerSec: (batch * 1000) / medianMs,
    medianMs,
    stepMs,
    warmupS,
    setupS,
    params,
    truncated: stepMs.length < spec.steps,
    threads: rt.threads,
  };
}

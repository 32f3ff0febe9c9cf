import * as E from '../engine/index.js';

/**
 * A tiny end-to-end training run on the engine (two-layer perceptron, multi-label BCE,
 * plain SGD) that proves a machine can train before the full model is attempted.
 */
export interface SmokeResult {
  losses: number[];
  stepsPerSecond: number;
  adapter: string;
}

/** Multi-label BCE-with-logits, mean over all entries, written with engine ops:
 * max(z, 0) - z*y + log(1 + exp(-|z|)) is stable for any |z|. */
function bceWithLogits(z: E.Tensor, y: E.Tensor): E.Tensor {
  const softplusNegAbs = E.log(E.addScalar(E.exp(E.neg(E.abs(z))), 1));
  return E.mean(E.add(E.sub(E.relu(z), E.mul(z, y)), softplusNegAbs));
}

function randn(rng: E.Rng, n: number, std: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal(0, std));
}

export const SMOKE_DEFAULTS = { steps: 60 };

export async function smokeTrain(steps = SMOKE_DEFAULTS.steps, onStep?: (step: number, loss: number) => void): Promise<SmokeResult> {
  const rt = await E.initEngine();
  const rng = new E.Rng(42);
  const [n, din, hidden, classes] = [128, 16, 32, 19];
  // Targets come from a random linear teacher, so the task is learnable.
  const xHost = randn(rng, n * din, 1);
  const teacher = randn(rng, din * classes, 1);
  const yHost = new Float32Array(n * classes);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let k = 0; k < din; k++) s += xHost[i * din + k] * teacher[k * classes + c];
      yHost[i * classes + c] = s > 0 ? 1 : 0;
    }
  const x = E.tensor(xHost, [n, din]);
  const y = E.tensor(yHost, [n, classes]);
  const params = [
    E.parameter(randn(rng, din * hidden, Math.sqrt(2 / din)), [din, hidden], 'w1'),
    E.parameter(new Float32Array(hidden), [hidden], 'b1'),
    E.parameter(randn(rng, hidden * classes, Math.sqrt(1 / hidden)), [hidden, classes], 'w2'),
    E.parameter(new Float32Array(classes), [classes], 'b2'),
  ];
  const [w1, b1, w2, b2] = params;
  const lr = 0.5;
  const losses: number[] = [];
  const t0 = performance.now();
  for (let step = 0; step < steps; step++) {
    const loss = E.tidy(() => {
      const h = E.swish(E.matmul(x, w1, { bias: b1 }));
      return bceWithLogits(E.matmul(h, w2, { bias: b2 }), y);
    });
    E.backward(loss);
    E.noGrad(() =>
      E.tidy(() => {
        for (const p of params) {
          E.assign(p, E.sub(p, E.mulScalar(p.grad!, lr)));
          p.grad!.dispose();
          p.grad = null;
        }
      }),
    );
    const value = await loss.item();
    loss.dispose();
    losses.push(value);
    onStep?.(step, value);
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const t of [x, y, ...params]) t.dispose();
  return { losses, stepsPerSecond: steps / seconds, adapter: rt.ctx.summary.name };
}

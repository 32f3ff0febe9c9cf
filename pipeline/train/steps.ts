import * as E from '../../engine/index.js';
import type { EfficientNet } from '../../models/efficientnet.js';

/** How the steps run: captured once and replayed (engine/capture.ts), or op by op as they are called. */
export interface StepMode {
  /** Run every op of every step eagerly (the path before compiled steps). */
  eager?: boolean;
  /** Where a recapture (another input shape, a replaced parameter) is reported, one line each. */
  log?: (line: string) => void;
}

export interface TrainStepResult {
  loss: number;
  probs: Float32Array;
}

/** What a compiled step must find unchanged to replay: every tensor of the model, the optimizer's state and the dropout generator. */
function stateOf(model: EfficientNet, opt?: E.Optimizer): () => (E.Tensor | E.Rng)[] {
  return () => [...model.namedTensors().map(([, t]) => t), ...(opt ? Object.values(opt.state().tensors) : []), model.rng];
}

/**
 * One training step: forward, BCE-with-logits, backward, the optimizer's update; returns
 * the batch's mean loss and sigmoid probabilities. Compiled (the default), the whole step
 * is one captured program replayed with one submit; the inputs, the dropout seeds and
 * the optimizer's step count are its per-step values. Eagerly the loss is read before the
 * update and a non-finite one skips it; compiled, the update is inside the program, so a
 * non-finite loss is seen after it. The caller stops the run without saving either way,
 * so what is on disk is the same (issue 11's GPU-side guard is what will keep the
 * in-memory weights untouched as well).
 */
export class TrainStep {
  private compiled: E.CompiledStep<{ loss: E.Tensor; probs: E.Tensor }> | null = null;

  constructor(
    private readonly model: EfficientNet,
    private readonly opt: E.Optimizer,
    mode: StepMode = {},
  ) {
    if (!mode.eager) {
      this.compiled = new E.CompiledStep(([x, y]) => this.forwardBackward(x, y, true), { label: 'train step', log: mode.log, state: stateOf(model, opt) });
    }
  }

  /** Forward, loss and backward; with `update`, the optimizer's step too (then the gradients are gone). */
  private forwardBackward(x: E.Tensor, y: E.Tensor, update: boolean): { loss: E.Tensor; probs: E.Tensor } {
    const { loss, probs } = E.tidy(() => {
      const logits = this.model.forward(x);
      const probs = E.keep(E.noGrad(() => E.sigmoid(logits)));
      return { loss: E.keep(E.bceWithLogits(logits, y)), probs };
    });
    E.backward(loss);
    if (update) {
      this.opt.step();
      this.opt.zeroGrad();
    }
    return { loss, probs };
  }

  /** x: n images NHWC (size x size x channels), y: n x classes targets. */
  async run(x: Float32Array, xShape: E.Shape, y: Float32Array, yShape: E.Shape): Promise<TrainStepResult> {
    if (this.compiled) {
      const { loss, probs } = this.compiled.run([
        { data: x, shape: xShape },
        { data: y, shape: yShape },
      ]);
      try {
        const [l, p] = await E.readAll([loss, probs]);
        return { loss: l[0], probs: p };
      } finally {
        loss.dispose();
        probs.dispose();
      }
    }
    const xt = E.tensor(x, xShape);
    const yt = E.tensor(y, yShape);
    const { loss, probs } = this.forwardBackward(xt, yt, false);
    xt.dispose();
    yt.dispose();
    try {
      // Read before the step (a non-finite loss must not reach the weights), both in one wait.
      const [lossValue, probValues] = await E.readAll([loss, probs]);
      if (Number.isFinite(lossValue[0])) this.opt.step();
      this.opt.zeroGrad();
      return { loss: lossValue[0], probs: probValues };
    } finally {
      loss.dispose();
      probs.dispose();
    }
  }

  /** The captured program of the last step's shapes (undefined eagerly or before the capture). */
  get program(): E.Program | undefined {
    return this.compiled?.program;
  }

  get counts(): { eager: number; captures: number; replays: number } | undefined {
    return this.compiled?.counts;
  }

  dispose(): void {
    this.compiled?.dispose();
    this.compiled = null;
  }
}

/**
 * The eval-mode forward (BN running statistics, no dropout) as logits, compiled by
 * default: validation and predict replay it. The model must be in eval mode when it runs.
 */
export class EvalForward {
  private compiled: E.CompiledStep<{ logits: E.Tensor }> | null = null;

  constructor(
    readonly model: EfficientNet,
    mode: StepMode = {},
  ) {
    if (!mode.eager) {
      this.compiled = new E.CompiledStep(([x]) => ({ logits: E.noGrad(() => model.forward(x)) }), { label: 'eval forward', log: mode.log, state: stateOf(model) });
    }
  }

  /** Logits of x (NHWC, `shape`), n x classes. */
  async logits(x: Float32Array, shape: E.Shape): Promise<Float32Array> {
    if (this.model.training) throw new Error('eval forward: the model is in training mode (call model.eval() first)');
    if (this.compiled) {
      const { logits } = this.compiled.run([{ data: x, shape }]);
      try {
        return await logits.data();
      } finally {
        logits.dispose();
      }
    }
    const input = E.tensor(x, shape);
    // tidy: under noGrad nothing on a tape frees the intermediates (64 buffers a B0 batch leaked before).
    const logits = E.tidy(() => E.noGrad(() => this.model.forward(input)));
    input.dispose();
    try {
      return await logits.data();
    } finally {
      logits.dispose();
    }
  }

  get program(): E.Program | undefined {
    return this.compiled?.program;
  }

  dispose(): void {
    this.compiled?.dispose();
    this.compiled = null;
  }
}

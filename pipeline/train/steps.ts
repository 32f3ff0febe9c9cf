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
  /** The GPU guard's verdict: this step and every one before it had a finite loss and
   * gradient norm, so their updates were applied. Once false, no later update is. */
  finite: boolean;
}

/** What a compiled step must find unchanged to replay: every tensor of the model, the optimizer's state and the dropout generator. */
function stateOf(model: EfficientNet, opt?: E.Optimizer): () => (E.Tensor | E.Rng)[] {
  return () => {
    const out: (E.Tensor | E.Rng)[] = model.tensors();
    if (opt) for (const t of opt.stateTensors()) out.push(t);
    out.push(model.rng);
    return out;
  };
}

/**
 * One training step: forward, BCE-with-logits, backward, the non-finite guard and the
 * optimizer's update; its loss, sigmoid probabilities and guard flag are read back
 * without making the next step wait. Compiled (the default), the whole step is one
 * captured program replayed with one submit; the inputs, the dropout seeds and the
 * optimizer's step count are its per-step values. Eager or compiled, the guard decides
 * on the GPU whether the update applies (engine/optim/step-guard.ts), so both paths give
 * the same bits, and a non-finite step leaves the weights, the optimizer's moments and the
 * BN running statistics (E.GuardedRunningStats) as they were.
 */
export class TrainStep {
  private compiled: E.CompiledStep<{ loss: E.Tensor; probs: E.Tensor }> | null = null;
  private readonly guard = new E.StepGuard();
  /** The model's BN running statistics, committed only when the guard passes (like the weights). */
  private running: E.GuardedRunningStats;
  /** BCE's pos_weight per class (pipeline/train/pos-weight.ts), fixed for the run. */
  private readonly posWeight: E.Tensor | undefined;

  constructor(
    private readonly model: EfficientNet,
    private readonly opt: E.Optimizer,
    mode: StepMode & { posWeight?: Float32Array } = {},
  ) {
    this.posWeight = mode.posWeight && E.keep(E.tensor(mode.posWeight, [mode.posWeight.length]));
    // Before any capture: the statistics move into a flat buffer here.
    this.running = E.GuardedRunningStats.over(model.buffers());
    if (!mode.eager) {
      const state = stateOf(model, opt);
      const pw = this.posWeight;
      this.compiled = new E.CompiledStep(([x, y]) => this.forwardBackward(x, y), { label: 'train step', log: mode.log, state: pw ? () => [...state(), pw] : state });
    }
  }

  /** Forward, loss, backward, guard and update (the gradients are gone after it). */
  private forwardBackward(x: E.Tensor, y: E.Tensor): { loss: E.Tensor; probs: E.Tensor } {
    const { loss, probs } = E.tidy(() => {
      const logits = this.running.track(() => this.model.forward(x));
      const probs = E.keep(E.noGrad(() => E.sigmoid(logits)));
      return { loss: E.keep(E.bceWithLogits(logits, y, this.posWeight)), probs };
    });
    E.backward(loss);
    E.noGrad(() => this.guard.check(loss, this.opt.params.map(([, p]) => p)));
    this.opt.step(this.guard.flag);
    this.running.commit(this.guard.flag);
    this.opt.zeroGrad();
    return { loss, probs };
  }

  /**
   * x: n images NHWC (size x size x channels), y: n x classes targets. The step and the
   * copy of its results are submitted before this returns; the promise settles when the
   * GPU is done with them. So a caller that starts step t + 1 before awaiting step t keeps
   * the GPU busy while the host reads (pipeline/train/run.ts does).
   */
  run(x: Float32Array, xShape: E.Shape, y: Float32Array, yShape: E.Shape): Promise<TrainStepResult> {
    let out: { loss: E.Tensor; probs: E.Tensor };
    // Another guard over this model's statistics moved them since (never inside a capture:
    // the move's copies would be replayed); a compiled step then sees new buffers and recaptures.
    if (!this.running.intact()) {
      this.running.dispose();
      this.running = E.GuardedRunningStats.over(this.model.buffers());
    }
    if (this.compiled) {
      out = this.compiled.run([
        { data: x, shape: xShape },
        { data: y, shape: yShape },
      ]);
    } else {
      const xt = E.tensor(x, xShape);
      const yt = E.tensor(y, yShape);
      out = this.forwardBackward(xt, yt);
      xt.dispose();
      yt.dispose();
    }
    // The copies are encoded and submitted synchronously, so the tensors can go at once.
    const read = E.readAll([out.loss, out.probs, this.guard.flag]);
    out.loss.dispose();
    out.probs.dispose();
    return read.then(([loss, probs, flag]) => ({ loss: loss[0], probs, finite: flag[0] !== 0 }));
  }

  /**
   * After a step with `finite: false` the GPU guard refuses every later update (that is what
   * lets the host read its flag a step late); this lets the next step update again, e.g. once
   * the caller has lowered the learning rate. The weights are those from before the bad step.
   */
  resetGuard(): void {
    this.guard.reset();
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
    this.guard.dispose();
    this.running.dispose();
    this.posWeight?.dispose();
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

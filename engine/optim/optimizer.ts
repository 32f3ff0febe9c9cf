import { noGrad } from '../autograd.js';
import { assign } from '../ops/copy.js';
import { shapeStr, zeros, type Tensor } from '../tensor.js';
import { keep } from '../scope.js';
import { FlatBuffer } from '../flat-buffer.js';
import { FlatParams } from './flat-params.js';

/** Parameters by name (checkpoint keys), or a list (named by Tensor.name, else by index). */
export type Params = Record<string, Tensor> | readonly Tensor[];

/**
 * What a checkpoint saves: the optimizer's state tensors by name
 * (`<param>.<buffer>`, e.g. `conv.weight.exp_avg`, PyTorch's buffer names) and the
 * step count of each parameter. The tensors are the live ones: they belong to the
 * optimizer; read them, do not dispose them.
 */
export interface OptimizerState {
  tensors: Record<string, Tensor>;
  steps: Record<string, number>;
}

/**
 * The parameters, gradients and state live in flat buffers (engine/optim/flat-params.ts)
 * unless `flat` is false, so a step is one dispatch over all of them instead of one per
 * parameter; each tensor is a view of its segment, so names, shapes and checkpoints are
 * unchanged. A step where some parameter has no gradient, or the parameters' step counts
 * differ (PyTorch skips a parameter without a gradient and does not count its step), runs
 * the per-tensor kernels over those views instead: same math, same bits.
 */
export abstract class Optimizer {
  readonly params: readonly (readonly [string, Tensor])[];
  protected readonly buffers = new Map<string, Tensor>();
  protected readonly steps = new Map<string, number>();
  /** The flat layout, or null for the per-tensor path. */
  protected readonly flat: FlatParams | null = null;
  protected readonly flatState = new Map<string, FlatBuffer>();

  constructor(
    protected readonly op: string,
    params: Params,
    bufferNames: readonly string[],
    flat = true,
  ) {
    const entries: [string, Tensor][] = Array.isArray(params)
      ? (params as readonly Tensor[]).map((t, i) => [t.name ?? String(i), t])
      : Object.entries(params as Record<string, Tensor>);
    const seen = new Set<string>();
    for (const [name, t] of entries) {
      if (seen.has(name)) throw new Error(`${op}: two parameters are named '${name}'`);
      if (!t.requiresGrad) throw new Error(`${op}: parameter '${name}' ${t.describe()} does not require grad`);
      seen.add(name);
      this.steps.set(name, 0);
    }
    this.params = entries;
    this.flat = flat ? FlatParams.create(entries.map(([, t]) => t)) : null;
    const f = this.flat;
    if (f) for (const b of bufferNames) this.flatState.set(b, new FlatBuffer(f.layout, `${op} ${b}`));
    // State is allocated up front so a training step reaches a steady buffer pool at once.
    // Flat, each tensor's state sits at its parameter's segment (a shared group's order may not be this one's).
    for (const [name, t] of entries) {
      for (const b of bufferNames) this.buffers.set(`${name}.${b}`, keep(f ? this.flatState.get(b)!.view(f.segment(t), t.shape) : zeros(t.shape)));
    }
  }

  /** Whether the parameters, gradients and state live in flat buffers (one dispatch per step). */
  get isFlat(): boolean {
    return this.flat !== null;
  }

  /** One update of every parameter that has a gradient: one dispatch over the flat buffers,
   * else one per parameter. With a `guard` (StepGuard.flag), the kernels read its flag on
   * the GPU and leave parameters and state untouched where it is 0; the step counts
   * advance either way (a guarded run that trips stops without saving). */
  step(guard?: Tensor): void {
    noGrad(() => {
      if (this.flat && this.flatStep(this.flat, guard)) return;
      for (const [name, p] of this.params) {
        if (!p.grad) continue;
        if (p.grad.size !== p.size) throw new Error(`${this.op}: gradient ${p.grad.describe()} of '${name}' does not match ${p.describe()}`);
        this.update(name, p, p.grad, this.advance(name), guard);
      }
    });
  }

  /** The flat update, when every parameter has a gradient and all share one step count. */
  private flatStep(f: FlatParams, guard?: Tensor): boolean {
    if (!f.intact()) return false;
    const first = this.steps.get(this.params[0][0]);
    for (const [name, p] of this.params) {
      if (!p.grad || this.steps.get(name) !== first) return false;
      if (p.grad.size !== p.size) throw new Error(`${this.op}: gradient ${p.grad.describe()} of '${name}' does not match ${p.describe()}`);
    }
    f.gather(this.params.map(([, p]) => p));
    this.updateFlat(f, this.advanceAll(), guard);
    return true;
  }

  /** Counts one more step of every parameter (the flat path: their counts are equal) and returns it; a replay calls it too. */
  protected advanceAll(): number {
    // Eagerly the flat update only runs when the counts agree (flatStep); a replay captured
    // with it would give every parameter the first one's count, so it refuses instead.
    const first = this.steps.get(this.params[0][0])!;
    for (const [name, n] of this.steps) {
      if (n !== first) throw new Error(`${this.op}: the flat update needs one step count, but '${this.params[0][0]}' is at ${first} and '${name}' at ${n} (state loaded after a compiled step was captured?); build the step again, or run it eagerly`);
    }
    for (const [name, n] of this.steps) this.steps.set(name, n + 1);
    return this.steps.get(this.params[0][0])!;
  }

  /** One dispatch over the flat buffers (parameters f.P, gradients f.G, state flatState). */
  protected abstract updateFlat(f: FlatParams, step: number, guard?: Tensor): void;

  /** Counts one more step of a parameter; a compiled step's replay calls it too (engine/capture.ts). */
  protected advance(name: string): number {
    const step = this.steps.get(name)! + 1;
    this.steps.set(name, step);
    return step;
  }

  protected abstract update(name: string, param: Tensor, grad: Tensor, step: number, guard?: Tensor): void;

  protected buffer(name: string, which: string): Tensor {
    return this.buffers.get(`${name}.${which}`)!;
  }

  /** Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const [, p] of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  state(): OptimizerState {
    return { tensors: Object.fromEntries(this.buffers), steps: Object.fromEntries(this.steps) };
  }

  /** state()'s tensors in its order, without the records around them (checked before every replay of a compiled step). */
  stateTensors(): Tensor[] {
    return [...this.buffers.values()];
  }

  /** Copies a saved state in (values into the live tensors); names and shapes must match. */
  loadState(s: OptimizerState): void {
    for (const [key, t] of this.buffers) {
      const src = s.tensors[key];
      if (!src) throw new Error(`${this.op}: saved state has no tensor '${key}'`);
      if (src.size !== t.size) throw new Error(`${this.op}: saved '${key}' ${shapeStr(src.shape)}, expected ${shapeStr(t.shape)}`);
    }
    for (const key of Object.keys(s.tensors)) if (!this.buffers.has(key)) throw new Error(`${this.op}: saved state has unknown tensor '${key}'`);
    for (const [name] of this.params) {
      const n = s.steps[name];
      if (!Number.isInteger(n) || n < 0) throw new Error(`${this.op}: saved state has no step count for '${name}'`);
    }
    for (const [key, t] of this.buffers) assign(t, s.tensors[key]);
    for (const [name] of this.params) this.steps.set(name, s.steps[name]);
  }

  dispose(): void {
    for (const t of this.buffers.values()) t.dispose();
    this.buffers.clear();
    for (const b of this.flatState.values()) b.release();
    this.flatState.clear();
    this.flat?.dispose();
  }
}

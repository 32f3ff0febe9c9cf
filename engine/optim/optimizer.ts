import { noGrad } from '../autograd.js';
import { assign } from '../ops/copy.js';
import { shapeStr, zeros, type Tensor } from '../tensor.js';
import { keep } from '../scope.js';

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

export abstract class Optimizer {
  readonly params: readonly (readonly [string, Tensor])[];
  protected readonly buffers = new Map<string, Tensor>();
  protected readonly steps = new Map<string, number>();

  constructor(
    protected readonly op: string,
    params: Params,
    bufferNames: readonly string[],
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
      // State is allocated up front so a training step reaches a steady buffer pool at once.
      for (const b of bufferNames) this.buffers.set(`${name}.${b}`, keep(zeros(t.shape)));
    }
    this.params = entries;
  }

  /** One update of every parameter that has a gradient: one kernel dispatch each. With a
   * `guard` (StepGuard.flag), the kernels read its flag on the GPU and leave parameters and
   * state untouched where it is 0; the step counts advance either way (a guarded run that
   * trips stops without saving). */
  step(guard?: Tensor): void {
    noGrad(() => {
      for (const [name, p] of this.params) {
        if (!p.grad) continue;
        if (p.grad.size !== p.size) throw new Error(`${this.op}: gradient ${p.grad.describe()} of '${name}' does not match ${p.describe()}`);
        this.update(name, p, p.grad, this.advance(name), guard);
      }
    });
  }

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
  }
}

import { keep, type Tensor } from '../engine/index.js';

/**
 * The base of every layer: named parameters (trained), named buffers (running
 * statistics), named children, and train/eval mode. Names join with dots exactly as
 * PyTorch's state_dict does, so a checkpoint's keys are torchvision's.
 */
export abstract class Module {
  training = true;
  private readonly ownParams = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable tensor; the module owns it (kept out of any tidy scope). */
  protected addParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.ownParams.set(name, keep(t));
    return t;
  }

  /** Registers a tensor that is saved but not trained (BN running statistics). */
  protected addBuffer(name: string, t: Tensor): Tensor {
    this.ownBuffers.set(name, keep(t));
    return t;
  }

  protected addChild<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** Sets training mode here and in every descendant (BN statistics, dropout). */
  train(on = true): this {
    this.training = on;
    for (const c of this.children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Trainable tensors by full name, in state_dict order. */
  namedParameters(): [string, Tensor][] {
    return this.walk(true, false);
  }

  /** Parameters and buffers by full name, in PyTorch's state_dict order (a module's
   * parameters, then its buffers, then its children). */
  namedTensors(): [string, Tensor][] {
    return this.walk(true, true);
  }

  /** namedTensors()'s tensors in its order, without building names: a compiled step checks
   * them before every replay (pipeline/train/steps.ts), where the names cost more than the check. */
  tensors(out: Tensor[] = []): Tensor[] {
    for (const t of this.ownParams.values()) out.push(t);
    for (const t of this.ownBuffers.values()) out.push(t);
    for (const c of this.children.values()) c.tensors(out);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** The tensors that are not trained (BN running means and variances), in state_dict order. */
  buffers(): Tensor[] {
    return this.walk(false, true).map(([, t]) => t);
  }

  private walk(params: boolean, buffers: boolean, prefix = '', out: [string, Tensor][] = []): [string, Tensor][] {
    if (params) for (const [n, t] of this.ownParams) out.push([prefix + n, t]);
    if (buffers) for (const [n, t] of this.ownBuffers) out.push([prefix + n, t]);
    for (const [n, c] of this.children) c.walk(params, buffers, `${prefix}${n}.`, out);
    return out;
  }

  /** Frees every tensor of the tree (and their gradients). */
  dispose(): void {
    for (const [, t] of this.namedTensors()) t.dispose();
  }
}

/** A container of named children, like torch.nn.Sequential; the owner runs them. */
export class Container extends Module {
  readonly items: Module[] = [];

  /** Adds a child named by its position, or by `name` where PyTorch skips a number (a
   * Dropout without parameters sits at classifier.0). */
  add<M extends Module>(m: M, name = String(this.items.length)): M {
    this.addChild(name, m);
    this.items.push(m);
    return m;
  }
}

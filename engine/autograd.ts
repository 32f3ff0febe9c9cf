import { Tensor, shapeStr, view, type Storage } from './tensor.js';
import { keep, tidy } from './scope.js';
import { currentLayer, setLayer } from './profiler.js';

/**
 * The tape. Each op that sees an input requiring grad records a Node holding the inputs'
 * edges, the tensors its backward needs, and the backward itself. Nodes are reference
 * counted (by the tensors they produced and by downstream nodes), so a graph whose outputs
 * are all disposed without backward releases its saved buffers at once.
 */
let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording the tape (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Where an input's gradient goes: into another node, or into a leaf's .grad. */
type Edge = { node: Node } | { leaf: Tensor } | null;

/** Backward reads the tensors it saved from `saved` (never from its closure: those may
 * be disposed by then); shapes and flags may be captured freely. */
export type BackwardFn = (gy: Tensor, saved: Tensor[]) => (Tensor | null)[];

export class Node {
  refs = 1;
  freed = false;
  readonly edges: Edge[];
  readonly inputShapes: (readonly number[])[];
  /** The profiler's layer at record time; backward's dispatches are charged to it too. */
  readonly layer = currentLayer();

  constructor(
    readonly op: string,
    inputs: Tensor[],
    private saved: Tensor[],
    private backwardFn: BackwardFn,
    readonly outShape: readonly number[],
  ) {
    this.inputShapes = inputs.map((t) => t.shape);
    this.edges = inputs.map((t) => {
      if (t.node) {
        t.node.refs++;
        return { node: t.node };
      }
      return t.requiresGrad ? { leaf: t } : null;
    });
  }

  describe(): string {
    return `${this.op}(${this.inputShapes.map(shapeStr).join(', ')})`;
  }

  runBackward(gy: Tensor): (Tensor | null)[] {
    if (this.freed) {
      throw new Error(
        `backward through a freed graph at op '${this.describe()}': its saved tensors were released by an earlier backward() (pass retainGraph to backward twice)`,
      );
    }
    return this.backwardFn(gy, this.saved);
  }

  /** Drops the saved tensors (after backward, or when nothing can reach this node). */
  release(): void {
    if (this.freed) return;
    this.freed = true;
    for (const t of this.saved) t.dispose();
    this.saved = [];
  }

  unref(): void {
    if (--this.refs > 0) return;
    this.release();
    for (const e of this.edges) if (e && 'node' in e) e.node.unref();
  }
}

/** Attaches a tape node to `out` when grad is on and an input needs it. `save` lists the
 * tensors backward will read; they are retained (as views) until the node is released. */
export function record(op: string, inputs: Tensor[], out: Tensor, backward: BackwardFn, save: Tensor[] = []): Tensor {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad || t.node)) return out;
  // Saved views belong to the node, not to any tidy scope around the forward pass.
  const saved = save.map((t) => keep(new Tensor(t.shape, t.storage.retain())));
  out.node = new Node(op, inputs, saved, backward, out.shape);
  out.requiresGrad = true;
  return out;
}

export interface BackwardOptions {
  /** Upstream gradient for a non-scalar root. */
  grad?: Tensor;
  /** Keep saved tensors so backward can run through the graph again. */
  retainGraph?: boolean;
}

/** The few tensor ops the sweep itself needs; supplied by engine/ops to avoid a cycle. */
export interface SweepOps {
  /** acc += g, in place. */
  addInPlace(acc: Tensor, g: Tensor): void;
  ones(shape: readonly number[]): Tensor;
  clone(t: Tensor): Tensor;
}

/**
 * Reverse-mode sweep from `root`. Leaf gradients accumulate into `.grad` (summed across
 * calls, as in PyTorch, until they are zeroed or disposed).
 */
export function runBackward(root: Tensor, opts: BackwardOptions, ops: SweepOps): void {
  if (!root.node && !root.requiresGrad) {
    throw new Error(`backward(): tensor ${root.describe()} does not require grad (no input of its graph has requiresGrad)`);
  }
  if (!opts.grad && root.size !== 1) {
    throw new Error(`backward(): tensor ${root.describe()} is not a scalar; pass { grad } with shape ${shapeStr(root.shape)}`);
  }
  if (opts.grad && opts.grad.size !== root.size) {
    throw new Error(`backward(): gradient shape ${shapeStr(opts.grad.shape)} does not match tensor ${root.describe()}`);
  }
  const seed = keep(opts.grad ? ops.clone(opts.grad) : ops.ones(root.shape));
  if (!root.node) {
    accumulateLeaf(root, seed, ops);
    return;
  }
  if (root.node.freed) root.node.runBackward(seed); // throws the freed-graph error

  // Topological order by an iterative depth-first search over node edges.
  const order: Node[] = [];
  const visited = new Set<Node>([root.node]);
  const stack: [Node, number][] = [[root.node, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.edges.length) {
      top[1]++;
      const e = node.edges[i];
      if (e && 'node' in e && !visited.has(e.node)) {
        visited.add(e.node);
        stack.push([e.node, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }

  const grads = new Map<Node, Tensor>([[root.node, seed]]);
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    const gy = grads.get(node);
    if (!gy) continue;
    grads.delete(node);
    // Gradients are accumulated in place, so each must own its buffer: a backward that
    // returns one buffer twice (add's gy to both inputs) gets a copy for the second. The
    // first may keep gy's buffer, which no one else holds once gy is disposed below: a
    // view (a Tensor of its own, since gy itself goes), not a copy, so a training step
    // spends no copy command per residual add or reshape (146 in a B0 step).
    const gin = tidy(() => {
      const outer = setLayer(node.layer);
      let raw: (Tensor | null)[];
      try {
        raw = noGrad(() => node.runBackward(gy));
      } finally {
        setLayer(outer);
      }
      const seen = new Set<Storage>();
      return raw.map((g) => {
        if (!g) return g;
        if (seen.has(g.storage)) return ops.clone(g);
        seen.add(g.storage);
        return g === gy ? view(g, g.shape) : g;
      });
    });
    gy.dispose();
    node.edges.forEach((e, i) => {
      const g = gin[i];
      if (!g) return;
      keep(g);
      if (!e) return g.dispose();
      if ('leaf' in e) return accumulateLeaf(e.leaf, g, ops);
      const prev = grads.get(e.node);
      if (!prev) return void grads.set(e.node, g);
      ops.addInPlace(prev, g);
      g.dispose();
    });
    if (!opts.retainGraph) node.release();
  }
}

function accumulateLeaf(leaf: Tensor, g: Tensor, ops: SweepOps): void {
  if (!leaf.grad) {
    leaf.grad = g;
    return;
  }
  ops.addInPlace(leaf.grad, g);
  g.dispose();
}

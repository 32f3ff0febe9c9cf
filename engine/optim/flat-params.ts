import { runtime } from '../runtime.js';
import { keep } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { FlatBuffer, flatLayout, type FlatLayout } from '../flat-buffer.js';
import { sumSquaresFlatKernel, sumSquaresTable } from '../../kernels/clip-grad-norm.js';

/**
 * A multi-tensor optimizer's parameters in one flat buffer P (each parameter tensor now a
 * view of its segment, so forward, checkpoints and weight loading see it as before) and
 * a flat gradient buffer G of the same layout. After backward, `gather` copies each
 * gradient into its G segment (a copy command, far cheaper for the host than a dispatch)
 * and swaps `.grad` for a view of it, so clipping scales, and the optimizer reads, the
 * one buffer in a handful of dispatches instead of a few per parameter.
 */
export class FlatParams {
  readonly layout: FlatLayout;
  readonly P: FlatBuffer;
  readonly G: FlatBuffer;
  private index = new Map<Tensor, number>();
  private tables = new Map<string, { buffer: GPUBuffer; workgroups: number }>();
  /** Set once another group took the parameters or dispose() ran: not used any more. */
  private detached = false;
  private released = false;
  /** Optimizers over this group (create() shares it among optimizers of the same parameters). */
  private refs = 1;

  private constructor(readonly params: readonly Tensor[]) {
    this.layout = flatLayout(params.map((p) => p.size));
    this.P = new FlatBuffer(this.layout, 'flat params');
    this.G = new FlatBuffer(this.layout, 'flat grads');
    const rt = runtime();
    params.forEach((p, i) => {
      this.index.set(p, i);
      if (p.size) rt.copy(p.buffer, p.offset, this.P.buffer, this.layout.offsets[i] * 4, p.size * 4);
      p.relocate(this.P.storage(i));
      groups.get(p)?.detach();
      groups.set(p, this);
    });
  }

  /**
   * Moves `params` into a flat buffer, or null where one cannot be moved (shared storage:
   * a reshaped view of it would keep reading the old buffer; the same tensor twice). When
   * they are already exactly one intact group's parameters (a second optimizer over the
   * same model, in any order) that group is shared, so both optimizers stay flat; each
   * dispose() lets go of one hold. Any other overlap moves the parameters into a new group
   * and the old one's optimizers fall back to per-tensor kernels over their views: a tensor
   * lives in one buffer, and a flat kernel updates every segment of its buffer, so two
   * different groupings of one parameter cannot both be flat.
   */
  static create(params: readonly Tensor[]): FlatParams | null {
    if (new Set(params).size !== params.length) return null;
    const shared = FlatParams.of(params);
    if (shared && shared.params.length === params.length) {
      shared.refs++;
      return shared;
    }
    if (params.some((p) => p.disposed || p.storage.refs !== 1)) return null;
    return new FlatParams(params);
  }

  /** The group every one of `params` belongs to, or null. */
  static of(params: readonly Tensor[]): FlatParams | null {
    const g = params.length ? groups.get(params[0]) : undefined;
    if (!g || g.detached) return null;
    for (const p of params) if (groups.get(p) !== g) return null;
    return g.intact() ? g : null;
  }

  /** Every parameter still lives at its segment (none relocated or disposed since). */
  intact(): boolean {
    if (this.detached) return false;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      if (p.disposed || p.buffer !== this.P.buffer || p.offset !== this.layout.offsets[i] * 4) return false;
    }
    return true;
  }

  segment(p: Tensor): number {
    return this.index.get(p)!;
  }

  /** Puts the gradient of each of `params` that has one into its G segment (no-op where it
   * is there already) and returns their segment indices, in order. */
  gather(params: readonly Tensor[]): number[] {
    const rt = runtime();
    const present: number[] = [];
    for (const p of params) {
      const g = p.grad;
      if (!g) continue;
      const i = this.segment(p);
      present.push(i);
      const at = this.layout.offsets[i] * 4;
      if (g.buffer === this.G.buffer && g.offset === at) continue;
      if (g.size !== p.size) throw new Error(`flat gradients: gradient ${g.describe()} does not match parameter ${p.describe()}`);
      if (g.size) rt.copy(g.buffer, g.offset, this.G.buffer, at, g.size * 4);
      g.dispose();
      p.grad = keep(this.G.view(i, p.shape));
    }
    return present;
  }

  /** Whether every parameter with a gradient is among `segments` (so a kernel over the whole G touches no other gradient). */
  covers(segments: readonly number[]): boolean {
    const set = new Set(segments);
    return this.params.every((p, i) => !p.grad || set.has(i));
  }

  /** One dispatch writing sumSquaresKernel's partials of the gathered gradients `segments`
   * (in that order, so the partials are bit for bit the per-tensor ones) into `partial`. */
  sumSquares(segments: readonly number[], partial: Tensor): void {
    const key = segments.join(',');
    let t = this.tables.get(key);
    if (!t) {
      const rows = sumSquaresTable(segments.map((i) => ({ offset: this.layout.offsets[i], size: this.layout.sizes[i] })));
      const buffer = runtime().device.createBuffer({ size: Math.max(16, rows.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: 'sum-of-squares table' });
      // A new buffer no recorded command reads yet: a queue write ahead of them is safe.
      runtime().device.queue.writeBuffer(buffer, 0, rows);
      t = { buffer, workgroups: rows.length / 4 };
      this.tables.set(key, t);
    }
    runtime().dispatch(sumSquaresFlatKernel(t.workgroups), [this.G.binding, { buffer: t.buffer }, partial.binding]);
  }

  /** Another group took the parameters (a second optimizer over them): this one stops being used. */
  private detach(): void {
    this.detached = true;
  }

  /** Lets go of the buffers (the parameters keep P alive while they live; gradient views keep G). */
  dispose(): void {
    if (this.released || --this.refs > 0) return;
    this.released = true;
    this.detached = true;
    if (this.tables.size) runtime().flush();
    for (const t of this.tables.values()) t.buffer.destroy();
    this.tables.clear();
    for (const p of this.params) if (groups.get(p) === this) groups.delete(p);
    this.P.release();
    this.G.release();
  }
}

const groups = new WeakMap<Tensor, FlatParams>();

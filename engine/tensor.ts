import { runtime } from './runtime.js';
import { trackInScope } from './scope.js';
import type { Node } from './autograd.js';

/** What a storage that views part of a larger buffer hands its buffer back to (engine/optim/flat-buffer.ts). */
export interface BufferOwner {
  release(): void;
}

/**
 * A GPU buffer, or a range of one, shared by tensors that view it (reshape); freed at zero
 * refs: to the pool, or (a range of a flat buffer: `offset`, `owner`) to its owner.
 */
export class Storage {
  refs = 1;
  constructor(
    readonly buffer: GPUBuffer,
    readonly bytes: number,
    /** Byte offset into `buffer` (0 for pooled storage; a multiple of minStorageBufferOffsetAlignment otherwise). */
    readonly offset = 0,
    /** Set for a range of a buffer the pool does not own; `bytes` is then the range bound for kernels. */
    readonly owner: BufferOwner | null = null,
  ) {}

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs !== 0) return;
    if (this.owner) this.owner.release();
    else runtime().pool.release(this.buffer);
  }

  /** How a kernel binds it: a pooled buffer whole (kernels see its bucket size, as always), a range at its offset. */
  get binding(): GPUBufferBinding {
    return this.owner ? { buffer: this.buffer, offset: this.offset, size: this.bytes } : { buffer: this.buffer };
  }
}

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

let nextId = 1;

/** A contiguous f32 tensor on the GPU. */
export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  requiresGrad = false;
  grad: Tensor | null = null;
  /** The tape node that produced this tensor (null for leaves and under noGrad). */
  node: Node | null = null;
  private _storage: Storage | null;

  constructor(
    readonly shape: Shape,
    storage: Storage,
    readonly name?: string,
  ) {
    this.size = sizeOf(shape);
    this._storage = storage;
    trackInScope(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this._storage === null;
  }

  get storage(): Storage {
    if (!this._storage) throw new Error(`tensor ${this.describe()} was used after dispose()`);
    return this._storage;
  }

  /** The underlying GPU buffer; its values start at `offset` (copies, uploads, reads must add it). */
  get buffer(): GPUBuffer {
    return this.storage.buffer;
  }

  /** Byte offset of the values in `buffer` (non-zero for a view into a flat buffer). */
  get offset(): number {
    return this.storage.offset;
  }

  /** What a dispatch binds for this tensor (engine/runtime.ts: buffer, offset, size). */
  get binding(): GPUBufferBinding {
    return this.storage.binding;
  }

  /** Moves this tensor onto other storage holding the same values (a parameter into an
   * optimizer's flat buffer); its old storage is released. Views made of it before keep the old one. */
  relocate(storage: Storage): void {
    if (storage.bytes < this.size * 4) throw new Error(`relocate(): ${storage.bytes} bytes cannot hold ${this.describe()}`);
    const old = this.storage;
    this._storage = storage;
    old.release();
  }

  describe(): string {
    return `${this.name ?? `#${this.id}`}${shapeStr(this.shape)}`;
  }

  /** Copies the values to the host (submits pending work). */
  data(): Promise<Float32Array> {
    // Not async: a read inside a captured step throws at once (engine/capture.ts).
    const rt = runtime();
    if (rt.capture) {
      const op = this.node ? ` (op '${this.node.op}')` : '';
      throw rt.capture.hostRead(this._storage ? [this._storage.buffer] : [], `.data() of ${this.describe()}${op}`);
    }
    return this.readData();
  }

  private async readData(): Promise<Float32Array> {
    return new Float32Array(await runtime().read(this.buffer, this.size * 4, this.offset));
  }

  /** The single value of a one-element tensor. */
  item(): Promise<number> {
    if (this.size !== 1) return Promise.reject(new Error(`item(): tensor ${this.describe()} has ${this.size} elements, not 1`));
    return this.data().then((d) => d[0]);
  }

  /** Overwrites every value from the host (loading weights into a live parameter). */
  write(values: Float32Array): void {
    if (values.length !== this.size) throw new Error(`write(): ${values.length} values for tensor ${this.describe()} (${this.size})`);
    if (this.size) runtime().upload(this.buffer, values, this.offset);
  }

  /** Releases this tensor's hold on its buffer and on its tape node. Idempotent. */
  dispose(): void {
    if (!this._storage) return;
    this._storage.release();
    this._storage = null;
    if (this.node) {
      this.node.unref();
      this.node = null;
    }
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }
}

/** The values of many tensors with one wait for the GPU. */
export async function readAll(tensors: readonly Tensor[]): Promise<Float32Array[]> {
  const bufs = await runtime().readMany(tensors.map((t) => ({ buffer: t.buffer, bytes: t.size * 4, offset: t.offset })));
  return bufs.map((b) => new Float32Array(b));
}

/** A new tensor with a fresh pooled buffer (contents undefined). */
export function empty(shape: Shape, name?: string): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape ${shapeStr(shape)}: dimensions must be non-negative integers`);
  }
  const bytes = Math.max(4, sizeOf(shape) * 4);
  return new Tensor(shape, new Storage(runtime().pool.acquire(bytes), bytes), name);
}

/** A tensor with the given values. */
export function tensor(values: ArrayLike<number>, shape: Shape = [values.length], name?: string): Tensor {
  const n = sizeOf(shape);
  if (values.length !== n) throw new Error(`tensor(): ${values.length} values do not fill shape ${shapeStr(shape)} (${n})`);
  const t = empty(shape, name);
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  if (n) runtime().upload(t.buffer, data);
  return t;
}

export function zeros(shape: Shape, name?: string): Tensor {
  const t = empty(shape, name);
  runtime().clear(t.buffer, t.offset, Math.ceil(t.storage.bytes / 4) * 4);
  return t;
}

/** Another tensor over the same buffer (reshape); no copy. */
export function view(t: Tensor, shape: Shape): Tensor {
  return new Tensor(shape, t.storage.retain());
}

/** A trainable leaf tensor. */
export function parameter(values: ArrayLike<number>, shape: Shape, name?: string): Tensor {
  const t = tensor(values, shape, name);
  t.requiresGrad = true;
  return t;
}

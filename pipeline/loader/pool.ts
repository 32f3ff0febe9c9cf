import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { prepareImage, type ImageJob, type PreparedImage } from './prepare.js';

/**
 * Loader hooks that let a worker thread run the TypeScript sources directly (tests run
 * from source; the built package runs worker.js and never needs them): `.js` imports fall
 * back to the `.ts` file beside them, which the TypeScript compiler strips of types.
 */
function tsHooksSource(typescriptUrl: string): string {
  return `
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
let ts;
export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent && parent.startsWith('file:') && parent.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const js = new URL(specifier, parent);
    if (!existsSync(fileURLToPath(js))) {
      const tsUrl = new URL(specifier.slice(0, -3) + '.ts', parent);
      if (existsSync(fileURLToPath(tsUrl))) return { url: tsUrl.href, shortCircuit: true };
    }
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    ts ??= (await import(${JSON.stringify(typescriptUrl)})).default;
    const file = fileURLToPath(url);
    const out = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    });
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
  return next(url, context);
}`;
}

function spawn(): Worker {
  const js = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  const ts = new URL('./worker.ts', import.meta.url);
  const typescript = pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href;
  const hooks = `data:text/javascript,${encodeURIComponent(tsHooksSource(typescript))}`;
  const boot = `require('node:module').register(${JSON.stringify(hooks)}); import(${JSON.stringify(ts.href)});`;
  return new Worker(boot, { eval: true });
}

interface Pending {
  job: ImageJob;
  resolve: (r: PreparedImage) => void;
  reject: (e: Error) => void;
}

type Reply = { seq: number; x?: Float32Array; cacheHits?: number; error?: string };

/** Workers that die before preparing a single image, beyond one per thread, that a pool
 * replaces before it gives up: a worker that cannot start would be replaced for ever. */
const SPARE_DEATHS = 2;

/**
 * A few worker threads that prepare images; jobs run in the order given. With size 0 it
 * runs them on the calling thread (for comparison, or where threads are unwanted).
 *
 * A worker that dies (out of memory, a native crash, terminated) is replaced; the image it
 * was preparing fails with a message naming the field and its files, so the epoch stops
 * with that line instead of waiting for an answer that never comes. A pool whose workers
 * keep dying fails every waiting job and refuses new ones.
 */
export class WorkerPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: { seq: number; job: ImageJob }[] = [];
  private pending = new Map<number, Pending>();
  private busy = new Map<Worker, number>();
  private seq = 0;
  private closed = false;
  /** Deaths of workers that never finished an image (a worker that could not start). */
  private earlyDeaths = 0;
  private served = new WeakSet<Worker>();
  private broken: Error | null = null;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.add();
  }

  /** The live worker threads (replacements included). */
  get threads(): readonly Worker[] {
    return this.workers;
  }

  private add(): void {
    const w = spawn();
    let cause = '';
    w.on('message', (m: Reply) => this.done(w, m));
    w.on('error', (e) => (cause = e.message.split('\n')[0]));
    w.on('exit', (code) => this.died(w, cause || `exit code ${code}`));
    w.unref();
    this.workers.push(w);
    this.idle.push(w);
  }

  run(job: ImageJob): Promise<PreparedImage> {
    if (this.closed) return Promise.reject(new Error('loader: the worker pool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (this.size === 0) {
      try {
        return Promise.resolve(prepareImage(job));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    const seq = this.seq++;
    const p = new Promise<PreparedImage>((resolve, reject) => this.pending.set(seq, { job, resolve, reject }));
    this.queue.push({ seq, job });
    this.pump();
    return p;
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const msg = this.queue.shift()!;
      this.busy.set(w, msg.seq);
      w.ref(); // keep the process alive while work is in flight
      w.postMessage(msg);
    }
  }

  private done(w: Worker, m: Reply): void {
    const p = this.pending.get(m.seq);
    this.pending.delete(m.seq);
    this.busy.delete(w);
    this.served.add(w);
    if (!this.closed) w.unref(); // close() keeps it ref'd until it has exited
    this.idle.push(w);
    if (p) {
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve({ x: m.x!, cacheHits: m.cacheHits ?? 0 });
    }
    this.pump();
  }

  private died(w: Worker, cause: string): void {
    this.workers = this.workers.filter((x) => x !== w);
    this.idle = this.idle.filter((x) => x !== w);
    if (this.closed) return;
    const seq = this.busy.get(w);
    this.busy.delete(w);
    const p = seq === undefined ? undefined : this.pending.get(seq);
    if (p) {
      this.pending.delete(seq!);
      p.reject(new Error(`loader: the worker preparing ${p.job.id} (${p.job.files.join(', ')}) died: ${cause}`));
    }
    if (!this.served.has(w)) this.earlyDeaths++;
    if (this.earlyDeaths <= this.size + SPARE_DEATHS) {
      this.add();
      this.pump();
    } else if (!this.workers.length) {
      this.broken = new Error(`loader: decode workers keep dying before they prepare an image (${this.earlyDeaths} so far, the last: ${cause})`);
      for (const q of this.pending.values()) q.reject(this.broken);
      this.pending.clear();
      this.queue = [];
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error('loader: the worker pool was closed'));
    this.pending.clear();
    this.queue = [];
    // terminate()'s promise settles on the worker's exit event, which the event loop does not
    // wait for while the worker is unref'd: with nothing else keeping the loop alive (Dawn's
    // null backend, or a GPU with no work in flight) Node exits with code 13 first, and the
    // error on its way up is never printed. Seen when a train run failed while a prefetched
    // image's reply was still queued: done() unref'd that worker in the middle of close().
    for (const w of this.workers) w.ref();
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.idle = [];
  }
}

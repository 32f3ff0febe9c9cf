// tfjs-backend-wasm 4.22 runs single-threaded under Node: it reports no thread support there
// (tfjs issue #3830), and its pthread build hands its workers Blob URLs, which Node's
// worker_threads cannot load. The peer is quoted as "tfjs-wasm on 2 threads", so in the peer's
// child process (never elsewhere: this patches globals) we let it have its threads:
// - the thread-support flag is forced on;
// - Blobs it makes are written to temp .js files and their "URL" is the file's path;
// - the main script Blob it assigns to `mainScriptUrlOrBlob` becomes such a path too, with the
//   few bundle-scope names its stringified factory refers to defined up front;
// - os.cpus() is padded, because the pool it sizes from the core count stays under it.
// The caller checks getThreadsCount() afterwards and reports what it got.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Env {
  set(flag: string, value: boolean): void;
}

/** What the pthread factory's source names from its bundle's scope, defined for a worker's global scope. */
const BUNDLE_SCOPE = [
  'var commonjsGlobal = globalThis;',
  'var require$$0 = require("fs"), require$$1 = require("path"), require$$3 = require("perf_hooks"), require$$4 = require("os");',
  'function __values(o) { return o[Symbol.iterator](); }',
  'function __read(o, n) { const a = Array.from(o); return n === undefined ? a : a.slice(0, n); }',
  'function __spreadArray(to, from) { return to.concat(Array.from(from)); }',
  '',
].join('\n');

const TRAP = 'mainScriptUrlOrBlob';

/** Installs the patches; returns a function that removes the prototype trap once the backend is up. */
export function enableWasmThreads(env: Env, threads: number): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hpa-peer-wasm-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const writeScript = (text: string): string => {
    const file = path.join(dir, `script${files++}.js`);
    fs.writeFileSync(file, text);
    return file;
  };

  const texts = new WeakMap<Blob, string>();
  const NodeBlob = globalThis.Blob;
  class TextBlob extends NodeBlob {
    constructor(parts: ConstructorParameters<typeof Blob>[0] = [], options?: ConstructorParameters<typeof Blob>[1]) {
      super(parts, options);
      texts.set(this, parts.map(String).join(''));
    }
  }
  globalThis.Blob = TextBlob as typeof Blob;

  const createObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob: Blob) => {
    const text = texts.get(blob);
    return text === undefined ? createObjectURL(blob) : writeScript(text);
  };

  Object.defineProperty(Object.prototype, TRAP, {
    configurable: true,
    set(this: object, v: unknown) {
      const text = v instanceof NodeBlob ? texts.get(v) : undefined;
      const value = text === undefined ? v : writeScript(BUNDLE_SCOPE + text);
      Object.defineProperty(this, TRAP, { value, writable: true, enumerable: true, configurable: true });
    },
  });

  const cpus = os.cpus;
  os.cpus = () => {
    const c = cpus();
    while (c.length > 0 && c.length < 2 * threads) c.push(c[0]);
    return c;
  };

  env.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  return () => {
    delete (Object.prototype as Record<string, unknown>)[TRAP];
  };
}

import { runtime } from '../engine/index.js';

interface Stream {
  write(s: string): unknown;
  isTTY?: boolean;
}

/**
 * Tells the user while the GPU driver compiles kernels, which on a software adapter takes
 * minutes the first time a network and input size are seen (Mesa keeps them in its shader
 * cache after that): without it the first epoch's bar sits still and looks like a hang.
 * Silent while compiles are fast (a warm cache); after `showAfterMs` of compiling in one
 * burst it prints a line, counts on a terminal, and closes the burst with the total when
 * the thread is next free: compiles block it, so a burst is the synchronous stretch that
 * records a step (the training step's, then validation's).
 */
export function compileNotice(stream: Stream = process.stderr, showAfterMs = 1500): (ms: number) => void {
  let count = 0;
  let ms = 0;
  let shown = false;
  let lastDraw = 0;
  let ending = false;
  const seconds = () => (ms / 1000).toFixed(1);
  const end = () => {
    ending = false;
    if (shown) stream.write(`${stream.isTTY ? '\r\x1b[K' : ''}compiled ${count} GPU kernels in ${seconds()} s (the driver caches them: later runs of this shape skip this)\n`);
    count = 0;
    ms = 0;
    shown = false;
  };
  return (took: number) => {
    count++;
    ms += took;
    if (!ending) {
      ending = true;
      setImmediate(end);
    }
    if (!shown && ms >= showAfterMs) {
      shown = true;
      if (!stream.isTTY) stream.write(`compiling GPU kernels for this shape (first run only; ${count} so far)...\n`);
    }
    const now = performance.now();
    if (shown && stream.isTTY && now - lastDraw > 250) {
      lastDraw = now;
      stream.write(`\r\x1b[Kcompiling GPU kernels for this shape (first run only): ${count}, ${seconds()} s`);
    }
  };
}

/** Installs the notice on the engine's runtime (after initEngine). */
export function showCompiles(): void {
  const notice = compileNotice();
  runtime().onPipeline = (ms) => notice(ms);
}

import { parentPort } from 'node:worker_threads';
import { prepareImage, type ImageJob } from './prepare.js';

// One image per message; the result's buffer is transferred, not copied.
parentPort?.on('message', (msg: { seq: number; job: ImageJob }) => {
  try {
    const r = prepareImage(msg.job);
    parentPort!.postMessage({ seq: msg.seq, x: r.x, cacheHits: r.cacheHits }, [r.x.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ seq: msg.seq, error: (e as Error).message });
  }
});

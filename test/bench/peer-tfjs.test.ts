// The bench's tfjs peer, on tfjs-cpu in this process at a tiny shape: it must build the same
// network as ours and time a real training step. The bench itself runs it in a child process
// on tfjs-webgpu and tfjs-wasm; the suite never does.
import { describe, expect, it } from 'vitest';
import { efficientNetConfig, parameterCount } from '../../models/efficientnet-config.js';
import { parsePeerOutput, PEER_RESULT_MARK } from '../../bench/peer-tfjs.js';
import { runPeer, type PeerSpec } from '../../bench/peer-tfjs-run.js';

describe('tfjs peer', () => {
  it('trains B0 (19 classes, our parameter count) on tfjs-cpu and reports a positive finite rate', async () => {
    const r = await runPeer({ backend: 'cpu', mode: 'train', batch: 1, size: 32, steps: 1, warmup: 0 });
    expect(r.params).toBe(parameterCount(efficientNetConfig('b0', { numClasses: 19 })));
    expect(r.stepMs).toHaveLength(1);
    expect(Number.isFinite(r.imagesPerSec) && r.imagesPerSec > 0).toBe(true);
    expect(r.peer).toMatch(/^tfjs-cpu 4\.22\.0$/);
  });

  it('refuses to train on tfjs-wasm, which has no conv filter gradient', async () => {
    await expect(runPeer({ backend: 'wasm', mode: 'train', batch: 1, size: 32, steps: 1 })).rejects.toThrow(/tfjs-wasm cannot train/);
  });

  const spec: PeerSpec = { backend: 'webgpu', mode: 'infer', batch: 2, size: 64, steps: 1 };

  it("reads the child's result line among whatever tfjs printed", () => {
    const line = `${PEER_RESULT_MARK}${JSON.stringify({ ok: true, spec, imagesPerSec: 3.5 })}`;
    const r = parsePeerOutput(spec, `Hi, looks like you are running TensorFlow.js in Node.js\n${line}\n`, 'Warning: x\n', 'exit 0');
    expect(r.ok && r.imagesPerSec).toBe(3.5);
  });

  it('turns a child that died without a result into one line naming how it ended', () => {
    const r = parsePeerOutput(spec, '', "node:internal\nError [ERR_MODULE_NOT_FOUND]: Cannot find package '@tensorflow/tfjs-core'\n    at x\n", 'exit 1');
    expect(r).toEqual({ ok: false, spec, error: "peer died (exit 1): Error [ERR_MODULE_NOT_FOUND]: Cannot find package '@tensorflow/tfjs-core'" });
  });
});

import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { compileNotice } from '../../cli/compile-notice.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

const sink = (isTTY: boolean) => {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => out.push(s) } };
};
const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the compile notice', () => {
  it('says nothing while compiles are quick (a warm shader cache)', async () => {
    const { out, stream } = sink(false);
    const notice = compileNotice(stream, 1500);
    for (let i = 0; i < 50; i++) notice(20); // 1 s in all, under the threshold
    await idle(5);
    expect(out).toEqual([]);
  });

  it('announces a slow burst once it passes the threshold and closes it with the count and the time', async () => {
    const { out, stream } = sink(false);
    const notice = compileNotice(stream, 1500);
    // One synchronous stretch of compiles is one burst; the 4th crosses 1.5 s.
    for (let i = 0; i < 10; i++) notice(400);
    expect(out).toEqual(['compiling GPU kernels for this shape (first run only; 4 so far)...\n']);
    await idle(5);
    expect(out[1]).toBe('compiled 10 GPU kernels in 4.0 s (the driver caches them: later runs of this shape skip this)\n');
    // A later burst (validation's shapes, say) is counted on its own.
    for (let i = 0; i < 3; i++) notice(600);
    await idle(5);
    expect(out.slice(2)).toEqual(['compiling GPU kernels for this shape (first run only; 3 so far)...\n', 'compiled 3 GPU kernels in 1.8 s (the driver caches them: later runs of this shape skip this)\n']);
  });

  it('counts in place on a terminal', async () => {
    const { out, stream } = sink(true);
    const notice = compileNotice(stream, 100);
    notice(150);
    expect(out[0]).toBe('\r\x1b[Kcompiling GPU kernels for this shape (first run only): 1, 0.1 s');
    await idle(5);
    expect(out[out.length - 1]).toBe('\r\x1b[Kcompiled 1 GPU kernels in 0.1 s (the driver caches them: later runs of this shape skip this)\n');
  });

  it('hears from the runtime once per new pipeline, with the time its compile took', () => {
    const rt = E.runtime();
    const seen: [number, string][] = [];
    rt.onPipeline = (ms, key) => seen.push([ms, key]);
    try {
      const key = `compile-notice-test:${Date.now()}`;
      const kernel = { key, code: '@compute @workgroup_size(1) fn main() {}', workgroups: [1, 1, 1] as [number, number, number] };
      rt.pipeline(kernel);
      rt.pipeline(kernel);
      expect(seen.map(([, k]) => k)).toEqual([key]);
      expect(seen[0][0]).toBeGreaterThanOrEqual(0);
    } finally {
      rt.onPipeline = null;
    }
  });
});

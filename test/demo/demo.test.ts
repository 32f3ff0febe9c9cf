import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDemoSummary, runDemo } from '../../pipeline/demo/run.js';
import { useEngine } from '../helpers/engine.js';

useEngine();

const quiet = new Writable({ write: (_c, _e, cb) => cb() });

describe('demo', () => {
  it('runs the whole workflow on a shrunken preset and reports every figure and artefact', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hpa-demo-')), 'demo');
    const lines: string[] = [];
    const tiny = { size: 32, epochs: 1, batch: 4, lr: 1e-3 };
    const r = await runDemo({
      out,
      quick: true,
      log: (l) => lines.push(l),
      progressStream: quiet,
      preset: { trainFields: 8, testFields: 3, fieldSize: 192, image: tiny, tile: tiny },
    });
    for (const p of Object.values(r.paths)) expect(existsSync(p), p).toBe(true);
    expect(existsSync(join(r.paths.imageRun, 'best.safetensors'))).toBe(true);
    expect(existsSync(join(r.paths.tileRun, 'best.safetensors'))).toBe(true);
    expect(r.segmentationF1).toBeGreaterThan(0.5);
    for (const v of [r.mAP.image, r.mAP.tile, r.mAP.fused]) expect(v).toBeGreaterThanOrEqual(0);
    expect(lines.some((l) => l.includes('tile weight') && l.includes('mAP'))).toBe(true);
    const summary = formatDemoSummary(r);
    expect(summary).toMatch(/cell-level mAP, fused \(w = 0.5\)\s+\d\.\d{4}/);
    expect(summary).toContain(r.paths.submission);
  });

  it('refuses a non-empty folder without --force', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hpa-demo-busy-'));
    mkdirSync(join(out, 'x'));
    writeFileSync(join(out, 'x', 'keep.txt'), 'mine');
    await expect(runDemo({ out, quick: true, log: () => {} })).rejects.toThrow(/: not empty$/);
  });
});

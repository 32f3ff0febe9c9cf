import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { segmentDataset } from '../../pipeline/segment/run.js';
import { tempDir } from '../pipeline/fixtures.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('hpa-segment-synth-')));
afterAll(() => cleanup());

describe('segmentation of synthetic fields against their true masks', () => {
  it('reaches cell F1 >= 0.9 at IoU 0.6', () => {
    const data = join(dir, 'synth');
    writeSynthDataset(data, { images: 6, size: 384, seed: 11 });
    const r = segmentDataset({ data, out: join(dir, 'seg'), compare: data });
    expect(r.fields).toHaveLength(6);
    expect(r.overall!.reference).toBeGreaterThan(40);
    expect(r.overall!.f1).toBeGreaterThanOrEqual(0.9);
    expect(r.overall!.nucleusCoverage).toBeGreaterThanOrEqual(0.95);
  });
});

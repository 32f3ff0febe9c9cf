import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGray } from '../../pipeline/png.js';
import { segmentField } from '../../pipeline/segment/field.js';
import { compareField, overallComparison, type FieldComparison } from '../../pipeline/segment/compare.js';
import { sharedFile } from '../helpers/shared-data.js';

// Two real 2048^2 HPA fields with the masks the HPA segmentation networks predicted for them.
const ids = ['5c27f04c-bb99-11e8-b2b9-ac1f6b6435d0', 'b6a469d8-bbad-11e8-b2ba-ac1f6b6435d0'];
const masks = ids.map((id) => sharedFile(`hpa-sample/${id}_predictedmask.png`));
const dir = dirname(masks[0].path);
const present = masks.every((m) => m.present);

describe.skipIf(!present)(masks[present ? 0 : masks.findIndex((m) => !m.present)].title('segmentation of the real HPA sample fields against the HPA networks'), () => {
  it('reaches cell F1 >= 0.7 at IoU 0.6 and finds a nucleus for >= 95% of reference cells', () => {
    const fields: FieldComparison[] = [];
    for (const id of ids) {
      const ch = {
        red: readGray(join(dir, `${id}_red.png`)),
        green: readGray(join(dir, `${id}_green.png`)),
        blue: readGray(join(dir, `${id}_blue.png`)),
        yellow: readGray(join(dir, `${id}_yellow.png`)),
      };
      const seg = segmentField(ch, {}, id);
      const c = compareField(id, seg.cells, seg.nuclei, dir);
      fields.push(c);
      // Each field on its own, so one good field cannot hide a bad one.
      expect(c.f1, id).toBeGreaterThanOrEqual(0.7);
    }
    const all = overallComparison(fields);
    expect(all.f1).toBeGreaterThanOrEqual(0.7);
    expect(all.nucleusCoverage).toBeGreaterThanOrEqual(0.95);
    expect(all.meanIoU).toBeGreaterThan(0.7);
  });
});

import { readFileSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkImages, openDataset } from '../../pipeline/dataset.js';
import { multiHot } from '../../pipeline/labels.js';
import { writePng } from '../../pipeline/png.js';
import { channelData, tempDir, writeField, writeTrainSet } from './fixtures.js';
import { sharedFile } from '../helpers/shared-data.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/** The error must be one line and match `pattern`. */
function expectError(fn: () => unknown, pattern: RegExp): void {
  let msg = '';
  try {
    fn();
  } catch (e) {
    msg = (e as Error).message;
  }
  expect(msg, 'expected an error').not.toBe('');
  expect(msg).not.toContain('\n');
  expect(msg).toMatch(pattern);
}

describe('openDataset: train layout', () => {
  it('reads train.csv with | and space separated labels and images in train/', () => {
    writeTrainSet(dir, [['a', '8|5|0'], ['b', '11'], ['c', '3 16']], 12, 10);
    const ds = openDataset(dir);
    expect(ds.kind).toBe('train');
    expect(ds.imageDir).toBe(join(dir, 'train'));
    expect(ds.items.map((i) => [i.id, i.labels, i.width, i.height, i.row])).toEqual([
      ['a', [0, 5, 8], 12, 10, 2],
      ['b', [11], 12, 10, 3],
      ['c', [3, 16], 12, 10, 4],
    ]);
    expect(ds.channelPath('b', 'yellow')).toBe(join(dir, 'train', 'b_yellow.png'));
    const hot = multiHot(ds.items[0].labels!);
    expect(hot).toHaveLength(19);
    expect([...hot].map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).toEqual([0, 5, 8]);
  });

  it('finds images beside the csv, and accepts the csv path itself', () => {
    writeFileSync(join(dir, 'train.csv'), 'ID,Label\r\nx,1\r\n\r\n');
    writeField(dir, 'x');
    expect(openDataset(dir).imageDir).toBe(dir);
    expect(openDataset(join(dir, 'train.csv')).items[0].labels).toEqual([1]);
  });

  it('accepts the columns in another order', () => {
    writeFileSync(join(dir, 'train.csv'), 'Label,ID\n2|4,x\n');
    writeField(dir, 'x');
    expect(openDataset(dir).items[0]).toMatchObject({ id: 'x', labels: [2, 4] });
  });

  it('checks only the channels asked for', () => {
    writeFileSync(join(dir, 'train.csv'), 'ID,Label\nx,1\n');
    writePng(join(dir, 'x_green.png'), 4, 4, channelData(4, 4, 8, 1));
    expectError(() => openDataset(dir), /x_red\.png: file not found \(train\.csv row 2, ID x\)/);
    expect(openDataset(dir, { channels: ['green'] }).items[0].width).toBe(4);
  });
});

describe('openDataset: test layout', () => {
  it('reads sample_submission.csv with images in test/', () => {
    writeFileSync(join(dir, 'sample_submission.csv'), 'ID,ImageWidth,ImageHeight,PredictionString\nt1,6,5,0 1 eNoLCAgAAA==\n');
    writeField(join(dir, 'test'), 't1', 6, 5);
    const ds = openDataset(dir);
    expect(ds.kind).toBe('test');
    expect(ds.items).toEqual([{ id: 't1', row: 2, width: 6, height: 5 }]);
    expect(ds.items[0].labels).toBeUndefined();
  });

  it('prefers train.csv in a Kaggle root unless asked for the test split', () => {
    writeTrainSet(dir, [['a', '1']]);
    writeFileSync(join(dir, 'sample_submission.csv'), 'ID,ImageWidth,ImageHeight,PredictionString\nt1,8,8,\n');
    writeField(join(dir, 'test'), 't1');
    expect(openDataset(dir).kind).toBe('train');
    expect(openDataset(dir, { split: 'test' }).items.map((i) => i.id)).toEqual(['t1']);
  });

  it('reads a sample_submission.csv of only ID, ImageWidth and ImageHeight', () => {
    writeFileSync(join(dir, 'sample_submission.csv'), 'ID,ImageWidth,ImageHeight\nt1,8,8\n');
    writeField(join(dir, 'test'), 't1');
    const ds = openDataset(dir);
    expect(ds.kind).toBe('test');
    expect(ds.items).toMatchObject([{ id: 't1', width: 8, height: 8 }]);
  });

  it('lists ids from a test/ folder of images when there is no csv', () => {
    writeField(join(dir, 'test'), 'q2');
    writeField(join(dir, 'test'), 'q1');
    const ds = openDataset(dir);
    expect(ds.kind).toBe('test');
    expect(ds.items.map((i) => i.id)).toEqual(['q1', 'q2']);
  });

  it('refuses a size that disagrees with the images', () => {
    writeFileSync(join(dir, 'sample_submission.csv'), 'ID,ImageWidth,ImageHeight,PredictionString\nt1,9,8,\n');
    writeField(join(dir, 'test'), 't1');
    expectError(() => openDataset(dir), /sample_submission\.csv row 2, ID t1: the csv says 9x8 but the images are 8x8/);
  });

  it('refuses a width that is not a positive integer', () => {
    writeFileSync(join(dir, 'sample_submission.csv'), 'ID,ImageWidth,ImageHeight,PredictionString\nt1,8,8,\nt2,-3,8,\n');
    expectError(() => openDataset(dir, { check: 'none' }), /sample_submission\.csv row 3: ImageWidth '-3' is not a positive integer/);
  });
});

describe('openDataset: bad input, one line naming file and row', () => {
  const csv = (text: string) => writeFileSync(join(dir, 'train.csv'), text);
  it('missing column', () => {
    csv('ID\na\n');
    expectError(() => openDataset(dir), /^train\.csv row 1: missing column 'Label'/);
  });
  it('extra column', () => {
    csv('ID,Label,Extra\na,1,2\n');
    expectError(() => openDataset(dir), /^train\.csv row 1: extra column 'Extra'/);
  });
  it('a row with an extra or a missing cell', () => {
    csv('ID,Label\na,1\nb,2,3\n');
    expectError(() => openDataset(dir), /^train\.csv row 3: 3 cells where 2 expected \(extra column\)/);
    csv('ID,Label\na,1\nb\n');
    expectError(() => openDataset(dir), /^train\.csv row 3: 1 cells where 2 expected \(missing column\)/);
  });
  for (const bad of ['19', '-1', 'x', '1.5', '1e1']) {
    it(`unknown label '${bad}'`, () => {
      csv(`ID,Label\na,1\nb,0|${bad}\n`);
      expectError(() => openDataset(dir), new RegExp(`^train\\.csv row 3: unknown label '${bad.replace('.', '\\.')}'`));
    });
  }
  it('an empty label cell', () => {
    csv('ID,Label\na,\n');
    expectError(() => openDataset(dir), /^train\.csv row 2: empty label/);
  });
  it('empty csv: no rows, or nothing at all', () => {
    csv('ID,Label\n');
    expectError(() => openDataset(dir), /^train\.csv: empty csv \(a header but no rows\)/);
    csv('');
    expectError(() => openDataset(dir), /^train\.csv: empty csv \(no header row\)/);
  });
  it('duplicate IDs', () => {
    csv('ID,Label\na,1\nb,2\na,3\n');
    expectError(() => openDataset(dir), /^train\.csv row 4: duplicate ID 'a' \(first at row 2\)/);
  });
  for (const id of ['../escape', 'sub/dir', 'back\\slash', '..']) {
    it(`an ID that could escape the folder: ${id}`, () => {
      csv(`ID,Label\nok,1\n${id},1\n`);
      expectError(() => openDataset(dir), /^train\.csv row 3: ID .* contains a path separator or '\.\.' \(refused/);
    });
  }
  it('a missing channel file', () => {
    writeTrainSet(dir, [['a', '1'], ['b', '2']]);
    unlinkSync(join(dir, 'train', 'b_blue.png'));
    expectError(() => openDataset(dir), /b_blue\.png: file not found \(train\.csv row 3, ID b\)/);
  });
  it('an empty channel file', () => {
    writeTrainSet(dir, [['a', '1']]);
    writeFileSync(join(dir, 'train', 'a_blue.png'), '');
    expectError(() => openDataset(dir), /a_blue\.png: not a PNG file \(train\.csv row 2, ID a\)/);
  });
  it('a truncated PNG', () => {
    writeTrainSet(dir, [['a', '1']], 32, 32);
    const f = join(dir, 'train', 'a_green.png');
    truncateSync(f, statSync(f).size - 20);
    expectError(() => openDataset(dir), /a_green\.png: truncated PNG \(no IEND at the end\) \(train\.csv row 2, ID a\)/);
  });
  it('a PNG corrupted inside its data (found by the full check)', () => {
    writeTrainSet(dir, [['a', '1']], 32, 32);
    const f = join(dir, 'train', 'a_yellow.png');
    const bytes = readFileSync(f);
    bytes[bytes.length - 20] ^= 0xff; // inside IDAT: the header and IEND stay intact
    writeFileSync(f, bytes);
    expect(() => openDataset(dir)).not.toThrow();
    expectError(() => openDataset(dir, { check: 'full' }), /a_yellow\.png: not a readable PNG .* \(train\.csv row 2, ID a\)/);
  });
  it('a file that is not a PNG at all', () => {
    writeTrainSet(dir, [['a', '1']]);
    writeFileSync(join(dir, 'train', 'a_red.png'), 'GIF89a and more text to make it long enough');
    expectError(() => openDataset(dir), /a_red\.png: not a PNG file \(train\.csv row 2, ID a\)/);
  });
  it('channels of different sizes', () => {
    writeTrainSet(dir, [['a', '1']], 8, 8);
    writePng(join(dir, 'train', 'a_blue.png'), 8, 6, channelData(8, 6, 8, 2));
    expectError(() => openDataset(dir), /a_blue\.png: 8x6 but red is 8x8: channels of different sizes \(train\.csv row 2, ID a\)/);
  });
  it('a folder with nothing in it', () => {
    expectError(() => openDataset(dir), /no train\.csv, no sample_submission\.csv/);
    expectError(() => openDataset(join(dir, 'nope')), /nope: no such folder/);
  });
});

const sampleCsv = sharedFile('hpa-sample/train.csv');
const sample = dirname(sampleCsv.path);
describe.skipIf(!sampleCsv.present)(sampleCsv.title('openDataset on the real HPA sample'), () => {
  it('reads the two real fields through a 2-row csv', () => {
    const ids = ['5c27f04c-bb99-11e8-b2b9-ac1f6b6435d0', 'b6a469d8-bbad-11e8-b2ba-ac1f6b6435d0'];
    const lines = readFileSync(join(sample, 'train.csv'), 'utf8').split('\n');
    expect(lines[0].trim()).toBe('ID,Label');
    writeFileSync(join(dir, 'train.csv'), [lines[0], ...ids.map((id) => lines.find((l) => l.startsWith(id + ','))!)].join('\n'));
    for (const id of ids) {
      for (const c of ['red', 'green', 'blue', 'yellow']) symlinkSync(join(sample, `${id}_${c}.png`), join(dir, `${id}_${c}.png`));
    }
    const ds = openDataset(dir);
    expect(ds.items.map((i) => [i.id, i.labels, i.width, i.height])).toEqual([
      [ids[0], [0, 5, 8], 2048, 2048],
      [ids[1], [11], 2048, 2048],
    ]);
    checkImages(ds, ['blue'], true); // a full decode of real files passes
  });

  it('parses the full competition csv (21,806 rows) without touching images', () => {
    const ds = openDataset(sample, { check: 'none' });
    expect(ds.items).toHaveLength(21806);
    expect(ds.items.every((i) => i.labels!.length > 0)).toBe(true);
  });
});

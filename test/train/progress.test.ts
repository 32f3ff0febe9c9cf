import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../pipeline/train/progress.js';

/** A real Writable that keeps what was written; `tty` makes it look like a terminal. */
function sink(tty: boolean, columns?: number) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    { isTTY: tty, columns },
  );
  return { stream, chunks };
}

describe('ProgressBar', () => {
  it('prints plain lines at 25/50/75/100% when not on a terminal', () => {
    const { stream, chunks } = sink(false);
    const bar = new ProgressBar({ total: 8, label: 'train', stream });
    for (let done = 1; done <= 8; done++) bar.update(done, { loss: 0.5, imagesPerSecond: 1.25 });
    bar.finish();
    expect(chunks).toEqual([
      'train 25% 2/8  1.25 img/s  loss 0.5000\n',
      'train 50% 4/8  1.25 img/s  loss 0.5000\n',
      'train 75% 6/8  1.25 img/s  loss 0.5000\n',
      'train 100% 8/8  1.25 img/s  loss 0.5000\n',
    ]);
  });

  it('prints one line for a jump past several milestones, and the final state of an early stop', () => {
    const { stream, chunks } = sink(false);
    const bar = new ProgressBar({ total: 100, label: 'val', stream });
    bar.update(10, { loss: 1, imagesPerSecond: 2 });
    bar.update(60, { loss: 1, imagesPerSecond: 2 });
    bar.update(70, { loss: 0.9, imagesPerSecond: 2 });
    bar.finish();
    bar.finish();
    expect(chunks).toEqual(['val 60% 60/100  2.00 img/s  loss 1.0000\n', 'val 70% 70/100  2.00 img/s  loss 0.9000\n']);
  });

  it('redraws one line on a terminal, at most ten times a second', async () => {
    const { stream, chunks } = sink(true, 100);
    const bar = new ProgressBar({ total: 1000, label: 'train', stream });
    for (let done = 1; done <= 500; done++) bar.update(done, { loss: 0.25, imagesPerSecond: 3 });
    // 500 updates take well under a millisecond; allow one more redraw for a stalled machine.
    const drawn = chunks.length;
    expect(drawn).toBeLessThanOrEqual(2);
    expect(chunks[0]).toMatch(/^\rtrain \[\.{40}\] 1\/1000 {2}3\.00 img\/s {2}loss 0\.2500$/);
    await sleep(120);
    bar.update(1000, { loss: 0.125, imagesPerSecond: 3 });
    expect(chunks[drawn]).toMatch(/^\rtrain \[#{40}\] 1000\/1000 .*loss 0\.1250$/);
    bar.finish();
    expect(chunks.slice(drawn + 1).join('')).toMatch(/^\r.*1000\/1000.*\n$/);
    expect(chunks.join('')).not.toMatch(/\n[^]/); // a single line, ended once
  });

  it('fits the bar to a narrow terminal and blanks out a longer previous line', async () => {
    const { stream, chunks } = sink(true, 50);
    const bar = new ProgressBar({ total: 4, label: 'train', stream });
    bar.update(2, { loss: 123.5, imagesPerSecond: 10 });
    await sleep(120);
    bar.update(3, { loss: 1, imagesPerSecond: 10 });
    expect(chunks[0]).toBe('\rtrain [#####.....] 2/4  10.00 img/s  loss 123.5000');
    expect(chunks[1]).toBe('\rtrain [########..] 3/4  10.00 img/s  loss 1.0000  ');
  });
});

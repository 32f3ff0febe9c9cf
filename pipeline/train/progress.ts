/** The stream a ProgressBar writes to: stderr by default; any Writable in tests. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

// Redrawing faster than the eye reads only costs terminal time.
const REDRAW_MS = 100;
const MILESTONES = [25, 50, 75, 100];

/** Progress through an epoch. On a terminal, one line redrawn in place (bar, done/total,
 * images/s, running loss); in a log file, a plain line at 25, 50, 75 and 100%. */
export class ProgressBar {
  private readonly total: number;
  private readonly label: string;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private done = 0;
  private info: { loss?: number; imagesPerSecond: number } = { imagesPerSecond: NaN };
  private lastDraw = -Infinity;
  private drawnWidth = 0;
  private shownDone = -1;
  private milestone = 0;
  private finished = false;

  constructor(opts: { total: number; label: string; stream?: ProgressStream }) {
    this.total = Math.max(0, opts.total);
    this.label = opts.label;
    this.stream = opts.stream ?? process.stderr;
    this.tty = !!this.stream.isTTY;
  }

  /** `loss` is left out where nothing trains (predict). */
  update(done: number, info: { loss?: number; imagesPerSecond: number }): void {
    if (this.finished) return;
    this.done = done;
    this.info = info;
    if (this.tty) {
      const now = performance.now();
      if (now - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = now;
      this.redraw();
      return;
    }
    const passed = MILESTONES.filter((m) => this.percent() >= m).pop() ?? 0;
    if (passed > this.milestone) {
      this.milestone = passed;
      this.printLine();
    }
  }

  /** Shows the final state (also after an early stop) and ends the line. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.tty) {
      this.redraw();
      this.stream.write('\n');
    } else if (this.shownDone !== this.done) this.printLine();
  }

  private percent(): number {
    return this.total ? Math.min(100, (100 * this.done) / this.total) : 100;
  }

  private stats(): string {
    const ips = Number.isFinite(this.info.imagesPerSecond) ? this.info.imagesPerSecond.toFixed(2) : '-';
    const l = this.info.loss;
    const loss = l === undefined ? '' : `  loss ${Number.isFinite(l) ? l.toFixed(4) : String(l)}`;
    return `${this.done}/${this.total}  ${ips} img/s${loss}`;
  }

  /** Fixed for the whole epoch, so the bar does not jitter as the numbers change: what a
   * typical line leaves of the terminal, within reason, one column spare so it never wraps. */
  private barWidth(): number {
    const typical = `${this.label} [] ${this.total}/${this.total}  000.00 img/s  loss 0.0000`;
    return Math.max(10, Math.min(40, (this.stream.columns || 80) - 1 - typical.length));
  }

  private printLine(): void {
    this.shownDone = this.done;
    this.stream.write(`${this.label} ${Math.floor(this.percent())}% ${this.stats()}\n`);
  }

  private redraw(): void {
    this.shownDone = this.done;
    const text = this.stats();
    const barWidth = this.barWidth();
    const filled = Math.round((barWidth * this.percent()) / 100);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${text}`;
    // Spaces over whatever the previous, longer line left behind.
    this.stream.write(`\r${line.padEnd(this.drawnWidth)}`);
    this.drawnWidth = line.length;
  }
}

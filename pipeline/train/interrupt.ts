export const STOP_MESSAGE = 'stopping after this batch; Ctrl-C again to quit now';

/** Ctrl-C during training: the first asks the loop to stop after the current batch (it then
 * writes a checkpoint and exits cleanly); a second one quits at once with the shell's
 * interrupted status, 130, for when the batch itself hangs. */
export class StopSignal {
  private stop = false;
  private readonly handler = () => {
    if (this.stop) {
      process.stderr.write('\ninterrupted\n');
      process.exit(130);
    }
    this.stop = true;
    this.onFirst(STOP_MESSAGE);
  };

  constructor(private readonly onFirst: (msg: string) => void = (msg) => process.stderr.write(`\n${msg}\n`)) {
    process.on('SIGINT', this.handler);
  }

  get requested(): boolean {
    return this.stop;
  }

  /** Gives Ctrl-C back its usual meaning. */
  dispose(): void {
    process.off('SIGINT', this.handler);
  }
}

import { describe, expect, it } from 'vitest';
import { STOP_MESSAGE, StopSignal } from '../../pipeline/train/interrupt.js';

// Only the first Ctrl-C is exercised: a second one would exit the test process.
describe('StopSignal', () => {
  it('asks to stop on the first Ctrl-C and says how to quit at once', () => {
    const before = process.listenerCount('SIGINT');
    const messages: string[] = [];
    const stop = new StopSignal((m) => messages.push(m));
    try {
      expect(process.listenerCount('SIGINT')).toBe(before + 1);
      expect(stop.requested).toBe(false);
      process.emit('SIGINT');
      expect(stop.requested).toBe(true);
      expect(messages).toEqual([STOP_MESSAGE]);
      expect(STOP_MESSAGE).toBe('stopping after this batch; Ctrl-C again to quit now');
    } finally {
      stop.dispose();
    }
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  it('hears nothing once disposed', () => {
    const messages: string[] = [];
    const stop = new StopSignal((m) => messages.push(m));
    stop.dispose();
    process.emit('SIGINT'); // only calls listeners: no default action, whoever is left
    expect(stop.requested).toBe(false);
    expect(messages).toEqual([]);
  });
});

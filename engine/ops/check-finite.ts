import type { Tensor } from '../tensor.js';

/**
 * Reads a loss (or any small tensor) and returns its first value, or throws a one-line
 * error naming the op when a value is NaN or Inf. Meant for where the host reads the
 * loss anyway (logging, one step late), so it costs no extra sync.
 */
export async function checkFinite(t: Tensor, op: string): Promise<number> {
  const values = await t.data();
  const i = values.findIndex((v) => !Number.isFinite(v));
  if (i >= 0) {
    const where = t.size === 1 ? '' : ` at element ${i}`;
    throw new Error(`${op}: the loss is ${values[i]}${where}: its inputs hold NaN or Inf (or a value overflowed)`);
  }
  return values[0];
}

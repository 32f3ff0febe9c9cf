/**
 * Places a captured program's intermediates in shared buffers by liveness: values whose
 * lifetimes (first to last command that touches them) do not overlap share one buffer.
 * Greedy by size, largest first, each into the first buffer that is free over its whole
 * lifetime (TFLite's shared-object planner). One value per buffer at a time, never two
 * at offsets of one big arena: WebGPU refuses a dispatch that binds one buffer both
 * read-only and writable, and a copy whose source and destination are one buffer. A
 * value is bound at its pool bucket size, so a kernel sees the size it saw eagerly.
 */
export interface PlannedValue {
  bytes: number;
  /** First and last command index that touches it (inclusive). */
  first: number;
  last: number;
}

export interface MemoryPlan {
  /** The shared buffer each value goes to. */
  slot: number[];
  /** Bytes of each shared buffer. */
  slots: number[];
  /** Their sum: what the intermediates hold on replay. */
  bytes: number;
}

export function planMemory(values: readonly PlannedValue[]): MemoryPlan {
  const order = values.map((_, i) => i).sort((a, b) => values[b].bytes - values[a].bytes || values[a].first - values[b].first);
  const slot: number[] = new Array(values.length);
  const busy: [number, number][][] = []; // per slot: lifetimes placed there, sorted by start
  const slots: number[] = [];
  for (const i of order) {
    const v = values[i];
    let s = busy.findIndex((spans) => isFree(spans, v.first, v.last));
    if (s < 0) {
      s = busy.length;
      busy.push([]);
      slots.push(v.bytes); // the largest value placed first sets the size
    }
    insert(busy[s], [v.first, v.last]);
    slot[i] = s;
  }
  return { slot, slots, bytes: slots.reduce((a, b) => a + b, 0) };
}

/** Whether [first, last] overlaps none of the sorted spans (binary search). */
function isFree(spans: readonly [number, number][], first: number, last: number): boolean {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid][0] <= last) lo = mid + 1;
    else hi = mid;
  }
  // spans[lo - 1] is the last one starting at or before `last`: it and its predecessors end before `first`?
  return lo === 0 || spans[lo - 1][1] < first;
}

function insert(spans: [number, number][], span: [number, number]): void {
  let i = spans.length;
  while (i > 0 && spans[i - 1][0] > span[0]) i--;
  spans.splice(i, 0, span);
}

/**
 * Learning-rate schedules, as a function of the step so that a resumed run picks up the
 * exact rate it would have had. `constant` is Adam at `lr` throughout (the seed's);
 * `warmup-cosine` ramps linearly from lr/warmup to lr over the first warmup steps, then
 * follows half a cosine down to 0 at the run's last step (torch's LinearLR then
 * CosineAnnealingLR with eta_min 0). A network trained from scratch at a high rate
 * needs the ramp: Adam's first steps with BatchNorm statistics still settling are the ones
 * that blow up; the decay lets the last epochs settle instead of bouncing.
 */
export const SCHEDULES = ['constant', 'warmup-cosine'] as const;
export type Schedule = (typeof SCHEDULES)[number];

/** The warm-up's share of the run's steps (at least one step). */
export const WARMUP_FRACTION = 0.1;

/** The rate of 0-based step `step` of `total` steps at base rate `lr`. */
export function scheduledLr(schedule: Schedule, lr: number, step: number, total: number): number {
  if (schedule === 'constant') return lr;
  if (!(Number.isInteger(step) && step >= 0 && Number.isInteger(total) && total >= 1)) {
    throw new Error(`schedule ${schedule}: step ${step} of ${total} steps is not a step of the run`);
  }
  const warmup = Math.max(1, Math.round(WARMUP_FRACTION * total));
  if (step < warmup) return (lr * (step + 1)) / warmup;
  const decay = total - warmup;
  const t = decay > 0 ? Math.min(1, (step - warmup) / decay) : 1;
  return 0.5 * lr * (1 + Math.cos(Math.PI * t));
}

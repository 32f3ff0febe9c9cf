import type { Rng } from '../../engine/index.js';

// torchvision's EfficientNet initialisation, drawn from our seeded Rng so a run repeats.

/** kaiming_normal_(mode='fan_out'): N(0, 2 / fan_out), fan_out = out channels x kernel area
 * (PyTorch does not divide by groups, so a depthwise conv uses its channel count). */
export function kaimingNormalFanOut(rng: Rng, n: number, fanOut: number): Float32Array {
  const std = Math.sqrt(2 / fanOut);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal(0, std);
  return out;
}

/** The classifier: U(-1/sqrt(out), 1/sqrt(out)). */
export function uniformByOut(rng: Rng, n: number, outFeatures: number): Float32Array {
  const r = 1 / Math.sqrt(outFeatures);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(-r, r);
  return out;
}

/** nn.Linear's default weight draw, kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(in), 1/sqrt(in)).
 * What a fine-tuner's replaced head, `classifier[1] = nn.Linear(1280, 19)`, starts from. */
export function uniformByIn(rng: Rng, n: number, inFeatures: number): Float32Array {
  const r = 1 / Math.sqrt(inFeatures);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(-r, r);
  return out;
}

export function filled(n: number, v: number): Float32Array {
  return new Float32Array(n).fill(v);
}

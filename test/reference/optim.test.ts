import { describe, expect, it } from 'vitest';
import { adam, adamInit, adamw, clipGradNorm, sgd, type AdamOptions, type SgdOptions } from './optim.js';
import { T, type RefTensor } from './tensor.js';

// Two steps from p = 1 with gradients 0.5 then -0.2, lr 0.1, betas (0.9, 0.999), eps 1e-8.
const G = [0.5, -0.2];

function runAdam(step: typeof adam, opts: AdamOptions, p0: number, grads: number[]): number[] {
  let p: RefTensor = T([1], [p0]);
  let state = adamInit(p);
  const out: number[] = [];
  for (const g of grads) {
    ({ param: p, state } = step(p, T([1], [g]), state, opts));
    out.push(p.data[0]);
  }
  return out;
}

function runSgd(opts: SgdOptions, p0: number, grads: number[]): number[] {
  let p: RefTensor = T([1], [p0]);
  let state = { momentumBuffer: null as RefTensor | null };
  const out: number[] = [];
  for (const g of grads) {
    ({ param: p, state } = sgd(p, T([1], [g]), state, opts));
    out.push(p.data[0]);
  }
  return out;
}

describe('adam / adamw references, two steps by hand', () => {
  it('adam', () => {
    // step 1: m = 0.05, v = 0.00025, m^ = 0.5, v^ = 0.25 -> p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.900000002
    // step 2: m = 0.045 - 0.02 = 0.025, v = 0.00024975 + 0.00004 = 0.00028975,
    //         m^ = 0.025 / 0.19, v^ = 0.00028975 / 0.001999 -> p = 0.900000002 - 0.0345605839 = 0.8654394181
    const [p1, p2] = runAdam(adam, { lr: 0.1 }, 1, G);
    expect(p1).toBeCloseTo(0.900000002, 12);
    expect(p2).toBeCloseTo(0.8654394181165108, 12);
  });

  it('adam weight decay is L2 (added to the gradient)', () => {
    // step 1: g = 0.5 + 0.1 * 1 = 0.6, m^ = 0.6, v^ = 0.36 -> p = 1 - 0.1 * 0.6 / (0.6 + 1e-8)
    // step 2: g = -0.2 + 0.1 * p1 = -0.10999999983, m = 0.054 + 0.1 g, v = 0.999 * 0.00036 + 0.001 g^2
    const [p1, p2] = runAdam(adam, { lr: 0.1, weightDecay: 0.1 }, 1, G);
    expect(p1).toBeCloseTo(1 - 0.06 / (0.6 + 1e-8), 14);
    expect(p2).toBeCloseTo(0.8475190629593703, 12);
  });

  it('adamw decays the parameter itself, before the Adam update', () => {
    // step 1: p = 1 * (1 - 0.1 * 0.1) = 0.99, then the same Adam step as above: 0.99 - 0.099999998 = 0.890000002
    // step 2: p = 0.890000002 * 0.99 - 0.0345605839 = 0.8465394181 (the moments ignore the decay)
    const [p1, p2] = runAdam(adamw, { lr: 0.1, weightDecay: 0.1 }, 1, G);
    expect(p1).toBeCloseTo(0.890000002, 12);
    expect(p2).toBeCloseTo(0.8465394180965108, 12);
    // default weight decay is PyTorch's 0.01
    expect(runAdam(adamw, { lr: 0.1 }, 1, [0.5])[0]).toBeCloseTo(1 * (1 - 0.001) - 0.1 * (0.5 / (0.5 + 1e-8)), 14);
  });

  it('returns new tensors and leaves its inputs alone', () => {
    const p = T([2], [1, 2]);
    const state = adamInit(p);
    const r = adam(p, T([2], [1, 1]), state, { lr: 0.1 });
    expect([...p.data]).toEqual([1, 2]);
    expect(state.step).toBe(0);
    expect(r.state.step).toBe(1);
    expect(() => adam(p, T([3]), state, { lr: 0.1 })).toThrow('adam: grad [3], param [2]');
  });
});

describe('sgd reference (PyTorch momentum), two steps by hand', () => {
  it('momentum 0.9: the first step seeds the buffer with the gradient', () => {
    // buf = 0.5, p = 1 - 0.05 = 0.95; buf = 0.45 - 0.2 = 0.25, p = 0.95 - 0.025 = 0.925
    const [p1, p2] = runSgd({ lr: 0.1, momentum: 0.9 }, 1, G);
    expect(p1).toBeCloseTo(0.95, 15);
    expect(p2).toBeCloseTo(0.925, 15);
  });

  it('weight decay, dampening and nesterov', () => {
    // wd 0.01: g = 0.51, p = 0.949; g = -0.2 + 0.00949, buf = 0.459 - 0.19051 = 0.26849, p = 0.922151
    expect(runSgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 }, 1, G)[1]).toBeCloseTo(0.922151, 14);
    // dampening 0.5 skips the first step: buf = 0.5, then 0.45 + 0.5 * -0.2 = 0.35 -> p = 0.95 - 0.035
    expect(runSgd({ lr: 0.1, momentum: 0.9, dampening: 0.5 }, 1, G)[1]).toBeCloseTo(0.915, 14);
    // nesterov steps by g + 0.9 buf: 0.95 -> p = 0.905; buf = 0.25, step -0.2 + 0.225 -> p = 0.9025
    const [n1, n2] = runSgd({ lr: 0.1, momentum: 0.9, nesterov: true }, 1, G);
    expect(n1).toBeCloseTo(0.905, 15);
    expect(n2).toBeCloseTo(0.9025, 14);
    // no momentum: plain gradient steps, no buffer kept
    expect(runSgd({ lr: 0.1 }, 1, G)).toEqual([0.95, 0.97]);
  });
});

describe('clipGradNorm reference', () => {
  it('global L2 norm over all tensors, scaled by maxNorm / (norm + 1e-6) when above', () => {
    const grads = [T([2], [3, 4]), T([1], [12])]; // norm 13
    const r = clipGradNorm(grads, 6.5);
    expect(r.totalNorm).toBe(13);
    const c = 6.5 / (13 + 1e-6);
    expect([...r.grads[0].data, ...r.grads[1].data]).toEqual([3 * c, 4 * c, 12 * c]);
    const kept = clipGradNorm(grads, 20);
    expect([...kept.grads[0].data, ...kept.grads[1].data]).toEqual([3, 4, 12]);
    expect([...grads[0].data]).toEqual([3, 4]);
  });
});

import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { adam, adamInit, adamw, type AdamOptions, type AdamState } from '../reference/optim.js';
import { expectClose } from '../reference/compare.js';
import type { RefTensor } from '../reference/tensor.js';
import { toRef, useEngine } from '../helpers/engine.js';
import { gpuGrads, gpuParams, quadratic, refGrad, type Quadratic } from './quadratic.js';

useEngine();
const SIZES = [37, 64, 1, 6];

/** The float64 reference run of the same update rule, with a learning rate per step. */
function refRun(q: Quadratic, decoupled: boolean, opts: AdamOptions, lrs: number[]): RefTensor[] {
  return q.p0.map((p0, i) => {
    let p = p0;
    let state: AdamState = adamInit(p);
    for (const lr of lrs) ({ param: p, state } = (decoupled ? adamw : adam)(p, refGrad(q, i, p), state, { ...opts, lr }));
    return p;
  });
}

describe('Adam / AdamW: 10 steps on a quadratic vs the float64 reference', () => {
  const cases: [string, boolean, AdamOptions][] = [
    ['Adam', false, { lr: 0.05 }],
    ['Adam with L2 weight decay', false, { lr: 0.05, weightDecay: 0.1, beta1: 0.8, beta2: 0.99 }],
    ['AdamW (default decay 0.01)', true, { lr: 0.05 }],
    ['AdamW with decay 0.1, eps 1e-3', true, { lr: 0.05, weightDecay: 0.1, eps: 1e-3 }],
  ];
  for (const [name, decoupled, opts] of cases) {
    it(name, async () => {
      const q = quadratic(SIZES, 3);
      const params = gpuParams(q);
      const opt = decoupled ? new E.AdamW(params, opts) : new E.Adam(params, opts);
      // a schedule: lr changes every step, through the uniforms, with no new pipeline after step 1
      const lrs = Array.from({ length: 10 }, (_, s) => opts.lr * (1 - s / 20));
      let pipelines = 0;
      for (const [s, lr] of lrs.entries()) {
        opt.lr = lr;
        gpuGrads(q, params);
        opt.step();
        opt.zeroGrad();
        if (s === 0) pipelines = E.runtime().stats.pipelines;
      }
      expect(E.runtime().stats.pipelines).toBe(pipelines);
      const ref = refRun(q, decoupled, opts, lrs);
      for (let i = 0; i < params.length; i++) expectClose(await toRef(params[i]), ref[i], 1e-5, `${name} param ${i}`);
      opt.dispose();
    });
  }
});

describe('Adam state for checkpoints', () => {
  it('names the state tensors; saving after 5 steps and loading into a new optimizer continues exactly', async () => {
    const q = quadratic([5, 8], 9);
    const opts = { lr: 0.1, weightDecay: 0.05 };
    const straight = gpuParams(q);
    const a = new E.AdamW(straight, opts);
    const resumed = gpuParams(q);
    const b = new E.AdamW(resumed, opts);
    for (let s = 0; s < 5; s++) for (const [o, ps] of [[a, straight], [b, resumed]] as const) (gpuGrads(q, ps), o.step(), o.zeroGrad());
    const saved = b.state();
    expect(Object.keys(saved.tensors).sort()).toEqual(['w0.exp_avg', 'w0.exp_avg_sq', 'w1.exp_avg', 'w1.exp_avg_sq']);
    expect(saved.steps).toEqual({ w0: 5, w1: 5 });
    // a checkpoint round trip: host copies of the state and parameters into fresh tensors
    const host = await Promise.all(Object.entries(saved.tensors).map(async ([k, t]) => [k, E.tensor(await t.data(), t.shape)] as const));
    const reloaded = await Promise.all(resumed.map(async (p) => E.parameter(await p.data(), p.shape, p.name)));
    b.dispose();
    const c = new E.AdamW(reloaded, opts);
    c.loadState({ tensors: Object.fromEntries(host), steps: saved.steps });
    for (let s = 0; s < 5; s++) for (const [o, ps] of [[a, straight], [c, reloaded]] as const) (gpuGrads(q, ps), o.step(), o.zeroGrad());
    for (let i = 0; i < 2; i++) expect([...(await reloaded[i].data())]).toEqual([...(await straight[i].data())]);
    expect(() => c.loadState({ tensors: {}, steps: {} })).toThrow("AdamW: saved state has no tensor 'w0.exp_avg'");
  });

  it('refuses parameters that do not require grad and duplicate names', () => {
    expect(() => new E.Adam([E.zeros([2])], { lr: 0.1 })).toThrow(/Adam: parameter '0' .* does not require grad/);
    const p = E.parameter([1, 2], [2], 'w');
    expect(() => new E.Adam([p, E.parameter([1], [1], 'w')], { lr: 0.1 })).toThrow("Adam: two parameters are named 'w'");
    expect(() => new E.Adam({ w: p }, { lr: 0.1, beta2: 1 })).toThrow('Adam: beta2 1 outside [0, 1)');
  });
});

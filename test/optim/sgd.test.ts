import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { sgd, type SgdOptions, type SgdState } from '../reference/optim.js';
import { expectClose } from '../reference/compare.js';
import { toRef, useEngine } from '../helpers/engine.js';
import { gpuGrads, gpuParams, quadratic, refGrad } from './quadratic.js';

useEngine();

describe('SGD: 10 steps on a quadratic vs the float64 reference', () => {
  const cases: [string, SgdOptions][] = [
    ['plain', { lr: 0.1 }],
    ['momentum 0.9', { lr: 0.05, momentum: 0.9 }],
    ['momentum, dampening, weight decay', { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01 }],
    ['nesterov', { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.001 }],
  ];
  for (const [name, opts] of cases) {
    it(name, async () => {
      const q = quadratic([37, 64, 3], 5);
      const params = gpuParams(q);
      const opt = new E.SGD(params, opts);
      for (let s = 0; s < 10; s++) (gpuGrads(q, params), opt.step(), opt.zeroGrad());
      for (let i = 0; i < params.length; i++) {
        let p = q.p0[i];
        let state: SgdState = { momentumBuffer: null };
        for (let s = 0; s < 10; s++) ({ param: p, state } = sgd(p, refGrad(q, i, p), state, opts));
        expectClose(await toRef(params[i]), p, 1e-5, `${name} param ${i}`);
      }
      const keys = Object.keys(opt.state().tensors);
      expect(keys).toEqual(opts.momentum ? ['w0.momentum_buffer', 'w1.momentum_buffer', 'w2.momentum_buffer'] : []);
      opt.dispose();
    });
  }

  it('a parameter without a gradient is left alone', async () => {
    const [p, frozen] = [E.parameter([1, 2], [2]), E.parameter([3], [1])];
    p.grad = E.tensor([1, 1], [2]);
    new E.SGD([p, frozen], { lr: 0.5 }).step();
    expect([...(await p.data())]).toEqual([0.5, 1.5]);
    expect([...(await frozen.data())]).toEqual([3]);
  });

  it('nesterov needs momentum', () => {
    expect(() => new E.SGD([E.parameter([1], [1])], { lr: 0.1, nesterov: true })).toThrow('SGD: nesterov needs momentum > 0 and dampening 0');
  });
});

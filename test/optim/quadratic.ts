/**
 * The test problem for the optimizers: f(p) = 0.5 * sum(a * (p - c)^2) over one or more
 * parameters, its gradient a * (p - c) computed by the engine's autograd on the GPU and
 * by hand in float64 for the reference run.
 */
import * as E from '../../engine/index.js';
import { Rng } from '../../engine/random.js';
import { T, rand, randn, type RefTensor } from '../reference/tensor.js';
import { f32 } from '../helpers/engine.js';

export interface Quadratic {
  a: RefTensor[];
  c: RefTensor[];
  p0: RefTensor[];
}

/** Parameters of these sizes: odd (scalar kernels) and multiples of 4 (vec4 kernels). */
export function quadratic(sizes: number[], seed: number): Quadratic {
  const rng = new Rng(seed);
  return {
    a: sizes.map((n) => f32(rand([n], rng, 0.2, 3))),
    c: sizes.map((n) => f32(randn([n], rng))),
    p0: sizes.map((n) => f32(randn([n], rng, 2))),
  };
}

/** The float64 gradient at p. */
export const refGrad = (q: Quadratic, i: number, p: RefTensor): RefTensor =>
  T(p.shape, p.data.map((v, j) => q.a[i].data[j] * (v - q.c[i].data[j])));

/** Sets .grad of every parameter by backward through the quadratic on the GPU. */
export function gpuGrads(q: Quadratic, params: E.Tensor[]): void {
  const loss = E.tidy(() => {
    const terms = params.map((p, i) => E.sum(E.mul(E.tensor(q.a[i].data), E.powScalar(E.sub(p, E.tensor(q.c[i].data)), 2))));
    return E.mulScalar(terms.reduce((s, t) => E.add(s, t)), 0.5);
  });
  E.backward(loss);
  loss.dispose();
}

export const gpuParams = (q: Quadratic): E.Tensor[] => q.p0.map((p, i) => E.parameter(p.data, p.shape, `w${i}`));

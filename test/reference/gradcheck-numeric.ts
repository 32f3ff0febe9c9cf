/**
 * Central differences in float64: the gradient of a scalar function of several tensors,
 * (f(x + eps) - f(x - eps)) / (2 eps) for every element of every input. The inputs are
 * perturbed in place and restored, so f sees the caller's tensors.
 */
import { T, dot, type RefTensor } from './tensor.js';

export function numericGrad(f: (inputs: RefTensor[]) => number, inputs: RefTensor[], eps = 1e-6): RefTensor[] {
  return inputs.map((x) => {
    const g = T(x.shape);
    for (let i = 0; i < x.data.length; i++) {
      const orig = x.data[i];
      x.data[i] = orig + eps;
      const plus = f(inputs);
      x.data[i] = orig - eps;
      const minus = f(inputs);
      x.data[i] = orig;
      g.data[i] = (plus - minus) / (2 * eps);
    }
    return g;
  });
}

/**
 * The vector-Jacobian product of a tensor-valued f for upstream gradient dy: the
 * gradient of sum(dy * f(inputs)), which is what a backward pass computes.
 */
export function numericVjp(f: (inputs: RefTensor[]) => RefTensor, inputs: RefTensor[], dy: RefTensor, eps = 1e-6): RefTensor[] {
  return numericGrad((xs) => dot(dy, f(xs)), inputs, eps);
}

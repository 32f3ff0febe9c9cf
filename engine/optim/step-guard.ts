import { runtime } from '../runtime.js';
import { keep } from '../scope.js';
import { tensor, type Tensor } from '../tensor.js';
import { sumSquaresPartials } from './clip-grad-norm.js';
import { stepGuardKernel } from '../../kernels/step-guard.js';

/**
 * The non-finite guard on the GPU. `check(loss, params)` folds "the loss and the norm of
 * every gradient are finite" into `flag` ([1], 1 = fine) without a host read; pass `flag`
 * to Optimizer.step, whose kernels then skip the update once it is 0. The flag stays 0 for
 * good once it trips (until `reset`), so the host can read it a step late and still find
 * the weights as they were before the bad step. For a flat optimizer's parameters the
 * check is two dispatches (clip-grad-norm's partials over the flat gradients, then the flag).
 */
export class StepGuard {
  readonly flag: Tensor;

  constructor() {
    this.flag = keep(tensor(Float32Array.of(1), [1]));
  }

  check(loss: Tensor, params: readonly Tensor[]): void {
    if (loss.size !== 1) throw new Error(`StepGuard: the loss must be a scalar, got ${loss.describe()}`);
    const { partial } = sumSquaresPartials(params);
    const rt = runtime();
    rt.dispatch(stepGuardKernel(partial.size), [loss.binding, partial.binding, this.flag.binding]);
    partial.dispose();
  }

  /** Whether every checked step so far was finite (one read: for tests and the eager host). */
  async ok(): Promise<boolean> {
    return (await this.flag.data())[0] !== 0;
  }

  reset(): void {
    runtime().upload(this.flag.buffer, Float32Array.of(1), this.flag.offset);
  }

  dispose(): void {
    this.flag.dispose();
  }
}

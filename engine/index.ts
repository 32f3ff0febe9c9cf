/**
 * `hpa-engine`: the tensor engine on WebGPU. Tensors, the autograd tape, scopes, every op,
 * optimizers and the device. Importing it opens nothing: `initEngine()` acquires the
 * adapter (and throws its advice when there is none).
 */
import { runBackward, type BackwardOptions } from './autograd.js';
import { Tensor } from './tensor.js';
import { addInPlace, clone } from './ops/copy.js';
import { ones } from './ops/elementwise.js';

export { initEngine, runtime, shutdownEngine, Runtime } from './runtime.js';
export { acquireDevice, listAdapters, type AdapterSummary, type GpuContext } from './device.js';
export { OutputExistsError } from './io/refuse-overwrite.js';
export { Tensor, empty, tensor, zeros, parameter, readAll, sizeOf, shapeStr, type Shape } from './tensor.js';
export { tidy, keep } from './scope.js';
export { FlatBuffer, flatLayout, flatBufferBytes, SEGMENT_ALIGN, type FlatLayout } from './flat-buffer.js';
export { noGrad, isGradEnabled, record } from './autograd.js';
export { Rng } from './random.js';
export * from './ops/elementwise.js';
export * from './ops/binary.js';
export * from './ops/reduce.js';
export { sumTo } from './ops/sum-to.js';
export * from './ops/broadcast.js';
export * from './ops/reshape.js';
export * from './ops/permute.js';
export * from './ops/slice.js';
export * from './ops/concat.js';
export * from './ops/copy.js';

/** Reverse-mode gradients of `root` into the `.grad` of every leaf that requires grad. */
export function backward(root: Tensor, opts: BackwardOptions = {}): void {
  runBackward(root, opts, { addInPlace, ones, clone: (t) => clone(t) });
}
export * from './ops/matmul.js';
export { batchNorm2d, forceBatchNormThreads, GuardedRunningStats, type BatchNorm2dOptions } from './ops/batch-norm2d.js';
export * from './ops/conv2d.js';
export * from './ops/depthwise-conv2d.js';
export { globalAvgPool } from './ops/global-avg-pool.js';
export { squeezeExcite } from './ops/squeeze-excite.js';
export { linear } from './ops/linear.js';
export { dropout, dropConnect } from './ops/dropout.js';
export { checkFinite } from './ops/check-finite.js';
export { bceWithLogits } from './ops/bce-with-logits.js';
export { Optimizer, type OptimizerState, type Params } from './optim/optimizer.js';
export { Adam, AdamW, type AdamOptions } from './optim/adam.js';
export { SGD, type SgdOptions } from './optim/sgd.js';
export { clipGradNorm } from './optim/clip-grad-norm.js';
export { StepGuard } from './optim/step-guard.js';
export { profile, withLayer, kernelFamily, sumBy, type ProfiledDispatch, type ProfileTotal } from './profiler.js';
export { CompiledStep, Program, type CompileOptions, type StepInput, type ProgramMemory } from './capture.js';
export { planMemory, type MemoryPlan } from './memory-plan.js';

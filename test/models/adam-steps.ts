import * as E from '../../engine/index.js';
import type { EfficientNet } from '../../models/efficientnet.js';

/** `steps` Adam steps of BCE-with-logits on one fixed batch; the loss of each step. */
export async function adamSteps(model: EfficientNet, opt: E.Adam, x: E.Tensor, y: E.Tensor, steps: number): Promise<number[]> {
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = E.tidy(() => E.bceWithLogits(model.forward(x), y));
    E.backward(loss);
    opt.step();
    opt.zeroGrad();
    losses.push(await loss.item());
    loss.dispose();
  }
  return losses;
}

import { shapeStr, type Shape, type Tensor } from '../tensor.js';
import { gatherKernel } from '../../kernels/strided-copy.js';
import { unaryKernel } from '../../kernels/elementwise.js';
import { record } from '../autograd.js';
import { launch } from './launch.js';
import { broadcastStrides, collapseDims, sameShape } from './shape.js';
import { sumTo } from './sum-to.js';

/** Materialises x broadcast to `shape` (optionally scaled, which mean's backward uses). */
export function broadcastTo(x: Tensor, shape: Shape, scale = 1): Tensor {
  if (shape.length < x.rank) throw new Error(`broadcastTo: cannot broadcast ${x.describe()} to ${shapeStr(shape)}`);
  x.shape.forEach((d, i) => {
    const t = shape[shape.length - x.rank + i];
    if (d !== 1 && d !== t) throw new Error(`broadcastTo: cannot broadcast ${x.describe()} to ${shapeStr(shape)}`);
  });
  const scaled = (t: Tensor) => launch('broadcastTo', unaryKernel('mulScalar', t.size, scale), [t], t.shape);
  let y: Tensor;
  if (sameShape(x.shape, shape) && scale !== 1) {
    y = scaled(x);
  } else {
    const c = collapseDims(shape, [broadcastStrides(x.shape, shape)]);
    y = launch('broadcastTo', gatherKernel(c.dims, c.strides[0]), [x], shape);
    if (scale !== 1) {
      const s = scaled(y);
      y.dispose();
      y = s;
    }
  }
  return record('broadcastTo', [x], y, (g) => [sumTo(scale === 1 ? g : scaled(g), x.shape)]);
}

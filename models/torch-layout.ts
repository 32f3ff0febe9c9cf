/**
 * PyTorch stores conv weights OIHW, depthwise [C, 1, KH, KW] and linear [out, in]; our
 * activations are NHWC, so our weights are HWIO, [KH, KW, C] and [in, out]. These move
 * values between the two, both ways (import, and export back to PyTorch).
 */
import type { ParamLayout } from './efficientnet-config.js';

/** `torchShape` is the PyTorch shape of the tensor; returns ours and the values in our order. */
export function fromTorchLayout(layout: ParamLayout, torchShape: readonly number[], data: Float32Array): { shape: number[]; data: Float32Array } {
  return convert(layout, torchShape, data, 'from');
}

/** The inverse: `torchShape` is still the PyTorch shape (the result's). */
export function toTorchLayout(layout: ParamLayout, torchShape: readonly number[], data: Float32Array): { shape: number[]; data: Float32Array } {
  return convert(layout, torchShape, data, 'to');
}

function convert(layout: ParamLayout, t: readonly number[], data: Float32Array, dir: 'from' | 'to'): { shape: number[]; data: Float32Array } {
  const out = new Float32Array(data.length);
  const expectRank = { conv: 4, depthwise: 4, linear: 2, vector: 1 }[layout];
  if (t.length !== expectRank) throw new Error(`${layout} weight: PyTorch shape [${t.join(', ')}] should have rank ${expectRank}`);
  if (t.reduce((a, b) => a * b, 1) !== data.length) throw new Error(`${layout} weight: shape [${t.join(', ')}] does not hold ${data.length} values`);
  // `copy(torchIndex, ourIndex)` in either direction.
  const copy = dir === 'from' ? (ti: number, oi: number) => (out[oi] = data[ti]) : (ti: number, oi: number) => (out[ti] = data[oi]);
  let ourShape: number[];
  if (layout === 'conv') {
    const [O, I, H, W] = t;
    ourShape = [H, W, I, O];
    for (let o = 0; o < O; o++)
      for (let i = 0; i < I; i++)
        for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) copy(((o * I + i) * H + h) * W + w, ((h * W + w) * I + i) * O + o);
  } else if (layout === 'depthwise') {
    const [C, one, H, W] = t;
    if (one !== 1) throw new Error(`depthwise weight: PyTorch shape [${t.join(', ')}] should be [C, 1, KH, KW]`);
    ourShape = [H, W, C];
    for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) copy((c * H + h) * W + w, (h * W + w) * C + c);
  } else if (layout === 'linear') {
    const [O, I] = t;
    ourShape = [I, O];
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) copy(o * I + i, i * O + o);
  } else {
    ourShape = [...t];
    out.set(data);
  }
  return { shape: dir === 'from' ? ourShape : [...t], data: out };
}

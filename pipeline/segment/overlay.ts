import { composite, toUnit } from '../blend.js';
import type { FieldChannels } from './field.js';
import type { Labels } from './planes.js';

type Rgb = readonly [number, number, number];

/** Paints the pixels where a label meets a different one (or background), `thickness` pixels
 * wide, so outlines stay visible once a 2048^2 field is shown shrunk. */
export function drawOutlines(rgb: Uint8Array, labels: Labels, colour: Rgb, thickness = 2): void {
  const { width, height, data } = labels;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const l = data[i];
      if (!l) continue;
      let edge = false;
      for (let d = 1; d <= thickness && !edge; d++) {
        edge =
          (x >= d && data[i - d] !== l) ||
          (x + d < width && data[i + d] !== l) ||
          (y >= d && data[i - d * width] !== l) ||
          (y + d < height && data[i + d * width] !== l);
      }
      if (edge) rgb.set(colour, i * 3);
    }
  }
}

/** The four channels blended as HPA viewers show them, with cell outlines in white and
 * nucleus outlines in cyan. */
export function overlayImage(ch: FieldChannels, cells: Labels, nuclei: Labels): Uint8Array {
  const order = ['red', 'green', 'blue', 'yellow'] as const;
  const rgb = composite(order.map((c) => toUnit(ch[c])), order);
  drawOutlines(rgb, nuclei, [0, 255, 255]);
  drawOutlines(rgb, cells, [255, 255, 255]);
  return rgb;
}

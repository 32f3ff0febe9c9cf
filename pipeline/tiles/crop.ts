import type { GrayImage } from '../png.js';
import { resizePlane } from '../transforms.js';

export interface TileOptions {
  /** Side of the square tile written (256, as the original work used). */
  size: number;
  /** Pixels of context kept around the cell's bounding box. */
  margin: number;
  /** Zero the pixels that belong to other cells, so a tile shows one cell's protein only. */
  maskOthers: boolean;
}

export const TILE_DEFAULTS: TileOptions = { size: 256, margin: 0, maskOthers: false };

/** Inclusive pixel box [x0, y0, x1, y1]. */
export type Box = readonly [number, number, number, number];

/**
 * One cell's tile from each channel: the bounding box plus margin (clipped to the image),
 * optionally with other cells' pixels zeroed, placed on a zero square centred on the box, and
 * resized to size x size (area averaging down, bilinear up). Samples keep their bit depth.
 * `labels` are the field's instance labels, same size as the channels.
 */
export function cropCell(channels: readonly GrayImage[], labels: ArrayLike<number>, cell: number, box: Box, o: TileOptions): Array<Uint8Array | Uint16Array> {
  const { width, height } = channels[0];
  const [x0, y0, x1, y1] = box;
  const side = Math.max(x1 - x0 + 1, y1 - y0 + 1) + 2 * o.margin;
  // Canvas origin in image coordinates: the box centre lands on the canvas centre.
  const ox = x0 - o.margin - Math.floor((side - (x1 - x0 + 1) - 2 * o.margin) / 2);
  const oy = y0 - o.margin - Math.floor((side - (y1 - y0 + 1) - 2 * o.margin) / 2);
  const cx0 = Math.max(0, x0 - o.margin);
  const cx1 = Math.min(width - 1, x1 + o.margin);
  const cy0 = Math.max(0, y0 - o.margin);
  const cy1 = Math.min(height - 1, y1 + o.margin);
  return channels.map((img) => {
    const canvas = new Float32Array(side * side);
    for (let y = cy0; y <= cy1; y++) {
      const row = y * width;
      const c = (y - oy) * side - ox;
      for (let x = cx0; x <= cx1; x++) {
        const l = labels[row + x];
        if (o.maskOthers && l !== 0 && l !== cell) continue;
        canvas[c + x] = img.data[row + x];
      }
    }
    const resized = side === o.size ? canvas : resizePlane(canvas, side, side, o.size, o.size);
    const max = img.depth === 16 ? 65535 : 255;
    const out = img.depth === 16 ? new Uint16Array(o.size * o.size) : new Uint8Array(o.size * o.size);
    for (let i = 0; i < out.length; i++) {
      const v = Math.round(resized[i]);
      out[i] = v < 0 ? 0 : v > max ? max : v;
    }
    return out;
  });
}

import { prepareDecoded } from '../loader/prepare.js';
import type { GrayImage } from '../png.js';
import type { FieldChannels } from '../segment/field.js';
import type { Box } from '../segment/morphology.js';
import type { Labels } from '../segment/planes.js';
import { cropCell, type TileOptions } from '../tiles/crop.js';
import type { Scorer } from './scorer.js';

/** The image model's input for a whole field, as the loader prepares a training image. */
export function fieldInput(ch: FieldChannels, scorer: Scorer, id: string): Float32Array {
  return prepareDecoded(
    scorer.blend.map((c) => ch[c]),
    scorer.blend.map((c) => `${id} ${c}`),
    { id, resize: scorer.resize, crop: scorer.crop, normalize: true },
  );
}

/** The tile model's input for one cell: the tile `hpa-engine tiles` writes for it (cropCell
 * with the same options, already rounded to the channels' bit depth as the PNG stores it),
 * then the loader's resize, crop and normalisation, as the model saw its training tiles. */
export function tileInput(ch: FieldChannels, labels: Labels, cell: number, box: Box, opts: TileOptions, scorer: Scorer, id: string): Float32Array {
  const images = scorer.blend.map((c) => ch[c]);
  const tiles = cropCell(images, labels.data, cell, [box.x0, box.y0, box.x1, box.y1], opts);
  const decoded: GrayImage[] = tiles.map((data, k) => ({ width: opts.size, height: opts.size, depth: images[k].depth, data }));
  const tileId = `${id}_${cell}`;
  return prepareDecoded(
    decoded,
    scorer.blend.map((c) => `${tileId} ${c}`),
    { id: tileId, resize: scorer.resize, crop: scorer.crop, normalize: true },
  );
}

import { BLENDS, blendColours } from '../blend.js';
import { Canvas, textWidth, type Color, type Picture } from '../chart.js';
import { shrunkPicture } from '../gallery/panel.js';
import { LABEL_SHORT_NAMES } from '../labels.js';
import type { FieldChannels } from '../segment/field.js';
import { drawOutlines } from '../segment/overlay.js';
import type { Labels } from '../segment/planes.js';
import { resizeLabels } from '../segment/resize-labels.js';

/** Overlays are shrunk so their longer side is at most this: a 2048^2 field at full size
 * is 12 MB of RGB, and a cell there is still 100-200 px across, room for its tag. */
export const OVERLAY_SIDE = 1024;

export interface CellTag {
  /** Instance value in the label image. */
  cell: number;
  label: number;
  confidence: number;
}

/** The label with the highest score, and that score. */
export function topLabel(scores: ArrayLike<number>): { label: number; confidence: number } {
  let label = 0;
  for (let l = 1; l < scores.length; l++) if (scores[l] > scores[label]) label = l;
  return { label, confidence: scores[label] };
}

const OUTLINE: Color = [255, 255, 255];
const TAG_INK: Color = [255, 230, 0];
const TAG_BACK: Color = [0, 0, 0];

/** Where each cell's pixels are on average (index 0 unused; NaN for a cell with none). */
function centroids(labels: Labels): { x: number; y: number }[] {
  const sx = new Float64Array(labels.count + 1);
  const sy = new Float64Array(labels.count + 1);
  const n = new Float64Array(labels.count + 1);
  const { width, data } = labels;
  for (let i = 0; i < data.length; i++) {
    const l = data[i];
    if (!l) continue;
    sx[l] += i % width;
    sy[l] += Math.floor(i / width);
    n[l]++;
  }
  return Array.from(n, (k, l) => ({ x: sx[l] / k, y: sy[l] / k }));
}

/**
 * One field as HPA viewers show it (all four channels, yellow in red and green), each
 * cell outlined in white and tagged at its centroid with its top label and confidence, in
 * yellow on black so the tag reads on any background. Tags are clamped inside the picture.
 */
export function predictionOverlay(ch: FieldChannels, labels: Labels, tags: readonly CellTag[], side = OVERLAY_SIDE): Picture {
  const pic = shrunkPicture(BLENDS.rgby.map((c) => ch[c]), blendColours(BLENDS.rgby), side);
  const small = pic.width === labels.width && pic.height === labels.height ? labels : resizeLabels(labels, pic.width, pic.height);
  drawOutlines(pic.data, small, OUTLINE, 1);
  const canvas = new Canvas(pic.width, pic.height);
  canvas.data.set(pic.data);
  const at = centroids(small);
  for (const t of tags) {
    const c = at[t.cell];
    if (!c || !Number.isFinite(c.x)) continue;
    const text = `${LABEL_SHORT_NAMES[t.label]} ${t.confidence.toFixed(2)}`;
    const w = textWidth(text) + 4;
    const x = Math.max(0, Math.min(pic.width - w, Math.round(c.x - w / 2)));
    const y = Math.max(0, Math.min(pic.height - 11, Math.round(c.y - 5)));
    canvas.rect(x, y, w, 11, TAG_BACK);
    canvas.text(x + 2, y + 2, text, TAG_INK);
  }
  return canvas.picture();
}

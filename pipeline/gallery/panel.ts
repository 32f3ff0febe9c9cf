import { Canvas, textWidth, type Color, type Picture } from '../chart.js';
import { mixPlanes, toUnit } from '../blend.js';
import type { GrayImage } from '../png.js';
import { resizePlane } from '../transforms.js';

type Rgb = readonly [number, number, number];

/** The size a width x height field takes when its longer side is brought to `side` (never
 * enlarged: a small field stays pixel for pixel). */
export function fitSize(width: number, height: number, side: number): { width: number; height: number } {
  const k = Math.min(1, side / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)) };
}

/** Channels area-averaged down to fit `side` and mixed in the given colours: a 2048^2 field
 * shrunk for a figure keeps its mean intensity instead of aliasing its fine structure. */
export function shrunkPicture(channels: readonly GrayImage[], colours: readonly Rgb[], side: number): Picture {
  const { width: sw, height: sh } = channels[0];
  const { width, height } = fitSize(sw, sh, side);
  const planes = channels.map((c) => resizePlane(toUnit(c), sw, sh, width, height));
  return { width, height, data: mixPlanes(planes, colours) };
}

const INK: Color = [20, 20, 20];
const TITLE_SCALE = 2;
const LINE_GAP = 4;

/** Cuts a line that would not fit `width` pixels, marking the cut with '..'. */
export function fitText(s: string, width: number, scale: number): string {
  if (textWidth(s, scale) <= width) return s;
  let t = s;
  while (t.length > 1 && textWidth(t + '..', scale) > width) t = t.slice(0, -1);
  return t + '..';
}

/** A picture under a header: the first line large (small where large would not fit), the
 * others in small type, each cut to the picture's width so a long label list never runs
 * into the neighbouring panel. */
export function titled(pic: Picture, lines: readonly string[]): Picture {
  const scales = lines.map((line, i) => (i === 0 && textWidth(line, TITLE_SCALE) <= pic.width - 4 ? TITLE_SCALE : 1));
  // The first line's room is the large size's either way, so panels in a row stay aligned.
  const heights = lines.map((_, i) => 7 * (i === 0 ? TITLE_SCALE : 1) + LINE_GAP);
  const header = LINE_GAP + heights.reduce((a, b) => a + b, 0);
  const c = new Canvas(pic.width, pic.height + header);
  let y = LINE_GAP;
  lines.forEach((line, i) => {
    c.text(2, y, fitText(line, pic.width - 4, scales[i]), INK, scales[i]);
    y += heights[i];
  });
  for (let r = 0; r < pic.height; r++) c.data.set(pic.data.subarray(r * pic.width * 3, (r + 1) * pic.width * 3), (header + r) * pic.width * 3);
  return c.picture();
}

import { refuseOverwrite } from '../engine/io/refuse-overwrite.js';
import { CHANNELS, openDataset, type Channel, type Dataset } from './dataset.js';
import { readGray, writePng, type GrayImage } from './png.js';

/** The channel orders of the original work; position i feeds input plane i of the model. */
export const BLENDS = {
  rgb: ['red', 'green', 'blue'],
  ybr: ['yellow', 'blue', 'red'],
  rgby: ['red', 'green', 'blue', 'yellow'],
} as const satisfies Record<string, readonly Channel[]>;

/** `rgb`, `ybr`, `rgby` or an explicit list such as `green,blue`. */
export function parseBlend(spec: string): Channel[] {
  const named = (BLENDS as Record<string, readonly Channel[]>)[spec.trim()];
  if (named) return [...named];
  const parts = spec.split(',').map((p) => p.trim());
  for (const p of parts) {
    if (!(CHANNELS as readonly string[]).includes(p)) {
      throw new Error(`blend '${spec}': unknown channel '${p}' (use rgb, ybr, rgby or a list of ${CHANNELS.join(', ')})`);
    }
  }
  if (new Set(parts).size !== parts.length) throw new Error(`blend '${spec}': a channel appears twice`);
  return parts as Channel[];
}

/** Samples scaled to [0,1] by the bit depth, so 8- and 16-bit data look the same downstream. */
export function toUnit(img: GrayImage): Float32Array {
  const scale = 1 / (img.depth === 16 ? 65535 : 255);
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i] * scale;
  return out;
}

type Rgb = readonly [number, number, number];

/** The colour each channel is shown in when a blend has more planes than RGB does:
 * yellow goes to red and green, as the HPA viewers draw it. */
const SHOWN_AS: Record<Channel, Rgb> = {
  red: [1, 0, 0],
  green: [0, 1, 0],
  blue: [0, 0, 1],
  yellow: [1, 1, 0],
};

/** An 8-bit RGB picture of the planes of a blend: up to three planes are shown as the
 * model sees them (plane i in colour i, one plane as gray); four as HPA viewers do. */
export function composite(planes: readonly Float32Array[], blend: readonly Channel[]): Uint8Array {
  return mixPlanes(planes, blendColours(blend));
}

/** The colour each plane of a blend is drawn in by `composite`. */
export function blendColours(blend: readonly Channel[]): Rgb[] {
  if (blend.length === 1) return [[1, 1, 1]];
  if (blend.length <= 3) return blend.map((_, i) => [i === 0 ? 1 : 0, i === 1 ? 1 : 0, i === 2 ? 1 : 0]);
  return blend.map((c) => SHOWN_AS[c]);
}

/** The colour a channel is drawn in on its own (yellow as red + green). */
export function channelColour(c: Channel): Rgb {
  return SHOWN_AS[c];
}

/** Planes in [0,1] mixed into 8-bit RGB: output o = sum over p of weights[p][o] * plane p,
 * clipped to [0,1]. */
export function mixPlanes(planes: readonly Float32Array[], weights: readonly Rgb[]): Uint8Array {
  if (planes.length !== weights.length) throw new Error(`mixPlanes: ${planes.length} planes but ${weights.length} colours`);
  const n = planes[0].length;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < 3; o++) {
      let v = 0;
      for (let p = 0; p < planes.length; p++) v += weights[p][o] * planes[p][i];
      rgb[i * 3 + o] = v >= 1 ? 255 : v <= 0 ? 0 : Math.round(v * 255);
    }
  }
  return rgb;
}

/** Reads one item's blend at full size; all planes share one size (checked). */
export function readBlend(ds: Dataset, id: string, blend: readonly Channel[]): { width: number; height: number; planes: Float32Array[] } {
  const item = ds.items.find((it) => it.id === id);
  if (!item) throw new Error(`ID '${id}' is not in ${ds.csv ?? ds.imageDir}`);
  let width = 0;
  let height = 0;
  const planes = blend.map((c, i) => {
    const file = ds.channelPath(id, c);
    const img = readGray(file);
    if (i === 0) ({ width, height } = img);
    else if (img.width !== width || img.height !== height) {
      throw new Error(`${file}: ${img.width}x${img.height} but ${blend[0]} is ${width}x${height}: channels of different sizes (${ds.where(item)})`);
    }
    return toUnit(img);
  });
  return { width, height, planes };
}

/** `hpa-engine blend`: writes a viewable 8-bit RGB composite of one field. */
export function writeBlendPng(data: string, id: string, spec: string, out: string, force = false): { width: number; height: number } {
  const blend = parseBlend(spec);
  refuseOverwrite(out, force);
  const ds = openDataset(data, { check: 'none' });
  const { width, height, planes } = readBlend(ds, id, blend);
  writePng(out, width, height, composite(planes, blend), 3);
  return { width, height };
}

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { refuseOverwrite } from '../../engine/io/refuse-overwrite.js';
import { BLENDS, blendColours, channelColour } from '../blend.js';
import { writeChart, grid, type Picture } from '../chart.js';
import { CHANNELS, openDataset, type Channel, type Dataset, type DatasetItem } from '../dataset.js';
import { LABEL_NAMES, NUM_LABELS } from '../labels.js';
import { readChannels } from '../segment/channels.js';
import { shrunkPicture, titled } from './panel.js';

/** The seed's figures of the data, before any model: what each channel shows, what the
 * blends a model is fed look like, and what each label looks like. */
export const GALLERY_DEFAULTS = { fields: 3, panel: 512 };

export interface GalleryOptions {
  /** Kaggle-layout folder (train.csv with images in train/, or a csv). */
  data: string;
  /** Output folder for the figure PNGs. */
  out: string;
  /** How many fields the blend figures show (the seed: 3). */
  fields?: number;
  /** The longer side, in pixels, of each field's panel. */
  panel?: number;
  force?: boolean;
  log?: (line: string) => void;
}

export interface GalleryFigure {
  figure: string;
  file: string;
  /** The fields it shows, in order. */
  ids: string[];
}

export interface GalleryResult {
  figures: GalleryFigure[];
  /** Labels with no single-label field among the images present (left out of Fig. 9). */
  missingLabels: number[];
  /** Csv rows passed over because their images are not in the folder. */
  skippedNoImages: number;
}

const WHAT: Record<Channel, string> = {
  red: 'microtubules',
  green: 'protein of interest',
  blue: 'nucleus',
  yellow: 'endoplasmic reticulum',
};

const FILES = { channels: 'fig5-channels.png', ybr: 'fig6-ybr.png', rgb: 'fig7-rgb.png', labels: 'fig9-labels.png' } as const;

const hasImages = (ds: Dataset, it: DatasetItem) => CHANNELS.every((c) => existsSync(ds.channelPath(it.id, c)));
const labelText = (it: DatasetItem) => (it.labels ? it.labels.map((l) => `${l} ${LABEL_NAMES[l]}`).join(', ') : 'no labels (test split)');
const shortId = (id: string) => (id.length > 13 ? id.slice(0, 13) : id);

/**
 * `hpa-engine gallery`: Figs. 5, 6, 7 and 9 of the seed as PNGs. Fields are taken in csv
 * order among those whose four images are present (a partial download still gets its
 * figures, and the summary says how many rows were passed over). Every output is checked
 * before anything is read.
 */
export function writeGallery(o: GalleryOptions): GalleryResult {
  const log = o.log ?? (() => {});
  const count = o.fields ?? GALLERY_DEFAULTS.fields;
  const side = o.panel ?? GALLERY_DEFAULTS.panel;
  if (!Number.isInteger(count) || count < 1) throw new Error(`gallery: fields must be a positive integer, got ${count}`);
  if (!Number.isInteger(side) || side < 16) throw new Error(`gallery: panel must be an integer of at least 16 pixels, got ${side}`);
  const files = Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, join(o.out, f)])) as Record<keyof typeof FILES, string>;
  for (const f of Object.values(files)) refuseOverwrite(f, o.force);

  const ds = openDataset(o.data, { check: 'none' });
  let skipped = 0;
  const present: DatasetItem[] = [];
  const firstSingle = new Map<number, DatasetItem>();
  for (const it of ds.items) {
    const wanted = present.length < count || (it.labels?.length === 1 && !firstSingle.has(it.labels[0]));
    if (!wanted) continue;
    if (!hasImages(ds, it)) {
      skipped++;
      continue;
    }
    if (present.length < count) present.push(it);
    if (it.labels?.length === 1 && !firstSingle.has(it.labels[0])) firstSingle.set(it.labels[0], it);
    if (present.length >= count && firstSingle.size === NUM_LABELS) break;
  }
  if (!present.length) throw new Error(`${ds.csv ?? ds.imageDir}: none of its ${ds.items.length} fields has all four channel images in ${ds.imageDir}`);
  if (skipped) log(`gallery: passed over ${skipped} csv rows whose images are not in ${ds.imageDir}`);
  mkdirSync(o.out, { recursive: true });
  const figures: GalleryFigure[] = [];
  const save = (figure: string, file: string, pic: Picture, ids: string[]) => {
    writeChart(file, pic);
    figures.push({ figure, file, ids });
    log(`wrote ${file} (${pic.width}x${pic.height})`);
  };

  // Fig. 5: one field, each channel alone in its own colour.
  const first = present[0];
  const ch = readChannels(ds, first.id);
  const channelPanels = CHANNELS.map((c) => titled(shrunkPicture([ch[c]], [channelColour(c)], side), [c, WHAT[c]]));
  save('Fig. 5', files.channels, titled(grid(channelPanels, 4, 8), [`Fig. 5: the four channels of ${first.id}`, labelText(first)]), [first.id]);

  // Figs. 6-7: the 3-channel blends the image model is trained on; each field read once for both.
  const blendFigures = [['Fig. 6', 'ybr', files.ybr], ['Fig. 7', 'rgb', files.rgb]] as const;
  const blendPanels: Picture[][] = blendFigures.map(() => []);
  for (const it of present) {
    const c = readChannels(ds, it.id);
    blendFigures.forEach(([, blend], k) => {
      const planes = BLENDS[blend].map((name) => c[name]);
      blendPanels[k].push(titled(shrunkPicture(planes, blendColours(BLENDS[blend]), side), [shortId(it.id), labelText(it)]));
    });
  }
  blendFigures.forEach(([figure, blend, file], k) => {
    const order = BLENDS[blend].map((c, i) => `${'RGB'[i]}=${c}`).join(' ');
    const pic = titled(grid(blendPanels[k], blendPanels[k].length, 8), [`${figure}: the ${blend} blend of the first ${present.length} fields`, order]);
    save(figure, file, pic, present.map((it) => it.id));
  });

  // Fig. 9: one single-label field per label, in label order.
  const missingLabels: number[] = [];
  if (ds.kind === 'train') {
    const panels: Picture[] = [];
    const ids: string[] = [];
    for (let l = 0; l < NUM_LABELS; l++) {
      const it = firstSingle.get(l);
      if (!it) {
        missingLabels.push(l);
        continue;
      }
      const c = readChannels(ds, it.id);
      panels.push(titled(shrunkPicture(BLENDS.rgb.map((n) => c[n]), blendColours(BLENDS.rgb), side), [`${l} ${LABEL_NAMES[l]}`, shortId(it.id)]));
      ids.push(it.id);
    }
    if (missingLabels.length) log(`gallery: no single-label field for label${missingLabels.length > 1 ? 's' : ''} ${missingLabels.join(', ')} among the images present`);
    if (panels.length) {
      save('Fig. 9', files.labels, titled(grid(panels, Math.min(5, panels.length), 8), ['Fig. 9: one single-label field per label (rgb blend)', `${panels.length} of ${NUM_LABELS} labels`]), ids);
    }
  } else {
    log('gallery: Fig. 9 needs labels; this is a test split, so it is left out');
  }
  return { figures, missingLabels, skippedNoImages: skipped };
}

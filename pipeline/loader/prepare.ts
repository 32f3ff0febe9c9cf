import { readFileSync } from 'node:fs';
import { Rng } from '../../engine/random.js';
import { augment, type AugmentOptions } from '../augment.js';
import type { GrayImage } from '../png.js';
import { decodeGrayFast } from '../png-zlib.js';
import { centerCrop, interleave, normalize, resizePlane, shorterSideSize } from '../transforms.js';
import { cachePath, readCached, sourceStamp, writeCached, type CachedPlane } from './cache.js';
import { readFailure } from '../read-error.js';

/** Everything needed to turn one image's channel files into model input: plain data, so it
 * can cross to a worker thread. */
export interface ImageJob {
  id: string;
  /** Channel files in blend order, and the channel names (for cache file names). */
  files: string[];
  channels: string[];
  /** Shorter side after resizing, then the square centre crop. */
  resize: number;
  crop: number;
  /** Seeded augmentation: options and the 4-number Rng state for this image. */
  augment?: { options: AugmentOptions; rngState: number[] };
  normalize: boolean;
  cacheDir?: string;
}

export interface PreparedImage {
  /** crop x crop x channels, interleaved (NHWC for one image). */
  x: Float32Array;
  cacheHits: number;
}

function readFile(file: string, id: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw readFailure(file, e, `ID ${id}`);
  }
}

/** One channel at its resized size: from the cache when it is fresh, else decoded. */
function resizedChannel(job: ImageJob, k: number): { plane: CachedPlane; hit: boolean } {
  const file = job.files[k];
  const path = job.cacheDir ? cachePath(job.cacheDir, job.id, job.channels[k], job.resize) : undefined;
  let stamp: ReturnType<typeof sourceStamp> | undefined;
  try {
    stamp = path ? sourceStamp(file) : undefined;
  } catch (e) {
    throw readFailure(file, e, `ID ${job.id}`);
  }
  if (path && stamp) {
    const hit = readCached(path, stamp);
    if (hit) return { plane: hit, hit: true };
  }
  const plane = resizeChannel(decodeGrayFast(readFile(file, job.id), file), job.resize);
  if (path && stamp && job.cacheDir) writeCached(path, plane, stamp, job.cacheDir);
  return { plane, hit: false };
}

/** A decoded channel scaled to [0,1] by its bit depth, its shorter side resized to `resize`. */
function resizeChannel(img: GrayImage, resize: number): CachedPlane {
  const { width, height } = shorterSideSize(img.width, img.height, resize);
  return { width, height, data: resizePlane(img.data, img.width, img.height, width, height, 1 / (img.depth === 16 ? 65535 : 255)) };
}

/** Resized planes of one image to model input: centre crop, interleave, augment, normalise.
 * `names[k]` says which plane is which in the size error. */
function assemble(planes: readonly CachedPlane[], names: readonly string[], id: string, crop: number, aug: ImageJob['augment'], norm: boolean): Float32Array {
  const crops = planes.map((plane, k) => {
    if (plane.width !== planes[0].width || plane.height !== planes[0].height) {
      throw new Error(`${names[k]}: channels of different sizes (ID ${id})`);
    }
    return centerCrop(plane.data, plane.width, plane.height, crop, crop);
  });
  let x = interleave(crops);
  if (aug) x = augment(x, crop, crop, crops.length, new Rng(aug.rngState), aug.options);
  if (norm) normalize(x, crops.length);
  return x;
}

/** Decode (or read from cache), resize, centre-crop, augment, normalise: one image. */
export function prepareImage(job: ImageJob): PreparedImage {
  let hits = 0;
  const planes = job.files.map((_, k) => {
    const { plane, hit } = resizedChannel(job, k);
    if (hit) hits++;
    return plane;
  });
  return { x: assemble(planes, job.files, job.id, job.crop, job.augment, job.normalize), cacheHits: hits };
}

/** prepareImage for channels already decoded in memory (predict's tiles and fields): the
 * same resize, crop and normalisation, so a network sees what it was trained on. `images`
 * are in blend order; `names` label them in errors. */
export function prepareDecoded(
  images: readonly GrayImage[],
  names: readonly string[],
  o: { id: string; resize: number; crop: number; normalize: boolean },
): Float32Array {
  return assemble(images.map((img) => resizeChannel(img, o.resize)), names, o.id, o.crop, undefined, o.normalize);
}

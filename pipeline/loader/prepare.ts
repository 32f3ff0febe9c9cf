import { readFileSync } from 'node:fs';
import { Rng } from '../../engine/random.js';
import { augment, type AugmentOptions } from '../augment.js';
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
  const img = decodeGrayFast(readFile(file, job.id), file);
  const { width, height } = shorterSideSize(img.width, img.height, job.resize);
  const plane = { width, height, data: resizePlane(img.data, img.width, img.height, width, height, 1 / (img.depth === 16 ? 65535 : 255)) };
  if (path && stamp && job.cacheDir) writeCached(path, plane, stamp, job.cacheDir);
  return { plane, hit: false };
}

/** Decode (or read from cache), resize, centre-crop, augment, normalise: one image. */
export function prepareImage(job: ImageJob): PreparedImage {
  let hits = 0;
  let size: { width: number; height: number } | undefined;
  const planes = job.files.map((file, k) => {
    const { plane, hit } = resizedChannel(job, k);
    if (hit) hits++;
    if (!size) size = plane;
    else if (plane.width !== size.width || plane.height !== size.height) {
      throw new Error(`${file}: channels of different sizes (ID ${job.id})`);
    }
    return centerCrop(plane.data, plane.width, plane.height, job.crop, job.crop);
  });
  let x = interleave(planes);
  if (job.augment) x = augment(x, job.crop, job.crop, planes.length, new Rng(job.augment.rngState), job.augment.options);
  if (job.normalize) normalize(x, planes.length);
  return { x, cacheHits: hits };
}

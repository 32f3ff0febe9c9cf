import { fuseScores, type FieldScores } from './fusion.js';
import { NUM_LABELS } from './labels.js';
import { maskIou, runsFromCounts, type MaskRuns } from './mask-runs.js';
import { readGray } from './png.js';
import { cellBoxes, cellCounts, type RleCounts } from './rle.js';
import { readSubmission } from './submission.js';
import { TruthSet, type TruthField } from './truth.js';

/**
 * Cell-level mAP as the HPA competition scored it (Open Images instance segmentation,
 * mask IoU >= 0.6): per field and label, detections in falling score order; each is set
 * against the one truth mask of that label it has the highest IoU with (ties: the first);
 * it is a true positive if that IoU is >= 0.6 and the mask is not yet taken, else a false
 * positive. Per label, all fields' detections are ranked by score and AP is the area under
 * the precision-recall curve with precision made monotone (VOC). Labels without truth
 * masks have no AP and are left out of the mean; a label with truth and no detections has
 * AP 0. Unlike Open Images there are no image-level "verified" labels here: every detection
 * counts.
 */
export const IOU_THRESHOLD = 0.6;

/** A field's truth labels and each detection mask's IoU with the truth masks it touches,
 * worked out once so re-scoring (the fusion sweep) only re-sorts. */
export interface FieldOverlaps {
  truthLabels: number[][];
  /** Per detection mask: touched truth indices, increasing, and their IoUs. */
  overlaps: { truth: number[]; iou: number[] }[];
}

export function fieldOverlaps(truth: TruthField, masks: readonly MaskRuns[]): FieldOverlaps {
  const overlaps = masks.map((m) => {
    const o = { truth: [] as number[], iou: [] as number[] };
    truth.masks.forEach((t, j) => {
      const iou = maskIou(m, t);
      if (iou > 0) {
        o.truth.push(j);
        o.iou.push(iou);
      }
    });
    return o;
  });
  return { truthLabels: truth.labels, overlaps };
}

/** One scored detection: which field, which of the field's detection masks, which label. */
export interface Detection {
  field: number;
  mask: number;
  label: number;
  score: number;
}

export interface LabelAp {
  label: number;
  /** null when the label has no truth. */
  ap: number | null;
  truth: number;
  detections: number;
  truePositives: number;
}

export interface EvalResult {
  labels: LabelAp[];
  /** Mean AP over labels with truth; null when no label has any. */
  mAP: number | null;
  fields: number;
}

/** VOC average precision of ranked detections: `tp[i]` says whether the i-th best is a true
 * positive (already sorted by falling score); `numTruth` counts the truth masks. */
export function averagePrecision(tp: ArrayLike<boolean | number>, numTruth: number): number {
  const n = tp.length;
  const precision = new Float64Array(n + 2);
  const recall = new Float64Array(n + 2);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    if (tp[i]) hits++;
    precision[i + 1] = hits / (i + 1);
    recall[i + 1] = hits / numTruth;
  }
  recall[n + 1] = 1;
  for (let i = n; i >= 0; i--) if (precision[i + 1] > precision[i]) precision[i] = precision[i + 1];
  let ap = 0;
  for (let i = 1; i <= n + 1; i++) if (recall[i] !== recall[i - 1]) ap += (recall[i] - recall[i - 1]) * precision[i];
  return ap;
}

export function evaluateDetections(fields: readonly FieldOverlaps[], detections: readonly Detection[]): EvalResult {
  // Stable order: field, label, falling score; equal scores keep their input order.
  const order = detections.map((_, i) => i);
  order.sort((a, b) => {
    const da = detections[a];
    const db = detections[b];
    return da.field - db.field || da.label - db.label || db.score - da.score || a - b;
  });
  const ranked: { score: number; tp: boolean }[][] = Array.from({ length: NUM_LABELS }, () => []);
  let taken = new Uint8Array(0);
  let group = '';
  for (const i of order) {
    const d = detections[i];
    const f = fields[d.field];
    const key = `${d.field}/${d.label}`;
    if (key !== group) {
      group = key;
      taken = new Uint8Array(f.truthLabels.length);
    }
    const o = f.overlaps[d.mask];
    let best = -1;
    let bestIou = 0;
    for (let k = 0; k < o.truth.length; k++) {
      if (o.iou[k] > bestIou && f.truthLabels[o.truth[k]].includes(d.label)) {
        best = o.truth[k];
        bestIou = o.iou[k];
      }
    }
    const tp = best >= 0 && bestIou >= IOU_THRESHOLD && !taken[best];
    if (tp) taken[best] = 1;
    ranked[d.label].push({ score: d.score, tp });
  }
  const numTruth = new Array<number>(NUM_LABELS).fill(0);
  for (const f of fields) for (const ls of f.truthLabels) for (const l of ls) numTruth[l]++;
  const labels: LabelAp[] = ranked.map((list, label) => {
    // Stable sort: ties keep field order, the same every run.
    list.sort((a, b) => b.score - a.score);
    const truePositives = list.filter((r) => r.tp).length;
    const ap = numTruth[label] ? averagePrecision(list.map((r) => r.tp), numTruth[label]) : null;
    return { label, ap, truth: numTruth[label], detections: list.length, truePositives };
  });
  const scored = labels.filter((l) => l.ap !== null);
  const mAP = scored.length ? scored.reduce((s, l) => s + (l.ap as number), 0) / scored.length : null;
  return { labels, mAP, fields: fields.length };
}

/** Scores a Kaggle submission against a truth folder (truth.ts layout). Fields of the truth
 * that the submission has no row for are not scored (a submission may cover one split). */
export function evaluateSubmission(submissionFile: string, truthDir: string): EvalResult & { truthFields: number } {
  const truth = new TruthSet(truthDir);
  const rows = readSubmission(submissionFile, (id) => truth.field(id));
  const fields: FieldOverlaps[] = [];
  const detections: Detection[] = [];
  for (const row of rows) {
    const t = truth.field(row.id) as TruthField;
    // Triples that repeat a mask string share one counts array (submission.ts), so each
    // distinct mask is intersected with the truth once.
    const index = new Map<RleCounts, number>();
    const masks: MaskRuns[] = [];
    for (const p of row.predictions) {
      let m = index.get(p.counts);
      if (m === undefined) {
        m = masks.length;
        index.set(p.counts, m);
        masks.push(runsFromCounts(p.counts, row.height));
      }
      detections.push({ field: fields.length, mask: m, label: p.label, score: p.confidence });
    }
    fields.push(fieldOverlaps(t, masks));
  }
  return { ...evaluateDetections(fields, detections), truthFields: truth.ids.length };
}

export interface SweepRow {
  weight: number;
  result: EvalResult;
}

/** Re-fuses cached scores for each tile weight and scores each against the truth: the cell
 * masks and their overlaps with the truth are worked out once, only the ranking changes. */
export function sweepFusion(scores: readonly FieldScores[], truthDir: string, weights: readonly number[]): SweepRow[] {
  const truth = new TruthSet(truthDir);
  const fields = scores.map((s) => {
    const where = `scores field ${s.id}`;
    const t = truth.field(s.id);
    if (!t) throw new Error(`${where}: unknown ID (not in the truth)`);
    if (t.width !== s.width || t.height !== s.height) {
      throw new Error(`${where}: size ${s.width}x${s.height} does not match the truth's ${t.width}x${t.height}`);
    }
    const img = readGray(s.mask);
    if (img.width !== s.width || img.height !== s.height) {
      throw new Error(`${s.mask}: mask is ${img.width}x${img.height}, the scores say ${s.width}x${s.height}`);
    }
    const boxes = cellBoxes(img);
    const masks = s.cells.map((cell) => {
      const box = boxes.get(cell);
      if (!box) throw new Error(`${where}: cell ${cell} is not in ${s.mask}`);
      return runsFromCounts(cellCounts(img, cell, box), img.height);
    });
    return fieldOverlaps(t, masks);
  });
  return weights.map((weight) => {
    const detections: Detection[] = [];
    scores.forEach((s, f) =>
      s.cells.forEach((_, m) =>
        fuseScores(weight, s.tiles[m], s.image).forEach((score, label) => detections.push({ field: f, mask: m, label, score })),
      ),
    );
    return { weight, result: evaluateDetections(fields, detections) };
  });
}

import type { EvalResult, SweepRow } from './evaluate.js';
import { LABEL_NAMES } from './labels.js';

const fmt = (v: number | null) => (v === null ? '   -  ' : v.toFixed(4));

/** Per-label AP, truth and detection counts, and the mean, as a plain-text table. */
export function formatLabelTable(r: EvalResult): string {
  const lines = ['label  AP      truth  detections  TP     name'];
  for (const l of r.labels) {
    lines.push(
      `${String(l.label).padStart(5)}  ${fmt(l.ap)}  ${String(l.truth).padStart(5)}  ${String(l.detections).padStart(10)}  ${String(l.truePositives).padStart(5)}  ${LABEL_NAMES[l.label]}`,
    );
  }
  const n = r.labels.filter((l) => l.ap !== null).length;
  lines.push(`mAP@0.6 ${fmt(r.mAP)} over ${n} labels with truth, ${r.fields} fields`);
  return lines.join('\n');
}

/** One line per tile weight: the mAP of the fused scores, the best one marked. */
export function formatSweepTable(rows: readonly SweepRow[]): string {
  let best = -1;
  rows.forEach((r, i) => {
    if (r.result.mAP !== null && (best < 0 || r.result.mAP > (rows[best].result.mAP as number))) best = i;
  });
  const lines = ['tile weight  mAP@0.6'];
  rows.forEach((r, i) => {
    const tag = r.weight === 0 ? '  image only' : r.weight === 1 ? '  tile only' : '';
    lines.push(`${r.weight.toFixed(1).padStart(11)}  ${fmt(r.result.mAP)}${tag}${i === best ? '  <- best' : ''}`);
  });
  return lines.join('\n');
}

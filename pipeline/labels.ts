/** The 19 classes of the HPA single-cell competition, in label order (18 = negative). */
export const LABEL_NAMES = [
  'Nucleoplasm',
  'Nuclear membrane',
  'Nucleoli',
  'Nucleoli fibrillar center',
  'Nuclear speckles',
  'Nuclear bodies',
  'Endoplasmic reticulum',
  'Golgi apparatus',
  'Intermediate filaments',
  'Actin filaments',
  'Microtubules',
  'Mitotic spindle',
  'Centrosome',
  'Plasma membrane',
  'Mitochondria',
  'Aggresome',
  'Cytosol',
  'Vesicles and punctate cytosolic patterns',
  'Negative',
] as const;

/** Names short enough to tag a cell with in an overlay, in label order. */
export const LABEL_SHORT_NAMES: readonly string[] = [
  'Nucleoplasm',
  'Nuclear membrane',
  'Nucleoli',
  'Fibrillar center',
  'Nuclear speckles',
  'Nuclear bodies',
  'ER',
  'Golgi',
  'Intermediate fil.',
  'Actin filaments',
  'Microtubules',
  'Mitotic spindle',
  'Centrosome',
  'Plasma membrane',
  'Mitochondria',
  'Aggresome',
  'Cytosol',
  'Vesicles',
  'Negative',
];

export const NUM_LABELS = LABEL_NAMES.length;
export const NEGATIVE = 18;

/** Parses a label cell such as `8|5|0` or `8 5 0`. `where` names the file and row for the
 * error message. Duplicates collapse; the result is sorted. */
export function parseLabels(text: string, where: string): number[] {
  const parts = text.trim().split(/[|\s]+/).filter((p) => p !== '');
  if (!parts.length) throw new Error(`${where}: empty label`);
  const out = new Set<number>();
  for (const p of parts) {
    // Number('1e1') and Number('0x3') parse, so insist on plain digits.
    if (!/^\d+$/.test(p) || Number(p) >= NUM_LABELS) {
      throw new Error(`${where}: unknown label '${p}' (labels are 0..${NUM_LABELS - 1})`);
    }
    out.add(Number(p));
  }
  return [...out].sort((a, b) => a - b);
}

export function formatLabels(labels: readonly number[]): string {
  return labels.join('|');
}

/** Multi-hot target over the 19 labels. */
export function multiHot(labels: readonly number[], out = new Float32Array(NUM_LABELS), offset = 0): Float32Array {
  for (const l of labels) out[offset + l] = 1;
  return out;
}

import { blob, smoothstep, type Plane } from './raster.js';
import { drawMicrotubules, drawSpindle, inCell, inCyto, inNucleus, pick, segment, walk, type CellCtx } from './draw.js';

/**
 * The green (protein) channel of one cell for one of its labels, at peak `amp`. Each of
 * the 19 classes has its own look, after the HPA's descriptions of the compartments:
 * fills, rings, spots, rods, fibres. Sizes scale with the cell radius r (or the nucleus
 * radius nr), so fields of any size look alike.
 */
export function drawPattern(label: number, g: Plane, c: CellCtx, amp: number, yellow: Plane): void {
  const m = c.maps;
  const r = c.shape.body.r;
  const nr = c.shape.nucleus.r;
  const rng = c.rng;
  const px = Math.max(0.6, 0.022 * r); // about one organelle-sized unit
  const cx = c.shape.nucleus.x;
  const cy = c.shape.nucleus.y;
  switch (label) {
    case 0: // Nucleoplasm: the nucleus filled, nucleoli left dark
      for (const i of c.nuc) g.data[i] += amp * (0.75 + 0.25 * m.tex[i]) * (1 - 0.8 * m.nucleoli[i]) * smoothstep(0, 2, m.nucDepth[i]);
      break;
    case 1: {
      // Nuclear membrane: a thin ring on the nucleus edge
      const s = Math.max(0.7, 0.03 * nr);
      for (const i of c.pixels) {
        const d = m.nucMap[i] === c.id ? m.nucDepth[i] : m.nucDist[i];
        if (d < 4 * s) g.data[i] += amp * Math.exp(-(d * d) / (2 * s * s));
      }
      break;
    }
    case 2: // Nucleoli: the nucleoli themselves, filled and slightly mottled
      for (const i of c.nuc) g.data[i] += amp * 1.3 * Math.min(1, 1.6 * m.nucleoli[i]) * (0.8 + 0.2 * m.tex[i]);
      break;
    case 3: // Nucleoli fibrillar center: small dots clustered in each nucleolus
      for (const n of c.nucleoli) {
        const dots = 4 + rng.int(6);
        for (let d = 0; d < dots; d++) {
          const a = rng.uniform(0, 2 * Math.PI);
          const t = rng.uniform(0.2, 0.9) * n.r;
          blob(g, n.x + t * Math.cos(a), n.y + t * Math.sin(a), Math.max(0.5, 0.12 * n.r), amp * 1.3, inNucleus(c));
        }
      }
      break;
    case 4: {
      // Nuclear speckles: many irregular spots in the nucleoplasm, over a dim fill
      const spots = 12 + rng.int(14);
      for (const i of c.nuc) g.data[i] += 0.12 * amp * (1 - m.nucleoli[i]);
      for (let s = 0; s < spots; s++) {
        const [x, y] = pick(c, c.nuc);
        const i = Math.round(y) * m.w + Math.round(x);
        if (m.nucleoli[i] > 0.3) continue;
        blob(g, x, y, rng.uniform(0.06, 0.1) * nr, amp * rng.uniform(0.6, 1), inNucleus(c));
        blob(g, x + rng.normal() * 0.05 * nr, y + rng.normal() * 0.05 * nr, 0.05 * nr, amp * 0.5, inNucleus(c));
      }
      break;
    }
    case 5: {
      // Nuclear bodies: a few bright, round, well separated dots
      const dots = 1 + rng.int(6);
      for (let d = 0; d < dots; d++) {
        const [x, y] = pick(c, c.nuc);
        blob(g, x, y, Math.max(0.6, 0.045 * nr), amp * 1.6, inNucleus(c));
      }
      break;
    }
    case 6: // Endoplasmic reticulum: the same perinuclear network the yellow stain shows
      for (const i of c.pixels) g.data[i] += amp * yellow.data[i] * 1.6;
      break;
    case 7: {
      // Golgi apparatus: a compact clump of blobs on one side of the nucleus
      const a0 = Math.atan2(c.centrosome[1] - cy, c.centrosome[0] - cx);
      const parts = 8 + rng.int(8);
      for (let k = 0; k < parts; k++) {
        const a = a0 + rng.normal() * 0.35;
        const d = nr * 1.05 + Math.abs(rng.normal()) * 0.12 * r;
        blob(g, cx + d * Math.cos(a), cy + d * Math.sin(a), rng.uniform(0.03, 0.06) * r, amp * rng.uniform(0.6, 1.1), inCyto(c));
      }
      break;
    }
    case 8: {
      // Intermediate filaments: long wavy fibres wrapped around the nucleus
      const n = 16 + rng.int(10);
      for (let f = 0; f < n; f++) {
        const a = rng.uniform(0, 2 * Math.PI);
        const d = nr * rng.uniform(1.05, 1.6);
        const tangent = a + Math.PI / 2 + (rng.next() < 0.5 ? Math.PI : 0);
        walk(g, rng, [cx + d * Math.cos(a), cy + d * Math.sin(a)], tangent, 1.8 * r, 0.9 / Math.sqrt(r), amp * 0.9, inCyto(c));
      }
      break;
    }
    case 9: {
      // Actin filaments: straight parallel stress fibres across the cell, and the cortex
      const a = rng.uniform(0, Math.PI);
      const ux = Math.cos(a);
      const uy = Math.sin(a);
      const lines = 7 + rng.int(6);
      for (let k = 0; k < lines; k++) {
        const off = rng.uniform(-0.85, 0.85) * r;
        const ox = c.shape.body.x - uy * off;
        const oy = c.shape.body.y + ux * off;
        segment(g, [ox - ux * 1.5 * r, oy - uy * 1.5 * r], [ox + ux * 1.5 * r, oy + uy * 1.5 * r], amp * rng.uniform(0.3, 0.7), inCell(c));
      }
      for (const i of c.pixels) if (m.edgeDist[i] < 2.5 * px) g.data[i] += 0.5 * amp * Math.exp(-m.edgeDist[i] / px);
      break;
    }
    case 10: // Microtubules: radial fibres from the centrosome, as in the red stain
      drawMicrotubules(g, c, amp, rng);
      break;
    case 11: // Mitotic spindle: only dividing cells carry this label
      if (c.shape.dividing) drawSpindle(g, c, amp * 1.3, rng);
      break;
    case 12: {
      // Centrosome: one or two bright dots beside the nucleus
      const [x, y] = c.centrosome;
      blob(g, x, y, Math.max(0.6, 0.03 * r), amp * 2, inCell(c));
      if (rng.next() < 0.6) blob(g, x + rng.normal() * 0.04 * r, y + rng.normal() * 0.04 * r, Math.max(0.6, 0.03 * r), amp * 1.6, inCell(c));
      break;
    }
    case 13: {
      // Plasma membrane: a ring on the cell's edge
      const s = Math.max(0.7, 0.025 * r);
      for (const i of c.pixels) {
        const d = m.edgeDist[i] - 0.5;
        if (d < 4 * s) g.data[i] += amp * Math.exp(-(d * d) / (2 * s * s));
      }
      break;
    }
    case 14: {
      // Mitochondria: short rods, denser around the nucleus
      const rods = 60 + rng.int(60);
      for (let k = 0; k < rods; k++) {
        const a = rng.uniform(0, 2 * Math.PI);
        const d = nr + Math.abs(rng.normal()) * 0.45 * r;
        walk(g, rng, [cx + d * Math.cos(a), cy + d * Math.sin(a)], rng.uniform(0, 2 * Math.PI), rng.uniform(0.05, 0.13) * r, 2 / Math.sqrt(r), amp * 0.9, inCyto(c));
      }
      break;
    }
    case 15: {
      // Aggresome: one big bright blob next to the nucleus
      const a = rng.uniform(0, 2 * Math.PI);
      const d = nr + 0.12 * r;
      const s = rng.uniform(0.07, 0.11) * r;
      blob(g, cx + d * Math.cos(a), cy + d * Math.sin(a), s, amp * 2, inCyto(c));
      for (const i of c.cyto) g.data[i] += 0.08 * amp;
      break;
    }
    case 16: // Cytosol: the cytoplasm filled, brightest near the nucleus
      for (const i of c.cyto) {
        g.data[i] += amp * 0.7 * (0.75 + 0.25 * m.tex[i]) * (0.6 + 0.4 * Math.exp(-m.nucDist[i] / r)) * smoothstep(0, 2, m.edgeDist[i]);
      }
      break;
    case 17: {
      // Vesicles and punctate cytosolic patterns: many small puncta
      const n = 40 + rng.int(80);
      for (let k = 0; k < n; k++) {
        const [x, y] = pick(c, c.cyto);
        blob(g, x, y, Math.max(0.55, 0.018 * r), amp * rng.uniform(0.6, 1.2), inCyto(c));
      }
      break;
    }
    case 18: // Negative: no specific signal, only the faint background every cell has
      break;
    default:
      throw new Error(`synth: no pattern for label ${label}`);
  }
}

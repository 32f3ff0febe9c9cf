import type { Kernel } from './kernel.js';
import { matmulBasicKernel } from './matmul-basic.js';
import { MATMUL_VARIANTS, type MatmulParams, type MatmulVariant } from './matmul-params.js';
import { defaultRows, matmulSubgroupKernel } from './matmul-subgroup.js';
import { matmulTiledKernel } from './matmul-tiled.js';

export { MATMUL_VARIANTS, type MatmulParams, type MatmulVariant } from './matmul-params.js';

/**
 * Matrix multiply C[b] = op(A[b]) op(B[b]) (+ bias), row-major f32, any sizes.
 * Bindings: 0 A, 1 B, then bias when `bias`, then C. The variant is picked per adapter
 * (chooseMatmulVariant); all variants compute the same thing.
 */
export function matmulKernel(p: MatmulParams): Kernel {
  if (p.M < 1 || p.N < 1 || p.batch < 1) throw new Error(`matmul: empty output ${p.batch}x${p.M}x${p.N}`);
  return { ...variantKernel(p), flops: 2 * p.M * p.N * p.K * p.batch };
}

function variantKernel(p: MatmulParams): Kernel {
  switch (p.variant) {
    case 'subgroup':
      return matmulSubgroupKernel(p);
    case 'tiled':
      return matmulTiledKernel(p);
    case 'basic':
      return matmulBasicKernel(p);
    default:
      throw new Error(`matmul: unknown variant '${String(p.variant)}' (have: ${MATMUL_VARIANTS.join(', ')})`);
  }
}

/** What the choice looks at; engine/device's AdapterSummary fits. */
export interface AdapterFacts {
  vendor?: string;
  architecture?: string;
  description?: string;
  isSoftware?: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

export function isSoftwareAdapter(a: AdapterFacts): boolean {
  return a.isSoftware ?? (a.architecture === 'software' || /llvmpipe|lavapipe|swiftshader|software/i.test(`${a.description ?? ''}`));
}

/** The subgroup variant broadcasts from lanes 0..7 of an 8-invocation workgroup: it needs subgroups of at least 8. */
export function canRunSubgroupVariant(a: AdapterFacts, features: ReadonlySet<string>): boolean {
  return features.has('subgroups') && (a.subgroupMinSize === undefined || a.subgroupMinSize >= 8);
}

/** Why the subgroup variant cannot run on this adapter, or null when it can (tests say it where they skip). */
export function whyNoSubgroupVariant(a: AdapterFacts, features: ReadonlySet<string>): string | null {
  if (!features.has('subgroups')) return "the 'subgroup' matmul needs the 'subgroups' feature, which this device lacks";
  if (!canRunSubgroupVariant(a, features)) return `the 'subgroup' matmul needs subgroups of at least 8 lanes; this adapter's are ${a.subgroupMinSize}`;
  return null;
}

/**
 * Per adapter, not one fixed recipe: on software adapters (llvmpipe) workgroup memory costs
 * more than storage and every per-lane load is scalarised, so register blocking with operands
 * shared by subgroupBroadcast wins (about 4x the tiled kernel there); on real GPUs workgroup
 * tiling is the norm. HPA_MATMUL=<variant> overrides (for benchmarks and bug hunts).
 */
export function chooseMatmulVariant(adapter: AdapterFacts, features: ReadonlySet<string>): MatmulVariant {
  const forced = process.env.HPA_MATMUL?.trim();
  if (forced) {
    if (!(MATMUL_VARIANTS as readonly string[]).includes(forced)) {
      throw new Error(`HPA_MATMUL='${forced}' is not a matmul variant (have: ${MATMUL_VARIANTS.join(', ')})`);
    }
    if (forced === 'subgroup' && !canRunSubgroupVariant(adapter, features)) {
      throw new Error(`HPA_MATMUL=subgroup needs the 'subgroups' feature with subgroups of at least 8 lanes, which this adapter lacks`);
    }
    return forced as MatmulVariant;
  }
  if (isSoftwareAdapter(adapter)) return canRunSubgroupVariant(adapter, features) ? 'subgroup' : 'basic';
  return 'tiled';
}

/** One matmul the tuner may time: a variant with its blocking, named stably for the cache. */
export interface MatmulCandidate {
  name: string;
  params: MatmulParams;
}

/**
 * What the tuner times for one product, the built-in rule's pick first (the reference). Where
 * HPA_MATMUL forces a variant, that alone. Software adapters get the subgroup kernel's other
 * register blockings (rows per subgroup, 32-column groups per lane), not 'tiled' or 'basic':
 * those measured 4x slower there and the tiled kernel alone takes seconds to compile. Real GPUs
 * get tiled, basic and, with subgroups, the subgroup kernel at two blockings.
 */
export function matmulCandidates(p: Omit<MatmulParams, 'variant' | 'blocking'>, adapter: AdapterFacts, features: ReadonlySet<string>): MatmulCandidate[] {
  const rule = chooseMatmulVariant(adapter, features);
  const out: MatmulCandidate[] = [];
  const seen = new Set<string>();
  const add = (variant: MatmulVariant, blocking?: { rows: number; groups: number }) => {
    const params: MatmulParams = { ...p, variant, ...(blocking ? { blocking } : {}) };
    let name: string = variant;
    if (variant === 'subgroup') {
      const b = blocking ?? { rows: defaultRows(params), groups: 1 };
      const rows = Math.max(1, Math.min(b.rows, p.M));
      name = `subgroup:${rows}x${b.groups}`;
    }
    if (seen.has(name)) return;
    seen.add(name);
    out.push({ name, params });
  };
  add(rule);
  if (process.env.HPA_MATMUL?.trim()) return out;
  const subgroups = canRunSubgroupVariant(adapter, features);
  const sub = (): void => {
    const rows = defaultRows({ ...p, variant: 'subgroup' });
    if (rows >= 16) {
      add('subgroup', { rows: rows === 32 ? 16 : 32, groups: 1 });
      add('subgroup', { rows: 8, groups: 2 });
    } else if (rows === 8) {
      add('subgroup', { rows: 16, groups: 1 });
    }
  };
  if (isSoftwareAdapter(adapter)) {
    if (subgroups) sub();
    return out;
  }
  add('tiled');
  add('basic');
  if (subgroups) {
    add('subgroup');
    sub();
  }
  return out;
}

import type { Kernel } from './kernel.js';
import { matmulBasicKernel } from './matmul-basic.js';
import { MATMUL_VARIANTS, type MatmulParams, type MatmulVariant } from './matmul-params.js';
import { matmulSubgroupKernel } from './matmul-subgroup.js';
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


import type { Tensor } from './tensor.js';

/**
 * Scoped lifetimes: tensors created inside tidy() are disposed when it returns, except
 * the ones it returns (or keep() marks). Tensors that backward needs stay alive through
 * the tape's own references, so tidy can be used freely around forward passes.
 */
const scopes: Set<Tensor>[] = [];

export function trackInScope(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}

/** Exempts a tensor from the scopes it is in (it must be disposed by hand). */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function isTensorLike(v: object): v is Tensor {
  return Array.isArray((v as Tensor).shape) && typeof (v as Tensor).dispose === 'function' && 'requiresGrad' in v;
}

function collect(value: unknown, out: Set<Tensor>, depth = 0): void {
  if (!value || typeof value !== 'object' || depth > 3) return;
  if (isTensorLike(value)) {
    out.add(value as Tensor);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, depth + 1);
}

export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) throw new Error('tidy(): the function must be synchronous (it returned a Promise)');
  const kept = new Set<Tensor>();
  collect(result, kept);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

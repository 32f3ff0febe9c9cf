import { describe, expect, it } from 'vitest';
import * as E from '../../engine/index.js';
import { T } from '../reference/tensor.js';
import { toGpu, toRef, useEngine } from '../helpers/engine.js';
import { expectClose } from '../reference/compare.js';

useEngine();

describe('the autograd tape', () => {
  it('accumulates gradients across backward calls until they are cleared', async () => {
    const x = toGpu(T([3], [1, 2, 3]), true);
    E.backward(E.sum(E.mul(x, x)));
    E.backward(E.sum(E.mul(x, x)));
    expectClose(await toRef(x.grad!), T([3], [4, 8, 12]), 1e-7, 'accumulated');
    x.grad!.dispose();
    x.grad = null;
    E.backward(E.sum(x));
    expectClose(await toRef(x.grad!), T([3], [1, 1, 1]), 1e-7, 'after clear');
  });

  it('routes a tensor used twice (x*x, x+x) to the sum of both paths', async () => {
    const x = toGpu(T([2], [3, -1]), true);
    E.backward(E.sum(E.add(E.mul(x, x), E.add(x, x))));
    expectClose(await toRef(x.grad!), T([2], [8, 0]), 1e-7, 'd/dx (x^2 + 2x)');
  });

  it('passes a gradient through an add or reshape without a copy, and copies only a buffer given to two inputs', async () => {
    const x = toGpu(T([2, 2], [1, -2, 0.5, 3]), true);
    // add's backward gives its gradient to both inputs: one keeps the buffer, the other gets a copy.
    const y = E.sum(E.reshape(E.add(E.exp(x), E.mul(x, x)), [4]));
    const rt = E.runtime();
    const copies = rt.stats.copies;
    E.backward(y);
    expect(rt.stats.copies - copies).toBe(1);
    const v = [1, -2, 0.5, 3];
    expectClose(await toRef(x.grad!), T([2, 2], v.map((a) => Math.exp(a) + 2 * a)), 1e-6, 'd/dx (e^x + x^2)');
  });

  it('records nothing under noGrad', () => {
    const x = toGpu(T([2], [1, 2]), true);
    const y = E.noGrad(() => E.mul(x, x));
    expect(y.node).toBeNull();
    expect(y.requiresGrad).toBe(false);
    expect(() => E.backward(E.sum(y))).toThrow(/does not require grad/);
  });

  it('refuses backward from a non-scalar without a gradient, naming the shape', () => {
    const x = toGpu(T([2, 2]), true);
    expect(() => E.backward(E.mul(x, x))).toThrow(/backward\(\): tensor .*\[2,2\] is not a scalar/);
  });

  it('refuses backward through a freed graph, naming the op; retainGraph allows it', async () => {
    const x = toGpu(T([2], [1, 2]), true);
    const y = E.sum(E.exp(x));
    E.backward(y);
    expect(() => E.backward(y)).toThrow(/backward through a freed graph at op 'sum\(\[2\]\)'/);
    const z = E.sum(E.exp(x));
    E.backward(z, { retainGraph: true });
    E.backward(z);
    const g = await toRef(x.grad!);
    expectClose(g, T([2], [3 * Math.E, 3 * Math.exp(2)]), 1e-6, 'three backward passes');
  });

  it('raises a clear error on a disposed input', () => {
    const x = toGpu(T([2], [1, 2]));
    x.dispose();
    expect(() => E.exp(x)).toThrow(/exp: input #\d+\[2\] was used after dispose\(\)/);
  });

  it('tidy frees intermediates but the graph still reaches them through the tape', async () => {
    const pool = E.runtime().pool;
    const x = toGpu(T([4], [1, 2, 3, 4]), true);
    const before = pool.bytesInUse;
    const loss = E.tidy(() => E.sum(E.mul(E.exp(x), E.sigmoid(x))));
    E.backward(loss);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const expected = [1, 2, 3, 4].map((v) => Math.exp(v) * s(v) + Math.exp(v) * s(v) * (1 - s(v)));
    expectClose(await toRef(x.grad!), T([4], expected), 1e-5, 'grad through tidy');
    loss.dispose();
    x.grad!.dispose();
    x.grad = null;
    expect(pool.bytesInUse).toBe(before);
  });

  it('a graph whose outputs are disposed without backward releases its saved buffers', () => {
    const pool = E.runtime().pool;
    const x = toGpu(T([5], [1, 2, 3, 4, 5]), true);
    const before = pool.bytesInUse;
    const y = E.tidy(() => E.sum(E.mul(E.exp(x), x)));
    expect(pool.bytesInUse).toBeGreaterThan(before);
    y.dispose();
    expect(pool.bytesInUse).toBe(before);
  });
});

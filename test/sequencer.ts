import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order test files start in, for a fresh machine. Lavapipe compiles every pipeline with
 * LLVM on its first use and keeps it in Mesa's disk cache, which two workers share but do not
 * coordinate: two files that both start by training B0 compile the same hundred pipelines at
 * once, each paying for all of them. So the demo (the file that trains B0 first, in its
 * first test) starts first; the files that compile many kernels of their own (the op tests'
 * variants, several minutes cold) start next, on the other worker, and are not left for the
 * end where one of them would run alone; the files that mostly reuse B0's pipelines come
 * last, when Mesa's cache holds them. Within each group vitest's own order stands (longest
 * last time first, else larger files first). A file missing from these lists only runs in
 * vitest's order: the order changes time, never what a test checks.
 */
const FIRST = ['test/demo/demo.test.ts'];
const OWN_KERNELS = ['test/ops/depthwise-conv2d.test.ts', 'test/ops/conv2d.test.ts', 'test/ops/matmul-variants.test.ts', 'test/ops/matmul-kernel.test.ts'];
const AFTER_B0 = [
  'test/train/resume.test.ts',
  'test/train/run.test.ts',
  'test/train/kill.test.ts',
  'test/predict/tile-settings.test.ts',
  'test/models/efficientnet.test.ts',
  'test/predict/model-scorer.test.ts',
  'test/package/pack.test.ts',
  'test/cli/binary.test.ts',
];

export default class FirstRunSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const is = (list: string[]) => list.some((p) => f.moduleId.endsWith(p));
      return is(FIRST) ? 0 : is(OWN_KERNELS) ? 1 : is(AFTER_B0) ? 3 : 2;
    };
    // stable: equal ranks keep vitest's order
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

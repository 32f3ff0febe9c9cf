// `npm run bench -- <suite> [--json]`: each suite is one file under bench/ that exports a
// function returning rows; this file only dispatches and prints.
import { printRows, type BenchRow } from './report.js';

type Suite = (args: string[]) => Promise<BenchRow[]>;

const suites: Record<string, () => Promise<Suite>> = {
  // each suite adds one line here
  rle: async () => (await import('./rle.js')).rleBench,
  kernels: async () => (await import('./kernels.js')).kernelsBench,
  'kernels-training': async () => (await import('./kernels-training.js')).trainingKernelsBench,
  segment: async () => (await import('./segment.js')).segmentBench,
  loader: async () => (await import('./loader.js')).loaderBench,
  matmul: async () => (await import('./matmul.js')).matmulBench,
  model: async () => (await import('./model.js')).modelBench,
  compile: async () => (await import('./compile.js')).compileBench,
  'train-cli': async () => (await import('./train-cli.js')).trainCliBench,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const names = args.filter((a) => !a.startsWith('--'));
  const chosen = names.length ? names : Object.keys(suites);
  for (const name of chosen) {
    const load = suites[name];
    if (!load) throw new Error(`unknown bench suite '${name}' (have: ${Object.keys(suites).join(', ')})`);
    const rows = await (await load())(args);
    printRows(name, rows, json);
  }
}

process.env.XDG_RUNTIME_DIR ??= '/tmp';
main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});

import { flatIndexHeader } from './wgsl.js';

/**
 * The opening every convolution-family kernel (conv2d's and depthwiseConv2d's passes)
 * shares: its storage buffers bound 0, 1, ... in order, the last one written; the flat
 * thread index with its bounds test; the thread's channel vector `cq` (i modulo `lanes`,
 * so neighbouring lanes read neighbouring channels of one pixel) and the rest of the index
 * in `rest` ('var r' when the kernel splits it further, 'let s' for a chunk index).
 */
export function convPreamble(buffers: readonly (readonly [name: string, type: string])[], total: number, lanes: number, rest = 'var r'): string {
  const bindings = buffers.map(
    ([name, type], b) => `@group(0) @binding(${b}) var<storage, ${b === buffers.length - 1 ? 'read_write' : 'read'}> ${name}: array<${type}>;`,
  );
  return `${flatIndexHeader(bindings.join('\n'))}
  if (i >= ${total}u) { return; }
  let cq = i32(i % ${lanes}u);
  ${rest} = i32(i / ${lanes}u);`;
}

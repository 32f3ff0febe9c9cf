import { describe, expect, it } from 'vitest';
import { efficientNetConfig } from '../../models/efficientnet-config.js';
import { formatEfficientNetSummary, summarizeEfficientNet } from '../../models/efficientnet-summary.js';
import { cli } from '../cli/run-cli.js';

async function runInfo(args: string[]): Promise<string> {
  const r = await cli('info', ...args);
  if (r.code !== 0) throw new Error(r.err.join('\n'));
  return r.out;
}

describe('EfficientNet summary', () => {
  it('B0: stages, feature-map sizes at 224, parameter count', () => {
    const s = summarizeEfficientNet(efficientNetConfig('b0'));
    expect(s.stem).toEqual({ channels: 32, kernel: 3, stride: 2, outputSize: 112 });
    expect(s.stages.map((x) => [x.expand, x.kernel, x.stride, x.outChannels, x.repeats, x.outputSize])).toEqual([
      [1, 3, 1, 16, 1, 112],
      [6, 3, 2, 24, 2, 56],
      [6, 5, 2, 40, 2, 28],
      [6, 3, 2, 80, 3, 14],
      [6, 5, 1, 112, 3, 14],
      [6, 5, 2, 192, 4, 7],
      [6, 3, 1, 320, 1, 7],
    ]);
    expect(s.head.channels).toBe(1280);
    expect(s.parameters).toBe(5_288_548);
    // running mean + var of every BN layer: stem, per block (expand,) depthwise, project, head
    const bn = [32, 32, 16, 96, 96, 24, 144, 144, 24, 144, 144, 40, 240, 240, 40, 240, 240, 80, 480, 480, 80, 480, 480, 80,
      480, 480, 112, 672, 672, 112, 672, 672, 112, 672, 672, 192, 1152, 1152, 192, 1152, 1152, 192, 1152, 1152, 192,
      1152, 1152, 320, 1280];
    expect(bn).toHaveLength(49);
    expect(s.buffers).toBe(2 * bn.reduce((a, b) => a + b, 0));
    const text = formatEfficientNetSummary(s);
    expect(text).toContain('EfficientNet-B0: width 1, depth 1, resolution 224, dropout 0.2');
    expect(text).toContain('parameters: 5,288,548 trainable');
  });

  it("output sizes are ceil(n / stride) with either padding; only where the odd pixel goes differs", () => {
    const sym = summarizeEfficientNet(efficientNetConfig('b3'));
    const same = summarizeEfficientNet(efficientNetConfig('b3', { padding: 'same' }));
    expect(sym.stages.map((x) => x.outputSize)).toEqual([150, 75, 38, 19, 19, 10, 10]);
    expect(same.stages.map((x) => x.outputSize)).toEqual(sym.stages.map((x) => x.outputSize));
  });
});

describe('hpa-engine info', () => {
  it('prints the table and the exact count', async () => {
    const text = await runInfo(['--model', 'b7']);
    expect(text).toContain('EfficientNet-B7: width 2, depth 3.1, resolution 600, dropout 0.5');
    expect(text).toMatch(/\n\s*7\s+MBConv\s+6\s+3\s+1\s+384\s+640\s+4\s+19x19\n/);
    expect(text).toContain('parameters: 66,347,960 trainable');
  });

  it('--json with HPA options', async () => {
    const s = JSON.parse(await runInfo(['--model', 'B4', '--classes', '19', '--in-channels', '4', '--json']));
    expect(s).toMatchObject({ model: 'b4', numClasses: 19, inChannels: 4, resolution: 380, dropout: 0.4, blocks: 32 });
    expect(s.parameters).toBe(19_341_616 - 981 * 1793 + 48 * 9);
  });

  it('refuses an unknown model', async () => {
    await expect(runInfo(['--model', 'b9'])).rejects.toThrow("hpa-engine: info: --model: must be one of b0, b1, b2, b3, b4, b5, b6, b7, got 'b9' (see hpa-engine info --help)");
    expect(() => efficientNetConfig('b9')).toThrow("unknown model 'b9' (have: b0, b1, b2, b3, b4, b5, b6, b7)");
  });
});

/** Flags about data that several commands share. */
import { parseBlend } from '../pipeline/blend.js';
import { flag, fromCheck, listFlag } from './flags.js';

/** rgb, ybr, rgby or a channel list; checked while the flags are read. */
export const blendSpec = (d: string, channels?: readonly number[]) =>
  flag({
    flags: '--blend <spec>',
    description: 'rgb, ybr, rgby or a channel list such as green,red,blue',
    parse: fromCheck((v) => {
      const n = parseBlend(v).length;
      if (channels && !channels.includes(n)) throw new Error(`EfficientNet takes ${channels.join(' or ')} channels, '${v}' has ${n}`);
      return v;
    }),
    default: d,
  });

export const idsFlag = () => listFlag('--ids <ids...>', 'only these IDs (space or comma separated)');

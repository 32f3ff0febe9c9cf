import type { Command } from 'commander';
import { listAdapters } from '../../engine/device.js';
import { jsonFlag, printJson } from '../output.js';

export function registerDevices(program: Command): void {
  program
    .command('devices')
    .description('list every WebGPU adapter found: name, backend, vendor, features and key limits')
    .addOption(jsonFlag())
    .action(async (f: { json?: boolean }) => {
      const adapters = await listAdapters();
      if (f.json) return printJson(adapters);
      for (const a of adapters) {
        console.log(`${a.name}  [${a.backend}, ${a.featureLevel}${a.isSoftware ? ', software' : ''}]`);
        console.log(`  vendor: ${a.vendor || '-'}  architecture: ${a.architecture || '-'}`);
        if (a.subgroupMinSize) console.log(`  subgroup size: ${a.subgroupMinSize}..${a.subgroupMaxSize}`);
        console.log(`  features: ${a.features.join(', ')}`);
        for (const [k, v] of Object.entries(a.limits)) console.log(`  ${k}: ${v}`);
      }
    });
}

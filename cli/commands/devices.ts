import type { Command } from 'commander';
import { listAdapters } from '../../engine/device.js';

export function registerDevices(program: Command): void {
  program
    .command('devices')
    .description('list every WebGPU adapter found: name, backend, vendor, features and key limits')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const adapters = await listAdapters();
      if (opts.json) {
        console.log(JSON.stringify(adapters, null, 2));
        return;
      }
      for (const a of adapters) {
        console.log(`${a.name}  [${a.backend}, ${a.featureLevel}${a.isSoftware ? ', software' : ''}]`);
        console.log(`  vendor: ${a.vendor || '-'}  architecture: ${a.architecture || '-'}`);
        if (a.subgroupMinSize) console.log(`  subgroup size: ${a.subgroupMinSize}..${a.subgroupMaxSize}`);
        console.log(`  features: ${a.features.join(', ')}`);
        for (const [k, v] of Object.entries(a.limits)) console.log(`  ${k}: ${v}`);
      }
    });
}

import type { Command } from 'commander';
export function registerDevices(program: Command): void {
  program.command('devices').description('list WebGPU adapters').option('--json').action(() => {
    throw new Error('devices: not yet wired');
  });
}

#!/usr/bin/env node
import { runCli } from './program.js';
import { adoptParentTerminal, CHILD_ENV, runFiltered } from './stderr-filter.js';

process.env.XDG_RUNTIME_DIR ??= '/tmp';
const inChild = process.env[CHILD_ENV] !== undefined;
if (inChild) adoptParentTerminal();
const code = process.argv.includes('--verbose') || inChild ? await runCli(process.argv) : await runFiltered();
// Success exits when the work is done (a leaked handle shows up instead of being cut off).
if (code !== 0) process.exit(code);

#!/usr/bin/env node
// The `ade` command. Runs the compiled CLI (built by `npm ci` through the root `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/run.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('error ade is not built yet\n  hint: run `npm ci` (or `npm run build`) in the repository first');
  process.exit(70);
}
await import(entry.href);

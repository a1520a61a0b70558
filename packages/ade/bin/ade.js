#!/usr/bin/env node
// The `ade` command. Runs the compiled CLI (built by `npm ci` through the root `prepare` script).
import { existsSync } from 'node:fs';

// Each running DuckDB call holds a libuv thread; a larger pool keeps file I/O
// responsive while queries run (read at the pool's first use, so set it first).
process.env.UV_THREADPOOL_SIZE ??= '16';

const entry = new URL('../dist/cli/run.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('error ade is not built yet\n  hint: run `npm ci` (or `npm run build`) in the repository first');
  process.exit(70);
}
await import(entry.href);

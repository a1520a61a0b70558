#!/usr/bin/env node
// Runs the `ade` CLI in this very process and records its peak resident set
// size, so a test can bound the memory one command needs.
//
//   node rss-run.mjs <out-file> <ade args…>
//
// On exit (normal or process.exit) <out-file> holds process.resourceUsage().maxRSS:
// the peak RSS in KiB (Node, V8 heap and DuckDB alike, all in this process).
// A crash (a signal such as SIGSEGV/SIGABRT) writes nothing: a missing file
// means the process died.
import { writeFileSync } from 'node:fs';

const [out, ...args] = process.argv.slice(2);
if (!out) {
  console.error('usage: node rss-run.mjs <out-file> <ade args…>');
  process.exit(2);
}
const bin = new URL('../../packages/ade/bin/ade.js', import.meta.url);

process.on('exit', () => {
  writeFileSync(out, String(process.resourceUsage().maxRSS));
});

// The CLI parses process.argv as `node <script> <args…>`; make it look like `ade <args…>`.
process.argv = [process.argv[0], bin.pathname, ...args];
// bin/ade.js sets UV_THREADPOOL_SIZE and imports dist/cli/run.js, which sets
// process.exitCode (it does not call process.exit), so the exit handler runs.
await import(bin.href);

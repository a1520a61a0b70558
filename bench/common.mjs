// What the benchmarks share: medians, progress on stderr, and removing their
// scratch folder on exit or Ctrl-C.
import { rmSync } from 'node:fs';

/** The median of a list of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Progress goes to stderr, so that --json output on stdout stays clean. */
export const log = (line) => process.stderr.write(`${line}\n`);

/**
 * Removes `dir` when asked (`cleanup()`) and on SIGINT/SIGTERM (then exits
 * 130, the shell's code for an interrupted command), unless `keep`.
 */
export function scratchCleanup(dir, keep) {
  const cleanup = () => {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      cleanup();
      process.exit(130);
    });
  }
  return cleanup;
}

import cliProgress from 'cli-progress';
import type { Output } from './output.js';

/** A progress bar on stderr when it is a terminal; plain stage lines otherwise (unless --json/--quiet). */
export interface Progress {
  stage(label: string, total?: number): void;
  tick(done: number, total?: number): void;
  stop(): void;
}

export function createProgress(out: Output): Progress {
  if (!out.interactive) {
    let last = '';
    return {
      stage(label) {
        if (label !== last) out.info(`… ${label}`);
        last = label;
      },
      tick() {},
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {percentage}% | {stage}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let stage = '';
  return {
    stage(label, total = 1) {
      if (started && label === stage) {
        bar.setTotal(total);
        return;
      }
      stage = label;
      if (!started) {
        bar.start(total, 0, { stage });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(0, { stage });
      }
    },
    tick(done, total) {
      if (!started) return;
      if (total !== undefined) bar.setTotal(total);
      bar.update(done, { stage });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

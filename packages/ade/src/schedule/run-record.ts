import { AdeError, messageOf } from '../kernel/index.js';
import type { BuildOutcome } from './model-builds.js';

/** The last thing a schedule or the commit trigger did, as GET /v1/schedules shows it. */
export interface RunRecord {
  /** ISO time. */
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly outcome: 'running' | 'succeeded' | 'failed';
  /** The first line of the error, when failed. */
  readonly error?: string;
  /** Models built, fresh, failed or skipped (builds). */
  readonly models?: Readonly<Record<string, string>>;
  /** Files ingested and rows written (ingests). */
  readonly ingested?: { readonly files: number; readonly rows: number; readonly quarantined: number };
}

/** A build with failed models, as an error for the log (terminal for this build; the next trigger builds again). */
export function buildFailure(what: string, outcome: BuildOutcome): AdeError | undefined {
  if (outcome.failed.length === 0) return undefined;
  const reasons = outcome.results.filter((r) => r.status === 'failed').map((r) => `${r.table}: ${r.error ?? 'failed'}`);
  return new AdeError('schedule.build_failed', `${what}: ${outcome.failed.length} model(s) failed — ${reasons.join('; ')}`, {
    hint: 'GET /v1/runs (or `ade runs`) has each run\'s error and hint; the tables keep their previous snapshots, and the next trigger builds again',
    details: { failed: outcome.failed },
  });
}

/** The record of a finished build; `failure` is its `buildFailure`. */
export function finishedBuild(started: RunRecord, finishedAt: Date, outcome: BuildOutcome | undefined, failure: Error | undefined): RunRecord {
  const models = Object.fromEntries((outcome?.results ?? []).map((r) => [r.table, r.status]));
  return { ...started, finishedAt: finishedAt.toISOString(), outcome: failure ? 'failed' : 'succeeded', ...(failure ? { error: failure.message } : {}), models };
}

/** The record of a job that threw. */
export function failedRun(started: RunRecord, finishedAt: Date, e: unknown): RunRecord {
  return { ...started, finishedAt: finishedAt.toISOString(), outcome: 'failed', error: messageOf(e).split('\n')[0]! };
}

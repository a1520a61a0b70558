import { NotFoundError, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { ingest, type IngestRequest } from '../ingest/index.js';
import type { SourceConfig } from '../ingest/source-config.js';
import { selectModels } from '../models/index.js';
import type { Keyring } from '../privacy/index.js';
import { CommitTrigger, summary, type TriggerStatus } from './commit-trigger.js';
import { startCron, type CronTimer } from './cron-timer.js';
import { ModelBuilds } from './model-builds.js';
import { buildFailure, failedRun, finishedBuild, type RunRecord } from './run-record.js';
import { DEFAULT_TRIGGERS, type ScheduleAction, type ScheduleConfig, type TriggerConfig } from './schedule-config.js';

/** Who scheduled and triggered work runs as, unless told otherwise: an engineer (builds models, ingests into raw). */
export const SCHEDULER_PRINCIPAL: Principal = { name: 'scheduler', role: 'engineer' };

export interface SchedulerConfig {
  /** The project folder: models under `models/`, relative source locations. */
  readonly projectDir: string;
  /** ade.yaml `schedules:`. */
  readonly schedules: readonly ScheduleConfig[];
  /** ade.yaml `triggers:` (default: on commit, 2 s debounce, 5 s poll). */
  readonly triggers?: TriggerConfig;
  /** The project's sources: ingest schedules run them. */
  readonly sources: readonly SourceConfig[];
  /** The sources' event-time columns (`sourceTimeColumns`), for day models. */
  readonly timeColumns: ReadonlyMap<string, string>;
  /** Keys for tokens: ingest schedules refuse to run without them. */
  readonly keyring?: Keyring;
  /** Opens the bucket of an `s3://` source location (as for `ade ingest`). */
  readonly openBucket?: IngestRequest['openBucket'];
  /** Who the work runs as (default `scheduler`, engineer): the runs' `by`, the audit events' actor. */
  readonly principal?: Principal;
  /** A job or build that failed; the scheduler goes on. */
  readonly onError?: (e: unknown, what: string) => void;
  /** One line per thing done or skipped. */
  readonly onLog?: (message: string) => void;
}

/** One schedule as GET /v1/schedules shows it. */
export interface ScheduleStatus {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly action: ScheduleAction;
  /** ISO time of the next tick; null when stopped. */
  readonly nextRun: string | null;
  readonly running: boolean;
  readonly lastRun: RunRecord | null;
  /** Ticks that came while the job still ran (skipped, not queued). */
  readonly skippedTicks: number;
}

export interface SchedulerStatus {
  readonly schedules: readonly ScheduleStatus[];
  readonly triggers: TriggerStatus;
}

interface Job {
  readonly config: ScheduleConfig;
  timer?: CronTimer;
  running?: Promise<void>;
  last?: RunRecord;
  skipped: number;
}

/**
 * What `ade serve` runs besides requests: the cron schedules of ade.yaml
 * (model builds and source ingests) and builds triggered by commits (see
 * CommitTrigger). A job still running at its next tick skips that tick. Every
 * build is a run per model in the ledger and a `models.run` audit event with
 * its reason; failures go to `onError` and never stop the scheduler.
 *
 * @example
 * const scheduler = new Scheduler(lake, { projectDir, schedules: project.schedules, triggers: project.triggers, sources, timeColumns, keyring });
 * await scheduler.start();
 * // …
 * await scheduler.stop(); // waits for the job or build running
 */
export class Scheduler {
  readonly #lake: Lake;
  readonly #config: SchedulerConfig;
  readonly #principal: Principal;
  readonly #builds: ModelBuilds;
  readonly #trigger: CommitTrigger | undefined;
  readonly #jobs: Job[];
  readonly #abort = new AbortController();
  #started = false;

  constructor(lake: Lake, config: SchedulerConfig) {
    this.#lake = lake;
    this.#config = config;
    this.#principal = config.principal ?? SCHEDULER_PRINCIPAL;
    this.#builds = new ModelBuilds(lake, { projectDir: config.projectDir, timeColumns: config.timeColumns, principal: this.#principal });
    const triggers = config.triggers ?? DEFAULT_TRIGGERS;
    this.#trigger = triggers.onCommit
      ? new CommitTrigger(lake, this.#builds, {
          debounceMs: triggers.debounceMs,
          pollMs: triggers.pollMs,
          ...(config.onError ? { onError: config.onError } : {}),
          ...(config.onLog ? { onLog: config.onLog } : {}),
        })
      : undefined;
    this.#jobs = config.schedules.map((s) => ({ config: s, skipped: 0 }));
  }

  /** Starts the cron timers and the commit trigger. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#trigger?.start();
    for (const job of this.#jobs) job.timer = startCron(job.config.cron, job.config.timezone, () => this.#tick(job));
  }

  /** Stops the timers and triggers for good, then waits for the jobs and builds running (queued ones do not start). */
  async stop(): Promise<void> {
    this.#started = false;
    for (const job of this.#jobs) {
      job.timer?.stop();
      delete job.timer;
    }
    this.#abort.abort();
    await this.#trigger?.stop();
    await this.#builds.close();
    await Promise.allSettled(this.#jobs.map((j) => j.running));
  }

  status(): SchedulerStatus {
    const triggers = this.#config.triggers ?? DEFAULT_TRIGGERS;
    return {
      schedules: this.#jobs.map((j) => ({
        name: j.config.name,
        cron: j.config.cron,
        timezone: j.config.timezone,
        action: j.config.action,
        nextRun: j.timer?.nextRun()?.toISOString() ?? null,
        running: j.running !== undefined,
        lastRun: j.last ?? null,
        skippedTicks: j.skipped,
      })),
      triggers: this.#trigger?.status() ?? { onCommit: false, debounceMs: triggers.debounceMs, pollMs: triggers.pollMs, state: 'off', pending: [], lastBuild: null },
    };
  }

  #tick(job: Job): void {
    if (!this.#started) return;
    if (job.running) {
      job.skipped += 1;
      this.#config.onLog?.(`schedule ${job.config.name}: still running at its next tick; the tick is skipped`);
      return;
    }
    job.running = this.#run(job).finally(() => {
      delete job.running;
    });
  }

  async #run(job: Job): Promise<void> {
    const { name, action } = job.config;
    const started: RunRecord = { startedAt: this.#lake.clock.now().toISOString(), outcome: 'running' };
    const what = `schedule ${name}`;
    job.last = started;
    try {
      if (action.kind === 'run') {
        const outcome = await this.#builds.run({
          pick: (graph) => selectModels(graph, action.select),
          fullRefresh: action.fullRefresh,
          reason: { by: 'schedule', schedule: name },
        });
        const failure = outcome ? buildFailure(what, outcome) : undefined;
        job.last = finishedBuild(started, this.#lake.clock.now(), outcome, failure);
        if (failure) this.#config.onError?.(failure, what);
        else if (outcome?.results.some((r) => r.runId)) this.#config.onLog?.(`${what}: ${summary(job.last)}`);
      } else {
        job.last = await this.#ingest(started, action.source, name);
        // A tick that found nothing new is not worth a line (a schedule may tick every minute).
        if (job.last.ingested?.files) this.#config.onLog?.(`${what}: ingested ${job.last.ingested.files} file(s), ${job.last.ingested.rows} row(s)`);
      }
    } catch (e) {
      job.last = failedRun(started, this.#lake.clock.now(), e);
      this.#config.onError?.(e, what);
    }
  }

  async #ingest(started: RunRecord, sourceName: string, schedule: string): Promise<RunRecord> {
    const source = this.#config.sources.find((s) => s.name === sourceName);
    if (!source) throw new NotFoundError('source', sourceName, { hint: 'the schedule names a source that is not under sources: in ade.yaml' });
    const report = await ingest(this.#lake, this.#principal, {
      source,
      baseDir: this.#config.projectDir,
      keyring: this.#config.keyring,
      signal: this.#abort.signal,
      ...(this.#config.openBucket ? { openBucket: this.#config.openBucket } : {}),
    });
    // A tick that found no new files did nothing worth an audit event (its run is in the ledger).
    if (report.filesIngested > 0) {
      await this.#lake.catalog.audit({ actor: this.#principal.name, action: 'ingest.run', target: `clean.${sourceName}`, details: { by: 'schedule', schedule, run: report.runId, files: report.filesIngested } });
    }
    return {
      ...started,
      finishedAt: this.#lake.clock.now().toISOString(),
      outcome: 'succeeded',
      ingested: { files: report.filesIngested, rows: report.rowsWritten, quarantined: report.quarantined },
    };
  }
}

import { formatTableRef } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import type { ModelBuilds } from './model-builds.js';
import { buildFailure, failedRun, finishedBuild, type RunRecord } from './run-record.js';

export interface CommitTriggerConfig {
  /** Quiet time after the last commit before building. */
  readonly debounceMs: number;
  /** How often the catalog is read for other processes' commits; 0: never. */
  readonly pollMs: number;
  /** A build that failed or could not start (never thrown). */
  readonly onError?: (e: unknown, what: string) => void;
  /** One line per build. */
  readonly onLog?: (message: string) => void;
}

/** What GET /v1/schedules says about commit-triggered builds. */
export interface TriggerStatus {
  readonly onCommit: boolean;
  readonly debounceMs: number;
  readonly pollMs: number;
  /** `waiting`: commits seen, the debounce runs; `building`: a triggered build runs (or waits for a scheduled one). */
  readonly state: 'off' | 'idle' | 'waiting' | 'building';
  /** Committed tables and models whose downstream builds next. */
  readonly pending: readonly string[];
  readonly lastBuild: RunRecord | null;
}

/**
 * Builds the models downstream of every table that commits. Commits reach it
 * two ways: this process's commits through `lake.onCommit` at once, and other
 * processes' commits (`ade ingest`, `ade load`, another server) by reading the
 * tables' current snapshots every `pollMs` — a snapshot id above the last one
 * seen is a commit. Commits are debounced and coalesced: quick commits make
 * one build; commits during a build make at most one more. A build's own
 * commits do not trigger it again: a table it builds triggers only those of
 * its downstream models the build does not include.
 */
export class CommitTrigger {
  readonly #lake: Lake;
  readonly #builds: ModelBuilds;
  readonly #config: CommitTriggerConfig;
  /** Tables committed since the last build began: their downstream builds next. */
  readonly #tables = new Set<string>();
  /** Models to build next: downstream of tables a build built but did not cover. */
  readonly #models = new Set<string>();
  /** The newest snapshot seen of each table (ids are catalog-wide and increase). */
  readonly #seen = new Map<string, number>();
  /** Snapshots up to this id were there before start: not commits to react to. */
  #baseline = 0;
  #timer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #building: Promise<void> | undefined;
  #last: RunRecord | undefined;
  #running = false;
  #listening = false;

  constructor(lake: Lake, builds: ModelBuilds, config: CommitTriggerConfig) {
    this.#lake = lake;
    this.#builds = builds;
    this.#config = config;
  }

  /** Starts listening (and polling): commits from now on trigger builds; what was committed before does not. */
  async start(): Promise<void> {
    if (this.#running) return;
    for (const t of await this.#lake.catalog.listTables()) this.#baseline = Math.max(this.#baseline, t.currentSnapshotId ?? 0);
    this.#running = true;
    // A lake's listeners cannot be removed: one is added once, and ignores commits while stopped.
    if (!this.#listening) this.#lake.onCommit((e) => this.#committed(formatTableRef(e.table), e.snapshot.id));
    this.#listening = true;
    if (this.#config.pollMs > 0) this.#schedulePoll();
  }

  /** Stops reacting to commits, drops what is pending and waits for the build running. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    clearTimeout(this.#pollTimer);
    this.#timer = this.#pollTimer = undefined;
    this.#tables.clear();
    this.#models.clear();
    await this.#polling;
    await this.#building;
  }

  status(): TriggerStatus {
    const state = !this.#running ? 'off' : this.#building ? 'building' : this.#timer ? 'waiting' : 'idle';
    return {
      onCommit: true,
      debounceMs: this.#config.debounceMs,
      pollMs: this.#config.pollMs,
      state,
      pending: [...this.#tables, ...this.#models].sort(),
      lastBuild: this.#last ?? null,
    };
  }

  #committed(table: string, snapshotId: number): void {
    if (!this.#running) return;
    this.#seen.set(table, Math.max(this.#seen.get(table) ?? 0, snapshotId));
    const current = this.#builds.current;
    if (current?.selection.has(table)) {
      // The running build's own output: its downstream is built by it, except models it does not include.
      for (const d of current.graph.downstream(table)) if (!current.selection.has(d)) this.#models.add(d);
    } else {
      this.#tables.add(table);
    }
    if (!this.#building && this.#tables.size + this.#models.size > 0) this.#arm();
  }

  /** (Re)starts the debounce: the build starts `debounceMs` after the last commit. */
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#fire(), this.#config.debounceMs);
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const tables = [...this.#tables].sort();
    const models = [...this.#models];
    this.#tables.clear();
    this.#models.clear();
    this.#building = this.#build(tables, models).finally(() => {
      this.#building = undefined;
      // Commits during the build: one more build, after the debounce.
      if (this.#running && this.#tables.size + this.#models.size > 0) this.#arm();
    });
  }

  async #build(tables: readonly string[], models: readonly string[]): Promise<void> {
    const started: RunRecord = { startedAt: this.#lake.clock.now().toISOString(), outcome: 'running' };
    const what = `build after commits to ${[...tables, ...models].join(', ')}`;
    let record: RunRecord | undefined;
    try {
      const outcome = await this.#builds.run({
        pick: (graph) => {
          const picked = new Set(models.filter((m) => graph.models.has(m)));
          for (const t of tables) for (const d of graph.downstream(t)) picked.add(d);
          return graph.layers.flat().filter((m) => picked.has(m));
        },
        reason: { by: 'commit', tables: [...tables, ...models] },
      });
      if (!outcome) return; // no model reads what committed
      const failure = buildFailure(what, outcome);
      record = finishedBuild(started, this.#lake.clock.now(), outcome, failure);
      if (failure) this.#config.onError?.(failure, what);
      else if (outcome.results.some((r) => r.runId)) this.#config.onLog?.(`${what}: ${summary(record)}`);
    } catch (e) {
      record = failedRun(started, this.#lake.clock.now(), e);
      this.#config.onError?.(e, what);
    } finally {
      if (record) this.#last = record;
    }
  }

  #schedulePoll(): void {
    this.#pollTimer = setTimeout(() => {
      this.#polling = this.#poll().finally(() => {
        this.#polling = undefined;
        if (this.#running) this.#schedulePoll();
      });
    }, this.#config.pollMs);
    this.#pollTimer.unref();
  }

  /** Other processes' commits: tables whose current snapshot is newer than any seen. */
  async #poll(): Promise<void> {
    try {
      for (const t of await this.#lake.catalog.listTables()) {
        const name = formatTableRef(t);
        if (t.currentSnapshotId !== undefined && t.currentSnapshotId > (this.#seen.get(name) ?? this.#baseline)) this.#committed(name, t.currentSnapshotId);
      }
    } catch (e) {
      this.#config.onError?.(e, 'reading the catalog for commits');
    }
  }
}

/** `2 built, 1 fresh`. */
export function summary(record: RunRecord): string {
  const counts = new Map<string, number>();
  for (const s of Object.values(record.models ?? {})) counts.set(s, (counts.get(s) ?? 0) + 1);
  return counts.size ? [...counts].map(([s, n]) => `${n} ${s}`).join(', ') : 'nothing to build';
}

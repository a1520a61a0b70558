import { AsyncMutex, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { projectGraph, projectTimeColumns, runModels, type ModelGraph, type ModelResult } from '../models/index.js';

/** One build the scheduler asks for. */
export interface BuildRequest {
  /** The models to build, in build order, picked from the graph as loaded for this build. */
  readonly pick: (graph: ModelGraph) => readonly string[];
  readonly fullRefresh?: boolean;
  /** Why it builds (`{by: 'schedule', schedule}`, `{by: 'commit', tables}`): the details of its `models.run` audit event. */
  readonly reason: Readonly<Record<string, unknown>>;
}

/** What one build did: the models picked and each one's result (`runModels`). */
export interface BuildOutcome {
  readonly models: readonly string[];
  readonly results: readonly ModelResult[];
  /** Models whose build failed (their tables keep the previous snapshot). */
  readonly failed: readonly string[];
}

/** The build running now: the graph it was planned on and the models it builds. */
export interface CurrentBuild {
  readonly graph: ModelGraph;
  readonly selection: ReadonlySet<string>;
}

export interface ModelBuildsConfig {
  /** The project folder: models are read from `<dir>/models/` afresh for every build. */
  readonly projectDir: string;
  /** The sources' event-time columns (`sourceTimeColumns`); the models' `time` columns are added per build. */
  readonly timeColumns: ReadonlyMap<string, string>;
  /** Who builds: the runs' `by` and the audit events' actor. */
  readonly principal: Principal;
}

/**
 * The scheduler's model builds, one at a time in this process: a cron build
 * and a commit-triggered one never race for the same tables. Each model built
 * is a run in the ledger (`runModels`); a build that made runs is audited
 * (`models.run`: its reason — schedule or committed tables — and run ids).
 */
export class ModelBuilds {
  readonly #lake: Lake;
  readonly #config: ModelBuildsConfig;
  readonly #mutex = new AsyncMutex();
  #current: CurrentBuild | undefined;
  #closed = false;

  constructor(lake: Lake, config: ModelBuildsConfig) {
    this.#lake = lake;
    this.#config = config;
  }

  /** The build running now, if any. */
  get current(): CurrentBuild | undefined {
    return this.#current;
  }

  /**
   * Builds what `request` picks once the builds before it are done; resolves
   * undefined when it picks nothing or the builds were closed meanwhile.
   * Throws when the models cannot be loaded (a syntax error, a cycle); a model
   * that fails to build is in the outcome's `failed`.
   */
  run(request: BuildRequest): Promise<BuildOutcome | undefined> {
    return this.#mutex.run(async () => {
      if (this.#closed) return undefined;
      const lake = this.#lake;
      // Inputs that are no table yet (a source never ingested) skip their models rather than stop every build.
      const graph = await projectGraph(lake, this.#config.projectDir, { missingInputs: 'skip' });
      const models = request.pick(graph);
      if (models.length === 0) return undefined;
      this.#current = { graph, selection: new Set(models) };
      try {
        const results = await runModels(lake, this.#config.principal, graph, {
          select: models,
          fullRefresh: request.fullRefresh === true,
          timeColumns: projectTimeColumns(graph, this.#config.timeColumns),
        });
        const failed = results.filter((r) => r.status === 'failed').map((r) => r.table);
        // A build that found every model fresh made no run and did nothing worth an audit event (a tick every minute would flood the log).
        const runs = results.flatMap((r) => (r.runId ? [r.runId] : []));
        if (runs.length) {
          await lake.catalog.audit({
            actor: this.#config.principal.name,
            action: 'models.run',
            target: models.join(','),
            details: { ...request.reason, fullRefresh: request.fullRefresh === true, runs, built: results.filter((r) => r.status === 'built').map((r) => r.table), failed },
          });
        }
        return { models, results, failed };
      } finally {
        this.#current = undefined;
      }
    });
  }

  /** Refuses builds not yet begun and waits for the one running. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#mutex.run(async () => undefined);
  }
}

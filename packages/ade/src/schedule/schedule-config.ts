/** What a schedule does when its cron fires. */
export type ScheduleAction =
  /** Build models as `ade run` does: `select` patterns (`model.order_f+`, `report.*`), or every model. */
  | { readonly kind: 'run'; readonly select?: readonly string[]; readonly fullRefresh: boolean }
  /** Ingest the new files of a source from its `location`, as `ade ingest <source>`. */
  | { readonly kind: 'ingest'; readonly source: string };

/** One entry of ade.yaml `schedules:`, validated at load (the cron pattern and time zone included). */
export interface ScheduleConfig {
  /** Unique; names the schedule in logs, the audit log and GET /v1/schedules. */
  readonly name: string;
  /** Five fields (minute hour day month weekday), or six with seconds first; `@hourly`, `@daily` and the like. */
  readonly cron: string;
  /** IANA time zone the pattern is read in (default UTC). */
  readonly timezone: string;
  readonly action: ScheduleAction;
}

/** ade.yaml `triggers:`: builds started by commits rather than by the clock. */
export interface TriggerConfig {
  /** Build the models downstream of a table when it commits (default true). */
  readonly onCommit: boolean;
  /** Quiet time after the last commit before the build starts: quick commits make one build. */
  readonly debounceMs: number;
  /**
   * How often the catalog is read for commits made by other processes (`ade
   * ingest`, `ade load`, another server), which do not reach this process's
   * commit listeners; 0 turns polling off.
   */
  readonly pollMs: number;
}

export const DEFAULT_TRIGGERS: TriggerConfig = { onCommit: true, debounceMs: 2_000, pollMs: 5_000 };

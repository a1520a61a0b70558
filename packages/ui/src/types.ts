/** The JSON shapes of the API routes the UI reads (packages/ade/src/api/*.ts); dates arrive as ISO strings. */
export type Role = 'viewer' | 'analyst' | 'engineer' | 'admin';
export type Row = Record<string, unknown>;

export interface TableSummary {
  readonly table: string;
  readonly kind: string;
  readonly description?: string;
  readonly owner?: string;
  readonly tags?: readonly string[];
  readonly snapshotId: number | null;
}

export interface TableDetail {
  readonly table: string;
  readonly kind: string;
  readonly description?: string;
  readonly owner?: string;
  readonly tags?: readonly string[];
  readonly columns: readonly { name: string; type: string; nullable: boolean; privacy?: string; doc?: string }[];
  readonly rows: number;
  readonly snapshots: readonly { id: number; operation: string; committedAt: string; committer?: string; summary?: Record<string, unknown> }[];
}

export interface ColumnProfile {
  readonly name: string;
  readonly type?: string;
  readonly privacy?: string;
  readonly nulls: number;
  readonly nullRatio?: number;
  readonly distinct?: number;
  readonly min?: unknown;
  readonly max?: unknown;
  readonly mean?: number;
  readonly quantiles?: { p5: unknown; p25: unknown; p50: unknown; p75: unknown; p95: unknown };
  readonly top?: readonly { value: unknown; count: number }[];
}

export interface TableProfile {
  readonly table: string;
  readonly rows: number;
  readonly columns: readonly ColumnProfile[];
}

export interface Lineage {
  readonly table: string;
  readonly model: { file: string; kind: string; inputs: string[] } | null;
  readonly upstream: readonly string[];
  readonly downstream: readonly string[];
  /** Direct reads among the table and its up- and downstream, `[from, to]`. */
  readonly edges?: readonly (readonly [string, string])[];
}

export interface CheckResult {
  readonly id: number;
  readonly checkId: string;
  readonly table: string;
  readonly check: string;
  readonly severity: 'error' | 'warn';
  readonly status: 'pass' | 'fail' | 'error' | 'skipped';
  readonly snapshotId?: number;
  readonly stagedId?: string;
  readonly batchId?: string;
  readonly observed?: unknown;
  readonly expected?: unknown;
  readonly failing?: number;
  readonly message: string;
  readonly checkedAt: string;
}

export interface SearchHit {
  readonly key: string;
  readonly kind: string;
  readonly zone: string;
  readonly table: string;
  readonly title: string;
  readonly snippet: string;
  readonly score: number;
}

export interface Run {
  readonly id: string;
  readonly kind: string;
  readonly target: string;
  readonly state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly attempts: number;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly error?: string;
  readonly info: Record<string, unknown>;
}

export interface ExperimentSummary {
  readonly key: string;
  readonly status: string;
  readonly hypothesis: string | null;
  readonly owner: string | null;
  readonly variants: readonly ({ key?: string; name?: string; weight?: number } | string)[];
  readonly metrics: readonly unknown[];
  readonly lastAnalysis: string | null;
}

type Interval = readonly [number | null, number | null];
export interface Comparison {
  readonly variant: string;
  readonly frequentist: { absolute: { estimate: number; ci: Interval; pValue: number }; relative: { estimate: number; ci: Interval; pValue: number } | null };
  readonly bayesian: { absolute: { chanceToWin: number }; relative: { chanceToWin: number } | null };
  readonly adjustedPValue: number;
}
export interface MetricAnalysis {
  readonly metric: string;
  readonly type: string;
  readonly role: string;
  readonly higherIsBetter: boolean;
  readonly variants: readonly { variant: string; n: number; estimate: number }[];
  readonly comparisons: readonly Comparison[];
  readonly power?: { mdeAbsolute: number; mdeRelative: number | null; unitsPerVariantForMde?: number };
  readonly error?: { code: string; message: string; hint?: string };
}
export interface ExperimentAnalysis {
  readonly experiment: string;
  readonly asOf: string;
  readonly control: string;
  readonly units: readonly { variant: string; units: number }[];
  readonly multipleExposures: number;
  readonly srm: { chiSquare: number; pValue: number; mismatch: boolean; threshold: number; expected: number[] } | null;
  readonly correction: string;
  readonly metrics: readonly MetricAnalysis[];
}
export interface ExperimentDetail {
  readonly experiment: { key: string; status?: string; hypothesis?: string; owner?: string; [k: string]: unknown };
  readonly analyses: readonly { id: string; asOf: string; computedAt: string; computedBy: string }[];
  readonly latest: ExperimentAnalysis | null;
}

/** One as-of time of GET /v1/experiments/<key>/timeline. */
export interface TimelinePoint {
  readonly asOf: string;
  readonly units: readonly { variant: string; units: number }[];
  readonly srmPValue: number | null;
  readonly metrics: readonly { metric: string; role: string; variant: string; scale: 'relative' | 'absolute'; effect: number; ciLow: number; ciHigh: number; adjustedPValue: number; chanceToWin: number | null }[];
}

/** GET /v1/tables/<t>/profile/history. */
export interface ProfileHistory {
  readonly table: string;
  readonly points: readonly { snapshotId: number; profiledAt: string; rows: number; columns: readonly { name: string; nulls: number; nullRatio: number }[] }[];
}

/** GET /v1/quality/staged. */
export interface StagedWrite {
  readonly id: string;
  readonly table: string;
  readonly operation: string;
  readonly state: string;
  readonly batchId: string;
  readonly reason: string;
  readonly committer: string;
  readonly createdAt: string;
  readonly files: number;
  readonly rows: number;
}

/** GET /v1/alerts. */
export interface AlertInfo {
  readonly id: string;
  readonly checkId: string;
  readonly table: string;
  readonly state: 'open' | 'closed';
  readonly openedAt: string;
  readonly closedAt?: string;
}

export interface ModelSummary {
  readonly name: string;
  readonly versions: number;
  readonly aliases: Record<string, number>;
  readonly latest: { version: number; task: string; target: string; metric: string; cvScore: number | null; table: string; createdAt: string };
}
export interface ModelDetail {
  readonly model: string;
  readonly version: number;
  readonly manifest: {
    task: string;
    target: string;
    metric: string;
    cvScore?: number;
    inputs: readonly { name: string; type: string }[];
    leaderboard: readonly { family: string; params: Record<string, unknown>; cvScore?: number; cvStd?: number; fitSeconds?: number }[];
    training: { table: string; rows: number };
  };
  readonly versions: readonly { version: number; aliases: readonly string[]; metric: string; cvScore: number | null; createdAt: string; createdBy: string }[];
  readonly aliases: readonly { alias: string; version: number; updatedAt: string; updatedBy: string }[];
}

/** A chart over a result: which columns go where. Saved with a named query. */
export interface ChartSpec {
  readonly type: 'bar' | 'line' | 'area' | 'scatter' | 'histogram';
  readonly x: string;
  /** The server allows several y columns; the UI draws the first. */
  readonly y?: string | readonly string[];
  readonly series?: string;
}

export interface SavedQuery {
  readonly name: string;
  readonly sql: string;
  readonly title?: string;
  readonly chart?: ChartSpec | null;
}

export interface DashboardTile {
  readonly query: string;
  readonly title?: string;
  readonly chart?: ChartSpec | null;
  readonly w?: number;
  readonly h?: number;
}
/** GET /v1/dashboards/:name (a `dashboards/<name>.yaml` in the project). */
export interface Dashboard {
  readonly name?: string;
  readonly title?: string;
  readonly description?: unknown;
  readonly dateRange?: unknown;
  readonly tiles: readonly DashboardTile[];
}

import type { TableRef } from '../kernel/index.js';

export type ExperimentStatus = 'draft' | 'running' | 'stopped';
export const EXPERIMENT_STATUSES: readonly ExperimentStatus[] = ['draft', 'running', 'stopped'];

export type MetricType = 'binomial' | 'mean' | 'ratio' | 'quantile';
export const METRIC_TYPES: readonly MetricType[] = ['binomial', 'mean', 'ratio', 'quantile'];

/** Where per-unit values of a metric come from: rows of a lake table, attributed to a unit by a column. */
export interface MetricSource {
  readonly table: TableRef;
  /** Column naming the unit (compared as text with the exposures' unit). */
  readonly unit: string;
  /** Column with the row's time: only rows inside the conversion window count. */
  readonly time: string;
  /** SQL expression summed per unit (binomial: a row counts when the expression is true or `where` holds; default 1). */
  readonly value: string;
  /** SQL condition on the table's rows. */
  readonly where?: string;
}

/**
 * A metric, defined in SQL over lake tables (ade.yaml `metrics:`). Per unit:
 * binomial — 1 if any qualifying row in the window; mean — the sum of
 * `value` in the window (0 without rows); ratio — Σnumerator / Σdenominator
 * over units (delta method); quantile — the `quantile` of the per-unit sums.
 */
export interface MetricConfig {
  readonly name: string;
  readonly type: MetricType;
  readonly description?: string;
  /** binomial, mean, quantile: the rows. */
  readonly source?: MetricSource;
  /** ratio: numerator and denominator rows. */
  readonly numerator?: MetricSource;
  readonly denominator?: MetricSource;
  /** quantile: which one, in (0, 1). */
  readonly quantile?: number;
  /** Conversion window from each unit's first exposure (ms); undefined: until the analysis' as-of time. */
  readonly windowMs?: number;
  /** CUPED: the same per-unit value over this long before first exposure is the covariate (ms); undefined: none. */
  readonly covariateMs?: number;
  /** Which way is better. */
  readonly higherIsBetter: boolean;
}

export interface VariantConfig {
  readonly name: string;
  readonly weight: number;
}

/**
 * Which tool wrote an exposure table, and so how its rows read
 * (exposure-rows-sql.ts): `ade` — a unit, a variant name and a time per row
 * (the SDK's `Experiment Viewed` events); `firebase` — a GA4 BigQuery export's
 * events, the variant index in user property `firebase_exp_<id>`;
 * `growthbook` — `experiment_viewed` rows of GrowthBook's tracking callback;
 * `optimizely` — Enriched Event Export decisions.
 */
export type ExposureFormat = 'ade' | 'firebase' | 'growthbook' | 'optimizely';
export const EXPOSURE_FORMATS: readonly ExposureFormat[] = ['ade', 'firebase', 'growthbook', 'optimizely'];

/** Where an experiment's exposures are: one row per exposure event. Column names default by format (parse-experiments.ts). */
export interface ExposureSource {
  /** Undefined: `ade`. */
  readonly format?: ExposureFormat;
  readonly table: TableRef;
  readonly unit: string;
  /** Column holding the variant (firebase: the user-properties list holding `firebase_exp_<id>`). */
  readonly variant: string;
  /** Column with the exposure time (imported formats: a timestamp, ISO text, or epoch seconds, milliseconds or microseconds). */
  readonly time: string;
  /** Column holding the experiment key (rows of other experiments are ignored); undefined: the table holds only this experiment. */
  readonly key?: string;
  /** optimizely: boolean column marking holdback decisions, which are left out. */
  readonly holdback?: string;
  readonly where?: string;
}

/** How an experiment is named in the tool that ran it (ade.yaml `import:`). */
export interface ExperimentImport {
  /** The tool's experiment id: Firebase's experiment number, GrowthBook's experiment key, Optimizely's experiment id (required for those formats; `ade`: the value of the key column, default the experiment's key). */
  readonly id?: string;
  /** The tool's variant id → ade variant name; undefined: by index (`0` is the first variant; growthbook also by name). */
  readonly variants?: Readonly<Record<string, string>>;
}

/** An A/B/n experiment (ade.yaml `experiments:`). */
export interface ExperimentConfig {
  readonly key: string;
  readonly hypothesis?: string;
  readonly owner?: string;
  readonly status: ExperimentStatus;
  readonly variants: readonly VariantConfig[];
  /** Share of eligible units in the experiment, [0, 1]. */
  readonly coverage: number;
  /** Hash seed (default: the key). */
  readonly seed: string;
  readonly namespace?: { readonly name: string; readonly range: readonly [number, number] };
  /** Attribute → accepted values. */
  readonly targeting: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  readonly start?: Date;
  readonly stop?: Date;
  readonly exposures: ExposureSource;
  /** The experiment in the tool its exposures come from; required for imported formats. */
  readonly import?: ExperimentImport;
  readonly metrics: { readonly primary: readonly string[]; readonly secondary: readonly string[]; readonly guardrails: readonly string[] };
  /** Minimum detectable effect (relative, e.g. 0.02 for 2%), for power. */
  readonly mde?: number;
  /** Significance level; default 0.05. */
  readonly alpha: number;
}

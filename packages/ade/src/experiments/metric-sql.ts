import { quoteIdent, quoteLiteral, type TableRef } from '../kernel/index.js';
import type { ExperimentConfig, ExposureSource, MetricConfig, MetricSource } from './experiment-config.js';

const table = (t: TableRef) => `${quoteIdent(t.zone)}.${quoteIdent(t.name)}`;
const ts = (d: Date) => `TIMESTAMP ${quoteLiteral(d.toISOString().replace('T', ' ').replace('Z', ''))}`;
const interval = (ms: number) => `INTERVAL ${Math.round(ms / 1000)} SECOND`;

/**
 * The units of an experiment: one row per unit with its variant and first
 * exposure before `asOf`. A unit exposed to more than one variant (a broken
 * integration, a changed weight) is left out and counted apart
 * (`multipleExposures`).
 */
export function unitsSql(experiment: ExperimentConfig, asOf: Date): string {
  const e: ExposureSource = experiment.exposures;
  const conditions = [
    `${quoteIdent(e.time)} < ${ts(asOf)}`,
    `${quoteIdent(e.unit)} IS NOT NULL`,
    `${quoteIdent(e.variant)} IS NOT NULL`,
    ...(e.key ? [`CAST(${quoteIdent(e.key)} AS VARCHAR) = ${quoteLiteral(experiment.key)}`] : []),
    ...(experiment.start ? [`${quoteIdent(e.time)} >= ${ts(experiment.start)}`] : []),
    ...(experiment.stop ? [`${quoteIdent(e.time)} < ${ts(experiment.stop)}`] : []),
    ...(e.where ? [`(${e.where})`] : []),
  ];
  return `SELECT CAST(${quoteIdent(e.unit)} AS VARCHAR) AS unit_id,
       min(CAST(${quoteIdent(e.variant)} AS VARCHAR)) AS variant,
       count(DISTINCT CAST(${quoteIdent(e.variant)} AS VARCHAR)) AS variants,
       CAST(min(${quoteIdent(e.time)}) AS TIMESTAMP) AS exposed_at
  FROM ${table(e.table)}
 WHERE ${conditions.join('\n   AND ')}
 GROUP BY 1`;
}

/**
 * Per unit, the metric's value in the conversion window after its first
 * exposure (and, with `covariate`, the same value over that long before it:
 * CUPED's pre-exposure covariate). One grouped scan of the source table,
 * joined to the units; units without rows get 0.
 */
function perUnit(source: MetricSource, metric: MetricConfig, asOf: Date, binomial: boolean): string {
  const t = `_m.${quoteIdent(source.time)}`;
  const end = metric.windowMs === undefined ? ts(asOf) : `least(u.exposed_at + ${interval(metric.windowMs)}, ${ts(asOf)})`;
  const inWindow = `${t} >= u.exposed_at AND ${t} < ${end}`;
  const value = binomial ? `CASE WHEN count(*) FILTER (WHERE ${inWindow}) > 0 THEN 1 ELSE 0 END` : `coalesce(sum(CAST((${source.value}) AS DOUBLE)) FILTER (WHERE ${inWindow}), 0)`;
  const pre = metric.covariateMs === undefined ? undefined : `${t} >= u.exposed_at - ${interval(metric.covariateMs)} AND ${t} < u.exposed_at`;
  const covariate = pre === undefined ? 'CAST(NULL AS DOUBLE)' : binomial ? `CASE WHEN count(*) FILTER (WHERE ${pre}) > 0 THEN 1 ELSE 0 END` : `coalesce(sum(CAST((${source.value}) AS DOUBLE)) FILTER (WHERE ${pre}), 0)`;
  const where = [`${quoteIdent(source.time)} < ${ts(asOf)}`, ...(source.where ? [`(${source.where})`] : [])].join(' AND ');
  return `SELECT u.unit_id, u.variant, CAST(${value} AS DOUBLE) AS y, CAST(${covariate} AS DOUBLE) AS x
  FROM units AS u
  LEFT JOIN (SELECT * FROM ${table(source.table)} WHERE ${where}) AS _m ON CAST(_m.${quoteIdent(source.unit)} AS VARCHAR) = u.unit_id
 GROUP BY u.unit_id, u.variant`;
}

/** Per variant: units, and the sums the stats engine needs. Everything is aggregated in DuckDB; no per-unit row leaves it. */
export interface VariantSums {
  readonly variant: string;
  readonly n: number;
  /** mean/binomial: Σy, Σy²; with a covariate Σx, Σx², Σxy. ratio: y is the numerator, x the denominator. */
  readonly sumY: number;
  readonly sumY2: number;
  readonly sumX: number | null;
  readonly sumX2: number | null;
  readonly sumXY: number | null;
  /** quantile: the order statistics at the ranks `quantileRanks` names (null when the variant has too few units). */
  readonly quantile?: { readonly estimate: number | null; readonly lower: number | null; readonly upper: number | null };
}

/** z of a two-sided 95% interval, for the order-statistic bounds of quantile metrics. */
const Z95 = 1.959963984540054;

/**
 * One SELECT giving a metric's `VariantSums` per variant for an experiment
 * as of a time: units from the exposures, per-unit values in DuckDB, then
 * per-variant n, Σ, Σ² and cross products (CUPED, ratios) — or quantiles.
 */
export function metricSumsSql(experiment: ExperimentConfig, metric: MetricConfig, asOf: Date): string {
  const units = `units AS (SELECT unit_id, variant, exposed_at FROM (${unitsSql(experiment, asOf)}) WHERE variants = 1)`;
  if (metric.type === 'ratio') {
    const num = perUnit(metric.numerator!, { ...metric, covariateMs: undefined }, asOf, false);
    const den = perUnit(metric.denominator!, { ...metric, covariateMs: undefined }, asOf, false);
    return `WITH ${units},
num AS (${num}),
den AS (${den})
SELECT num.variant, count(*) AS n, sum(num.y) AS sum_y, sum(num.y * num.y) AS sum_y2,
       sum(den.y) AS sum_x, sum(den.y * den.y) AS sum_x2, sum(num.y * den.y) AS sum_xy
  FROM num JOIN den USING (unit_id)
 GROUP BY num.variant ORDER BY num.variant`;
  }
  const values = perUnit(metric.source!, metric, asOf, metric.type === 'binomial');
  if (metric.type === 'quantile') {
    const q = metric.quantile!;
    // The order statistics stats/quantile.ts works from (see quantileRanks): rank ⌈n·q⌉, and n·q ∓ z·√(n·q·(1−q)).
    const half = `${Z95} * sqrt(n * ${q} * ${1 - q})`;
    return `WITH ${units},
v AS (${values}),
r AS (SELECT variant, y, row_number() OVER (PARTITION BY variant ORDER BY y) AS rk, count(*) OVER (PARTITION BY variant) AS n FROM v)
SELECT variant, any_value(n) AS n, sum(y) AS sum_y, sum(y * y) AS sum_y2, NULL AS sum_x, NULL AS sum_x2, NULL AS sum_xy,
       max(y) FILTER (WHERE rk = greatest(1, ceil(n * ${q}))) AS q_estimate,
       max(y) FILTER (WHERE rk = floor(n * ${q} - ${half})) AS q_lower,
       max(y) FILTER (WHERE rk = ceil(n * ${q} + ${half})) AS q_upper
  FROM r GROUP BY variant ORDER BY variant`;
  }
  return `WITH ${units},
v AS (${values})
SELECT variant, count(*) AS n, sum(y) AS sum_y, sum(y * y) AS sum_y2, sum(x) AS sum_x, sum(x * x) AS sum_x2, sum(x * y) AS sum_xy
  FROM v GROUP BY variant ORDER BY variant`;
}

/** Units per variant (for the sample-ratio check) and units seen in more than one variant. */
export function exposureCountsSql(experiment: ExperimentConfig, asOf: Date): string {
  return `SELECT CASE WHEN variants = 1 THEN variant END AS variant, count(*) AS units, min(exposed_at) AS first_exposure, max(exposed_at) AS last_exposure
  FROM (${unitsSql(experiment, asOf)}) GROUP BY 1 ORDER BY 1 NULLS LAST`;
}

/** A row of `metricSumsSql`'s result as `VariantSums`. */
export function toVariantSums(row: Record<string, unknown>): VariantSums {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    variant: String(row.variant),
    n: Number(row.n),
    sumY: Number(row.sum_y ?? 0),
    sumY2: Number(row.sum_y2 ?? 0),
    sumX: n(row.sum_x),
    sumX2: n(row.sum_x2),
    sumXY: n(row.sum_xy),
    ...(row.q_estimate !== undefined ? { quantile: { estimate: n(row.q_estimate), lower: n(row.q_lower), upper: n(row.q_upper) } } : {}),
  };
}

import { quoteIdent, quoteLiteral, type TableRef } from '../kernel/index.js';
import type { ExperimentConfig, MetricConfig, MetricSource } from './experiment-config.js';
import { exposureRowsSql } from './exposure-rows-sql.js';

const table = (t: TableRef) => `${quoteIdent(t.zone)}.${quoteIdent(t.name)}`;
const ts = (d: Date) => `TIMESTAMP ${quoteLiteral(d.toISOString().replace('T', ' ').replace('Z', ''))}`;
const interval = (ms: number) => `INTERVAL ${Math.round(ms / 1000)} SECOND`;

/**
 * The units of an experiment: one row per unit with its variant and first
 * exposure before `asOf`. A unit exposed to more than one variant (a broken
 * integration, a changed weight) has `single_variant` false: it is left out
 * and counted apart (`multipleExposures`). (The variants' hashes' min =
 * max rather than count(DISTINCT …): the same answer without a set per
 * unit, and integers compared rather than strings.)
 */
export function unitsSql(experiment: ExperimentConfig, asOf: Date): string {
  // The rows come filtered and mapped to ade's variant names, whatever tool wrote them (exposure-rows-sql.ts).
  return `SELECT unit_id,
       any_value(variant) AS variant,
       min(hash(variant)) = max(hash(variant)) AS single_variant,
       min(exposed_at) AS exposed_at
  FROM (${exposureRowsSql(experiment, asOf)}) AS _exposures
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
  const units = `units AS (SELECT unit_id, variant, exposed_at FROM (${unitsSql(experiment, asOf)}) WHERE single_variant)`;
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
  return `SELECT CASE WHEN single_variant THEN variant END AS variant, count(*) AS units, min(exposed_at) AS first_exposure, max(exposed_at) AS last_exposure
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

/**
 * A per-unit value of a metric, as an aggregate over the rows of its
 * source joined to the units (`u`, `_m`): in the conversion window, or
 * (`pre`) over the covariate's span before first exposure. The source's
 * `where` is part of the filter, so metrics on the same table share a scan.
 */
function unitAggregate(source: MetricSource, metric: MetricConfig, asOf: Date, binomial: boolean, pre: boolean): string {
  const t = `_m.${quoteIdent(source.time)}`;
  const end = metric.windowMs === undefined ? ts(asOf) : `least(u.exposed_at + ${interval(metric.windowMs)}, ${ts(asOf)})`;
  const span = pre ? `${t} >= u.exposed_at - ${interval(metric.covariateMs!)} AND ${t} < u.exposed_at` : `${t} >= u.exposed_at AND ${t} < ${end}`;
  const filter = source.where ? `${span} AND (${source.where})` : span;
  return binomial ? `CASE WHEN count(*) FILTER (WHERE ${filter}) > 0 THEN 1 ELSE 0 END` : `coalesce(sum(CAST((${source.value}) AS DOUBLE)) FILTER (WHERE ${filter}), 0)`;
}

/** What `analysisSql` gives: units per variant, and each metric's `VariantSums` (in the order the metrics were given). */
export interface AnalysisSums {
  readonly units: readonly { readonly variant: string; readonly units: number }[];
  /** Units seen in more than one variant. */
  readonly multipleExposures: number;
  readonly metrics: readonly (readonly VariantSums[])[];
}

/**
 * One SELECT for a whole analysis: the units from one scan of the exposures
 * (materialized once), then one join and per-unit grouping per source table
 * — every metric reading that table, unit and time column shares it —, one
 * wide per-unit table, and per variant n, Σ, Σ² and cross products for every
 * metric in one pass (quantiles from their order statistics). The same sums
 * as `exposureCountsSql` and `metricSumsSql` per metric, with the exposures
 * read once instead of once per metric. A bad metric fails the whole query:
 * run the metrics one by one then, to know which. Read rows with `parse`.
 */
export function analysisSql(experiment: ExperimentConfig, metrics: readonly MetricConfig[], asOf: Date): { readonly sql: string; parse(rows: readonly Record<string, unknown>[]): AnalysisSums } {
  const groups = new Map<string, { source: MetricSource; columns: string[]; lookbackMs: number }>();
  /** A per-unit column of a source's group: `g<i>.c<j>`; `lookbackMs`: how long before first exposure its rows count (a covariate). */
  const column = (source: MetricSource, aggregate: string, lookbackMs = 0) => {
    const key = JSON.stringify([source.table, source.unit, source.time]);
    const group = groups.get(key) ?? { source, columns: [], lookbackMs: 0 };
    groups.set(key, group);
    group.lookbackMs = Math.max(group.lookbackMs, lookbackMs);
    const j = group.columns.push(aggregate) - 1;
    return `g${[...groups.keys()].indexOf(key)}.c${j}`;
  };
  const slots = metrics.map((m) => {
    if (m.type === 'ratio') {
      const plain = { ...m, covariateMs: undefined };
      return { y: column(m.numerator!, unitAggregate(m.numerator!, plain, asOf, false, false)), x: column(m.denominator!, unitAggregate(m.denominator!, plain, asOf, false, false)) };
    }
    const binomial = m.type === 'binomial';
    const y = column(m.source!, unitAggregate(m.source!, m, asOf, binomial, false));
    return { y, x: m.type !== 'quantile' && m.covariateMs !== undefined ? column(m.source!, unitAggregate(m.source!, m, asOf, binomial, true), m.covariateMs) : undefined };
  });
  // Each source's rows joined to the units (only rows from the first exposure, less any covariate's span, to as-of can count), grouped by an integer unit number.
  const groupCtes = [...groups.values()].map(({ source, columns, lookbackMs }, i) => {
    const t = quoteIdent(source.time);
    const from = `(SELECT min(exposed_at) FROM units)${lookbackMs ? ` - ${interval(lookbackMs)}` : ''}`;
    return `g${i} AS (SELECT u.uid, ${columns.map((c, j) => `${c} AS c${j}`).join(', ')}
  FROM units AS u
  JOIN (SELECT * FROM ${table(source.table)} WHERE ${t} < ${ts(asOf)} AND ${t} >= ${from}) AS _m ON CAST(_m.${quoteIdent(source.unit)} AS VARCHAR) = u.unit_id
 GROUP BY u.uid)`;
  });
  const perUnitColumns = slots.flatMap((s, i) => [`CAST(coalesce(${s.y}, 0) AS DOUBLE) AS y${i}`, ...(s.x ? [`CAST(coalesce(${s.x}, 0) AS DOUBLE) AS x${i}`] : [])]);
  const joins = [...groups.keys()].map((_, i) => `LEFT JOIN g${i} ON g${i}.uid = u.uid`);
  const sums = slots.flatMap((s, i) => [
    `sum(y${i}) AS s${i}_y`,
    `sum(y${i} * y${i}) AS s${i}_y2`,
    ...(s.x ? [`sum(x${i}) AS s${i}_x`, `sum(x${i} * x${i}) AS s${i}_x2`, `sum(x${i} * y${i}) AS s${i}_xy`] : []),
  ]);
  const quantiles = metrics.flatMap((m, i) => {
    if (m.type !== 'quantile') return [];
    // The ranks of stats/quantile.ts's quantileRanks, in doubles as it computes them; the values from each variant's sorted list.
    const d = (x: number) => `CAST(${x} AS DOUBLE)`;
    const nq = `n * ${d(m.quantile!)}`;
    const half = `${d(Z95)} * sqrt(${nq} * ${d(1 - m.quantile!)})`;
    const at = (rank: string) => `CASE WHEN ${rank} BETWEEN 1 AND n THEN ys[CAST(${rank} AS BIGINT)] END`;
    return [
      `q${i} AS (SELECT variant, ${at(`greatest(1, ceil(${nq}))`)} AS e, ${at(`floor(${nq} - ${half})`)} AS l, ${at(`ceil(${nq} + ${half})`)} AS h
  FROM (SELECT variant, CAST(count(*) AS DOUBLE) AS n, list_sort(list(y${i})) AS ys FROM per_unit GROUP BY variant))`,
    ];
  });
  const quantileIndexes = metrics.flatMap((m, i) => (m.type === 'quantile' ? [i] : []));
  const perUnit = `per_unit AS MATERIALIZED (SELECT u.variant, ${perUnitColumns.join(', ')}
  FROM units AS u
  ${joins.join('\n  ')})`;
  const perVariant = `sums AS (SELECT variant, count(*) AS n, ${sums.join(', ')} FROM per_unit GROUP BY variant)`;
  const sql = `WITH units_all AS MATERIALIZED (SELECT row_number() OVER () AS uid, * FROM (${unitsSql(experiment, asOf)})),
units AS (SELECT uid, unit_id, variant, exposed_at FROM units_all WHERE single_variant),
${[...groupCtes, perUnit, perVariant, ...quantiles].join(',\n')}
SELECT m.multiple, sums.*${quantileIndexes.map((i) => `, q${i}.e AS q${i}_e, q${i}.l AS q${i}_l, q${i}.h AS q${i}_h`).join('')}
  FROM (SELECT count(*) AS multiple FROM units_all WHERE NOT single_variant) AS m
  LEFT JOIN sums ON true
  ${quantileIndexes.map((i) => `LEFT JOIN q${i} ON q${i}.variant = sums.variant`).join('\n  ')}
 ORDER BY sums.variant`;
  const parse = (rows: readonly Record<string, unknown>[]): AnalysisSums => {
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    const variants = rows.filter((r) => r.variant !== null && r.variant !== undefined);
    return {
      units: variants.map((r) => ({ variant: String(r.variant), units: Number(r.n) })),
      multipleExposures: Number(rows[0]?.multiple ?? 0),
      metrics: slots.map((s, i) =>
        variants.map((r) => ({
          variant: String(r.variant),
          n: Number(r.n),
          sumY: Number(r[`s${i}_y`] ?? 0),
          sumY2: Number(r[`s${i}_y2`] ?? 0),
          sumX: s.x ? num(r[`s${i}_x`]) : null,
          sumX2: s.x ? num(r[`s${i}_x2`]) : null,
          sumXY: s.x ? num(r[`s${i}_xy`]) : null,
          ...(metrics[i]!.type === 'quantile' ? { quantile: { estimate: num(r[`q${i}_e`]), lower: num(r[`q${i}_l`]), upper: num(r[`q${i}_h`]) } } : {}),
        })),
      ),
    };
  };
  return { sql, parse };
}

import { quoteIdent, quoteLiteral, type TableRef } from '../kernel/index.js';
import type { ExperimentConfig, ExposureSource } from './experiment-config.js';

const table = (t: TableRef) => `${quoteIdent(t.zone)}.${quoteIdent(t.name)}`;
const ts = (d: Date) => `TIMESTAMP ${quoteLiteral(d.toISOString().replace('T', ' ').replace('Z', ''))}`;

/** The GA4 export's `user_properties` entries, as text whatever the column holds (a LIST of STRUCTs, or JSON text as ingest lands lists). */
const FIREBASE_PROPERTIES = `'[{"key":"VARCHAR","value":{"string_value":"VARCHAR","int_value":"VARCHAR","set_timestamp_micros":"VARCHAR"}}]'`;

/**
 * An experiment's exposure rows, one per exposure event, as a relation of
 * `unit_id VARCHAR, variant VARCHAR, exposed_at TIMESTAMP`: only this
 * experiment's rows (its key, or its `import.id` in the tool's table),
 * exposed from `start` to before `stop` and `asOf`, with the exposures'
 * `where`, a unit and a variant — the tool's variant id mapped to the ade
 * variant name (rows whose id maps to none are left out:
 * `unmappedExposuresSql` counts them). For the `ade` format without a
 * variant map it is the table's rows as they are.
 */
export function exposureRowsSql(experiment: ExperimentConfig, asOf: Date): string {
  const e = experiment.exposures;
  if ((e.format ?? 'ade') === 'ade' && !experiment.import?.variants) {
    const conditions = [
      `${quoteIdent(e.time)} < ${ts(asOf)}`,
      `${quoteIdent(e.unit)} IS NOT NULL`,
      `${quoteIdent(e.variant)} IS NOT NULL`,
      ...(e.key ? [`CAST(${quoteIdent(e.key)} AS VARCHAR) = ${quoteLiteral(experiment.import?.id ?? experiment.key)}`] : []),
      ...(experiment.start ? [`${quoteIdent(e.time)} >= ${ts(experiment.start)}`] : []),
      ...(experiment.stop ? [`${quoteIdent(e.time)} < ${ts(experiment.stop)}`] : []),
      ...(e.where ? [`(${e.where})`] : []),
    ];
    return `SELECT CAST(${quoteIdent(e.unit)} AS VARCHAR) AS unit_id, CAST(${quoteIdent(e.variant)} AS VARCHAR) AS variant, CAST(${quoteIdent(e.time)} AS TIMESTAMP) AS exposed_at
  FROM ${table(e.table)}
 WHERE ${conditions.join('\n   AND ')}`;
  }
  return `SELECT unit_id, variant, exposed_at FROM (${candidatesSql(experiment, asOf)}) AS _x WHERE variant IS NOT NULL`;
}

/**
 * The exposure rows whose variant id maps to no variant of the experiment
 * (a variant added in the tool, a typo in `import.variants`): rows, units
 * and up to 10 of the ids (`unmapped_rows`, `unmapped_units`,
 * `variant_ids`), as of a time. Undefined when ids are not mapped (the
 * `ade` format without `import.variants`): every variant then counts.
 */
export function unmappedExposuresSql(experiment: ExperimentConfig, asOf: Date): string | undefined {
  if ((experiment.exposures.format ?? 'ade') === 'ade' && !experiment.import?.variants) return undefined;
  return `SELECT count(*) AS unmapped_rows, count(DISTINCT unit_id) AS unmapped_units, list_sort(list(DISTINCT variant_id))[1:10] AS variant_ids
  FROM (${candidatesSql(experiment, asOf)}) AS _x WHERE variant IS NULL`;
}

/** Every exposure row of the experiment in the window with a unit and a variant id: `unit_id`, `variant_id` (the tool's), `variant` (ade's, NULL when unmapped), `exposed_at`. */
function candidatesSql(experiment: ExperimentConfig, asOf: Date): string {
  const e = experiment.exposures;
  const conditions = [
    'unit_id IS NOT NULL',
    'variant_id IS NOT NULL',
    `exposed_at < ${ts(asOf)}`,
    ...(experiment.start ? [`exposed_at >= ${ts(experiment.start)}`] : []),
    ...(experiment.stop ? [`exposed_at < ${ts(experiment.stop)}`] : []),
  ];
  return `SELECT unit_id, variant_id, ${variantCase(experiment, 'variant_id')} AS variant, exposed_at
  FROM (SELECT unit_id, variant_id, ${anyTime('_t')} AS exposed_at FROM (${scanSql(experiment, e)}) AS _s) AS _e
 WHERE ${conditions.join('\n   AND ')}`;
}

/** The table's rows of this experiment as `unit_id`, `variant_id` and `_t` (the exposure time as text), per format. */
function scanSql(experiment: ExperimentConfig, e: ExposureSource): string {
  const id = experiment.import?.id ?? experiment.key;
  const where = e.where ? [`(${e.where})`] : [];
  const unit = `CAST(${quoteIdent(e.unit)} AS VARCHAR) AS unit_id`;
  if (e.format === 'firebase') {
    // Firebase A/B Testing sets user property firebase_exp_<n> to the variant index on every event of an exposed user; it was set at set_timestamp_micros.
    const property = id.startsWith('firebase_exp_') ? id : `firebase_exp_${id}`;
    const list = quoteIdent(e.variant);
    return `SELECT ${unit}, coalesce(_p.value.string_value, _p.value.int_value) AS variant_id, coalesce(_p.value.set_timestamp_micros, CAST(${quoteIdent(e.time)} AS VARCHAR)) AS _t
  FROM (SELECT *, list_filter(from_json(CAST(${list} AS JSON), ${FIREBASE_PROPERTIES}), p -> p.key = ${quoteLiteral(property)})[1] AS _p
          FROM ${table(e.table)}
         WHERE ${[`contains(CAST(${list} AS VARCHAR), ${quoteLiteral(property)})`, ...where].join(' AND ')}) AS _f`;
  }
  const conditions = [
    ...(e.key ? [`CAST(${quoteIdent(e.key)} AS VARCHAR) = ${quoteLiteral(id)}`] : []),
    ...(e.holdback ? [`NOT coalesce(TRY_CAST(${quoteIdent(e.holdback)} AS BOOLEAN), false)`] : []),
    ...where,
  ];
  return `SELECT ${unit}, CAST(${quoteIdent(e.variant)} AS VARCHAR) AS variant_id, CAST(${quoteIdent(e.time)} AS VARCHAR) AS _t
  FROM ${table(e.table)}${conditions.length ? `\n WHERE ${conditions.join(' AND ')}` : ''}`;
}

/**
 * The tool's variant id (text) as the ade variant name, NULL when it names
 * none: through `import.variants` when given; else `ade` ids are the names,
 * Firebase's are indexes (`0` the first variant), GrowthBook's are names or
 * else indexes (its SDK reports the variation's key, by default its index).
 */
function variantCase(experiment: ExperimentConfig, column: string): string {
  const names = experiment.variants.map((v) => v.name);
  const format = experiment.exposures.format ?? 'ade';
  const pairs: [string, string][] = experiment.import?.variants
    ? Object.entries(experiment.import.variants)
    : [
        ...(format === 'ade' || format === 'growthbook' ? names.map((n): [string, string] => [n, n]) : []),
        ...(format === 'firebase' || format === 'growthbook' ? names.map((n, i): [string, string] => [String(i), n]).filter(([i]) => format !== 'growthbook' || !names.includes(i)) : []),
      ];
  if (pairs.length === 0) return 'CAST(NULL AS VARCHAR)';
  return `CASE ${column} ${pairs.map(([from, to]) => `WHEN ${quoteLiteral(from)} THEN ${quoteLiteral(to)}`).join(' ')} END`;
}

/**
 * A time given as text — a timestamp with or without a UTC offset, or an
 * epoch number — as a UTC TIMESTAMP: numbers count seconds, milliseconds or
 * microseconds by their size (GA4 and Firebase use microseconds, Optimizely
 * milliseconds); text with an offset is converted to UTC; anything else is
 * NULL. Exports land these as numbers, digit strings or timestamps, so the
 * column's type cannot be assumed.
 */
function anyTime(text: string): string {
  const n = `TRY_CAST(${text} AS DOUBLE)`;
  const micros = `CASE WHEN abs(${n}) >= 1e14 THEN ${n} WHEN abs(${n}) >= 1e11 THEN ${n} * 1e3 ELSE ${n} * 1e6 END`;
  const offset = `regexp_matches(${text}, ':\\d\\d(\\.\\d+)?\\s*([Zz]|[+-]\\d\\d(:?\\d\\d)?)$')`;
  return `(CASE WHEN ${n} IS NULL THEN (CASE WHEN ${offset} THEN timezone('UTC', TRY_CAST(${text} AS TIMESTAMPTZ)) ELSE TRY_CAST(${text} AS TIMESTAMP) END)
        WHEN isfinite(${n}) AND abs(${n}) < 1e17 THEN make_timestamp(CAST(round(${micros}) AS BIGINT)) END)`;
}

import { join } from 'node:path';
import type { Column } from '../catalog/index.js';
import { formatTableRef, quoteIdent, type Principal, type TableRef } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';

/** Distinct counts are exact up to this many rows, HyperLogLog estimates above. */
export const EXACT_DISTINCT_ROWS = 1_000_000;
/** Top values kept per column. */
export const TOP_VALUES = 5;

/** What one column of a snapshot holds. Values of personal and sensitive columns are never shown. */
export interface ColumnProfile {
  readonly name: string;
  readonly type: string;
  readonly privacy: Column['privacy'];
  readonly nulls: number;
  readonly nullRatio: number;
  readonly distinct: number;
  /** False when `distinct` is an estimate (more than EXACT_DISTINCT_ROWS rows). */
  readonly distinctExact: boolean;
  readonly min?: unknown;
  readonly max?: unknown;
  /** Numbers only. */
  readonly mean?: number;
  readonly stddev?: number;
  /** p5, p25, p50, p75, p95 — numbers, and times (as text). */
  readonly quantiles?: { readonly p5: unknown; readonly p25: unknown; readonly p50: unknown; readonly p75: unknown; readonly p95: unknown };
  /** Text only: shortest, mean and longest length in characters (also for personal columns: lengths reveal no value). */
  readonly lengths?: { readonly min: number; readonly mean: number; readonly max: number };
  /** Most frequent values with their counts, most frequent first (ties by value). */
  readonly top?: readonly { readonly value: unknown; readonly count: number }[];
}

export interface TableProfile {
  readonly table: string;
  readonly snapshotId: number | undefined;
  readonly rows: number;
  readonly columns: readonly ColumnProfile[];
  /** Scans of the table the profile took (one for the statistics, one per column with top values). */
  readonly scans: number;
  readonly seconds: number;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;
const TEMPORAL = /^(DATE|TIME|TIMESTAMP)/;
const TEXT = /^VARCHAR$/;
const NESTED = /[[\](]|^(STRUCT|MAP|LIST|UNION|BLOB)/;

/**
 * Profiles one snapshot of a table (the current one unless `snapshotId`),
 * read as `principal` may: row count, and per column nulls, distinct
 * (exact up to EXACT_DISTINCT_ROWS rows), min/max, mean/stddev,
 * quantiles, string lengths and top values — the statistics in one scan,
 * top values in one more per eligible column. Personal and sensitive columns
 * get counts and lengths only: a profile is metadata many may read.
 */
export async function profileTable(lake: Lake, principal: Principal, ref: TableRef, opts: { snapshotId?: number } = {}): Promise<TableProfile> {
  const started = performance.now();
  const pinned = await lake.pin(principal, ref, opts.snapshotId !== undefined ? { snapshotId: opts.snapshotId } : undefined);
  const name = formatTableRef(ref);
  const rows = pinned.files.reduce((n, f) => n + f.rows, 0);
  const exact = rows <= EXACT_DISTINCT_ROWS;
  if (pinned.snapshot === undefined) {
    return { table: name, snapshotId: undefined, rows: 0, columns: [], scans: 0, seconds: (performance.now() - started) / 1000 };
  }
  const session = await lake.session(principal, { snapshots: { [name]: pinned.snapshot.id }, forSql: name });
  const from = `${quoteIdent(ref.zone)}.${quoteIdent(ref.name)}`;
  try {
    const columns = pinned.schema.columns;
    const select = statsSelect(columns, exact);
    const stats = (await session.query(`SELECT ${select.join(', ')} FROM ${from}`)).rows[0] ?? {};
    let scans = 1;
    const out: ColumnProfile[] = [];
    for (const [i, c] of columns.entries()) {
      const hidden = c.privacy === 'personal' || c.privacy === 'sensitive';
      const profile = columnProfile(c, i, stats, rows, exact);
      const { distinct } = profile;
      const nonNull = rows - profile.nulls;
      // Top values: for columns whose values may be shown and that repeat (not an id with a distinct value per row).
      // (An estimate within HyperLogLog's error of the non-null count is a column of distinct values too.)
      const repeats = exact ? distinct < nonNull : distinct < nonNull * 0.9;
      if (!hidden && !NESTED.test(c.type) && nonNull > 0 && repeats) {
        const q = quoteIdent(c.name);
        const top = await session.query(
          `SELECT CAST(${q} AS VARCHAR) AS value, count(*) AS n FROM ${from} WHERE ${q} IS NOT NULL GROUP BY ${q} ORDER BY n DESC, value LIMIT ${TOP_VALUES}`,
        );
        scans++;
        out.push({ ...profile, top: top.rows.map((r) => ({ value: r.value, count: Number(r.n) })) });
      } else out.push(profile);
    }
    return { table: name, snapshotId: pinned.snapshot.id, rows, columns: out, scans, seconds: (performance.now() - started) / 1000 };
  } finally {
    await session.close();
  }
}

/** The statistics of every column, as one SELECT list (`c<i>_…` aliases). */
function statsSelect(columns: readonly Column[], exact: boolean): string[] {
  const select: string[] = ['count(*) AS "rows"'];
  columns.forEach((c, i) => {
    const q = quoteIdent(c.name);
    const hidden = c.privacy === 'personal' || c.privacy === 'sensitive';
    select.push(`count(${q}) AS "c${i}_n"`);
    if (!NESTED.test(c.type)) select.push(`${exact ? `count(DISTINCT ${q})` : `approx_count_distinct(${q})`} AS "c${i}_d"`);
    if (!hidden && (NUMERIC.test(c.type) || TEMPORAL.test(c.type) || TEXT.test(c.type))) {
      select.push(`CAST(min(${q}) AS VARCHAR) AS "c${i}_min"`, `CAST(max(${q}) AS VARCHAR) AS "c${i}_max"`);
    }
    if (!hidden && NUMERIC.test(c.type)) {
      select.push(`avg(CAST(${q} AS DOUBLE)) AS "c${i}_mean"`, `stddev_samp(CAST(${q} AS DOUBLE)) AS "c${i}_sd"`);
      select.push(`CAST(quantile_cont(CAST(${q} AS DOUBLE), [0.05, 0.25, 0.5, 0.75, 0.95]) AS VARCHAR[]) AS "c${i}_q"`);
    } else if (!hidden && TEMPORAL.test(c.type)) {
      select.push(`CAST(quantile_disc(${q}, [0.05, 0.25, 0.5, 0.75, 0.95]) AS VARCHAR[]) AS "c${i}_q"`);
    }
    if (TEXT.test(c.type)) select.push(`min(length(${q})) AS "c${i}_lmin"`, `avg(length(${q})) AS "c${i}_lmean"`, `max(length(${q})) AS "c${i}_lmax"`);
  });
  return select;
}

/** One column's profile from a row of `statsSelect`. */
function columnProfile(c: Column, i: number, stats: Record<string, unknown>, rows: number, exact: boolean): ColumnProfile {
  const nonNull = Number(stats[`c${i}_n`] ?? 0);
  const quantiles = stats[`c${i}_q`] as unknown[] | null | undefined;
  const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));
  return {
    name: c.name,
    type: c.type,
    privacy: c.privacy,
    nulls: rows - nonNull,
    nullRatio: rows === 0 ? 0 : (rows - nonNull) / rows,
    distinct: Number(stats[`c${i}_d`] ?? 0),
    distinctExact: exact,
    ...(stats[`c${i}_min`] != null ? { min: stats[`c${i}_min`], max: stats[`c${i}_max`] } : {}),
    ...(num(stats[`c${i}_mean`]) !== undefined ? { mean: num(stats[`c${i}_mean`])! } : {}),
    ...(num(stats[`c${i}_sd`]) !== undefined ? { stddev: num(stats[`c${i}_sd`])! } : {}),
    ...(Array.isArray(quantiles) && quantiles.length === 5
      ? { quantiles: { p5: quantiles[0], p25: quantiles[1], p50: quantiles[2], p75: quantiles[3], p95: quantiles[4] } }
      : {}),
    ...(stats[`c${i}_lmax`] != null ? { lengths: { min: Number(stats[`c${i}_lmin`]), mean: Number(stats[`c${i}_lmean`]), max: Number(stats[`c${i}_lmax`]) } } : {}),
  };
}

/** A day's profile: the statistics without top values (see profileDays). */
export interface DayProfile {
  readonly day: string;
  readonly rows: number;
  readonly columns: readonly ColumnProfile[];
}

/**
 * Profiles some days of a day-partitioned snapshot in one scan grouped by
 * day of `timeColumn` (no top values: those take a scan per column). Days are
 * what a commit wrote, so each day is profiled once, when it is built.
 */
export async function profileDays(
  lake: Lake,
  principal: Principal,
  ref: TableRef,
  opts: { snapshotId: number; days: readonly string[]; timeColumn: string },
): Promise<DayProfile[]> {
  if (opts.days.length === 0) return [];
  const pinned = await lake.pin(principal, ref, { snapshotId: opts.snapshotId });
  const wanted = new Set(opts.days);
  const files = pinned.files.filter((f) => f.partition !== undefined && wanted.has(f.partition));
  const rows = files.reduce((n, f) => n + f.rows, 0);
  const exact = rows <= EXACT_DISTINCT_ROWS;
  const binding = { ...(await lake.bind({ ...pinned, files })) };
  const allowed = [join(lake.store.localRoot(), ref.zone)];
  const session = await lake.engine.openSession({ principal, tables: [binding], allowedDirectories: allowed });
  try {
    const columns = pinned.schema.columns;
    const day = `CAST(CAST(${quoteIdent(opts.timeColumn)} AS DATE) AS VARCHAR)`;
    const result = await session.query(
      `SELECT ${day} AS "_day", ${statsSelect(columns, exact).join(', ')} FROM ${quoteIdent(ref.zone)}.${quoteIdent(ref.name)} GROUP BY 1 ORDER BY 1`,
    );
    return result.rows
      .filter((r) => r._day !== null && wanted.has(String(r._day)))
      .map((r) => {
        const n = Number(r.rows);
        return { day: String(r._day), rows: n, columns: columns.map((c, i) => columnProfile(c, i, r, n, exact)) };
      });
  } finally {
    await session.close();
  }
}

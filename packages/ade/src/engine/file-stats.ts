import { DuckDBTypeId, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import { quoteList } from '../kernel/index.js';
import { isoTimestamp } from './json-values.js';
import type { WrittenFile } from './types.js';

/** A result column with its DuckDB type object. */
export interface TypedColumn {
  readonly name: string;
  readonly type: DuckDBType;
}

/** Row count and per-column statistics of one Parquet file. */
export type FileStats = Pick<WrittenFile, 'rows' | 'columnStats'>;

/** How a column's Parquet min/max text is read back and compared. */
type StatKind = 'boolean' | 'integer' | 'number' | 'text' | 'date' | 'timestamp' | 'timestamptz';

const STAT_KINDS: ReadonlyMap<DuckDBTypeId, StatKind> = new Map([
  [DuckDBTypeId.BOOLEAN, 'boolean'],
  [DuckDBTypeId.TINYINT, 'integer'],
  [DuckDBTypeId.SMALLINT, 'integer'],
  [DuckDBTypeId.INTEGER, 'integer'],
  [DuckDBTypeId.BIGINT, 'integer'],
  [DuckDBTypeId.UTINYINT, 'integer'],
  [DuckDBTypeId.USMALLINT, 'integer'],
  [DuckDBTypeId.UINTEGER, 'integer'],
  [DuckDBTypeId.UBIGINT, 'integer'],
  [DuckDBTypeId.FLOAT, 'number'],
  [DuckDBTypeId.DOUBLE, 'number'],
  [DuckDBTypeId.DECIMAL, 'number'],
  [DuckDBTypeId.VARCHAR, 'text'],
  [DuckDBTypeId.UUID, 'text'],
  [DuckDBTypeId.TIME, 'text'],
  [DuckDBTypeId.DATE, 'date'],
  [DuckDBTypeId.TIMESTAMP, 'timestamp'],
  [DuckDBTypeId.TIMESTAMP_S, 'timestamp'],
  [DuckDBTypeId.TIMESTAMP_MS, 'timestamp'],
  [DuckDBTypeId.TIMESTAMP_NS, 'timestamp'],
  [DuckDBTypeId.TIMESTAMP_TZ, 'timestamptz'],
]);

const NESTED_TYPES: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.LIST,
  DuckDBTypeId.ARRAY,
  DuckDBTypeId.STRUCT,
  DuckDBTypeId.MAP,
  DuckDBTypeId.UNION,
  DuckDBTypeId.VARIANT,
]);

/** One side (min or max) of a column, folded over row groups. */
interface Bound {
  key: bigint | number | string | boolean | Buffer | undefined;
  text: string | undefined;
  /** False once a row group holding values has no exact bound. */
  exact: boolean;
}

/**
 * Reads rows, null counts and min/max of every flat column of `files` from
 * their Parquet footers with one `parquet_metadata` query (no data is read),
 * folding row groups per file here with typed comparisons. A min or max is
 * kept only when every row group that holds values has an exact one (DuckDB
 * truncates long strings and keeps no bounds for NaN), and is JSON-safe like
 * a query result. Nested columns get no entry, and a file without rows no
 * column entries.
 */
export async function readFileStats(
  connection: DuckDBConnection,
  files: readonly string[],
  columns: readonly TypedColumn[],
): Promise<Map<string, FileStats>> {
  const flat = new Map(columns.filter((c) => !NESTED_TYPES.has(c.type.typeId)).map((c) => [c.name, c]));
  const reader = await connection.runAndReadAll(
    `SELECT file_name, column_id, row_group_num_rows, path_in_schema, num_values, stats_null_count,
            stats_min_value, stats_max_value, min_is_exact, max_is_exact
       FROM parquet_metadata(${quoteList(files)})`,
  );
  const perFile = new Map<string, { rows: number; columns: Map<string, { nulls: number; min: Bound; max: Bound }> }>();
  // A file without row groups has no rows in parquet_metadata.
  for (const file of files) perFile.set(file, { rows: 0, columns: new Map() });
  for (const row of reader.getRows()) {
    const [file, columnId, groupRows, path, values, nulls, min, max, minExact, maxExact] = row;
    const name = String(file);
    let stats = perFile.get(name);
    if (!stats) perFile.set(name, (stats = { rows: 0, columns: new Map() }));
    if (Number(columnId) === 0) stats.rows += Number(groupRows);
    const column = flat.get(String(path));
    if (!column) continue;
    let entry = stats.columns.get(column.name);
    if (!entry) {
      entry = { nulls: 0, min: { key: undefined, text: undefined, exact: true }, max: { key: undefined, text: undefined, exact: true } };
      stats.columns.set(column.name, entry);
    }
    const nullCount = nulls === null ? Number.NaN : Number(nulls);
    entry.nulls += nullCount;
    const holdsValues = !(nullCount === Number(values));
    const kind = STAT_KINDS.get(column.type.typeId);
    if (!kind || !holdsValues) continue;
    fold(entry.min, kind, min, minExact, -1);
    fold(entry.max, kind, max, maxExact, 1);
  }
  const result = new Map<string, FileStats>();
  for (const [file, stats] of perFile) {
    const columnStats: Record<string, { min?: unknown; max?: unknown; nulls: number }> = {};
    for (const column of flat.values()) {
      const entry = stats.columns.get(column.name);
      if (!entry || Number.isNaN(entry.nulls)) continue;
      const kind = STAT_KINDS.get(column.type.typeId);
      const out: { min?: unknown; max?: unknown; nulls: number } = { nulls: entry.nulls };
      if (kind && entry.min.exact && entry.min.text !== undefined) out.min = jsonOf(kind, entry.min.text);
      if (kind && entry.max.exact && entry.max.text !== undefined) out.max = jsonOf(kind, entry.max.text);
      columnStats[column.name] = out;
    }
    result.set(file, { rows: stats.rows, columnStats });
  }
  return result;
}

/** Takes one row group's bound into `bound` when it is lower (`direction` -1) or higher (1). */
function fold(bound: Bound, kind: StatKind, value: unknown, exact: unknown, direction: -1 | 1): void {
  if (!bound.exact) return;
  const text = value === null || value === undefined ? undefined : String(value);
  const key = text === undefined || exact !== true ? undefined : keyOf(kind, text);
  if (key === undefined) {
    bound.exact = false;
    return;
  }
  if (bound.key === undefined || compare(key, bound.key) * direction > 0) {
    bound.key = key;
    bound.text = text;
  }
}

/** A comparable form of a Parquet statistic, or undefined when it cannot be read exactly. */
function keyOf(kind: StatKind, text: string): Bound['key'] {
  switch (kind) {
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : undefined;
    case 'integer':
      return /^-?\d+$/.test(text) ? BigInt(text) : undefined;
    case 'number': {
      const n = Number(text);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'text':
      // DuckDB orders strings by their UTF-8 bytes.
      return Buffer.from(text, 'utf8');
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      // Four-digit years: the text orders as the value does.
      return /^\d{4}-\d\d-\d\d/.test(text) ? text : undefined;
  }
}

function compare(a: NonNullable<Bound['key']>, b: NonNullable<Bound['key']>): number {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The statistic as a query would return the value (see `json-values.ts`). */
function jsonOf(kind: StatKind, text: string): unknown {
  switch (kind) {
    case 'boolean':
      return text === 'true';
    case 'integer': {
      const n = BigInt(text);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : text;
    }
    case 'number':
      return Number(text);
    case 'text':
    case 'date':
      return text;
    case 'timestamp':
      return isoTimestamp(text);
    case 'timestamptz':
      return isoTimestamp(text).replace(/\+00(?::00)?$/, 'Z');
  }
}

import { formatTableRef, quoteIdent, type Principal, type TableRef } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { MlError } from './ml-error.js';

/** One column of a table as the AutoML reads it: its lake type and a value per row. */
export interface TrainingColumn {
  readonly name: string;
  /** The column's lake (DuckDB) type, e.g. `BIGINT`, `VARCHAR`, `TIMESTAMP`. */
  readonly type: string;
  /**
   * A value per row: numbers for numeric types (NaN and ±Infinity as numbers,
   * integers beyond 2^53 rounded), booleans, ISO strings for dates and times,
   * strings; null for missing.
   */
  readonly values: unknown[];
}

/** A table read for training: column arrays of equal length, and where they came from. */
export interface TrainingData {
  /** `zone.table`. */
  readonly table: string;
  /** The snapshot read (undefined: the table has no rows yet). */
  readonly snapshotId: number | undefined;
  /** Rows read. */
  readonly rows: number;
  /** Rows the snapshot holds. */
  readonly totalRows: number;
  /** True when the table held more than `maxRows` and a deterministic sample of `maxRows` was read. */
  readonly sampled: boolean;
  readonly columns: readonly TrainingColumn[];
}

export interface ReadTrainingOptions {
  /** Columns to read, in this order (default: every column). Unknown names fail with `ml.bad_option`. */
  readonly columns?: readonly string[];
  /** Above this many rows a deterministic sample of this size is read (default 1,000,000). */
  readonly maxRows?: number;
  /** Seeds the sample (same seed and data → same rows). */
  readonly seed?: number;
  /** Read this snapshot instead of the current one. */
  readonly snapshotId?: number;
}

export const DEFAULT_MAX_TRAINING_ROWS = 1_000_000;

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;

/** True for lake types whose values are numbers. */
export function isNumericType(type: string): boolean {
  return NUMERIC.test(type.trim());
}

function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    return Number(v);
  }
  return Number(v);
}

/**
 * Reads a lake table into column arrays, as `principal` (a role that may not
 * read the zone is refused), pinned to one snapshot. Above `maxRows` rows it
 * reads a deterministic sample: the rows with the smallest hash of (row, seed),
 * so the same data and seed always give the same sample.
 *
 * @example
 * const data = await readTrainingData(lake, principal, { zone: 'model', name: 'customer_d' }, { columns: ['age', 'plan', 'churned'] });
 * data.columns[0].values; // [34, 51, null, …]
 */
export async function readTrainingData(lake: Lake, principal: Principal, ref: TableRef, opts: ReadTrainingOptions = {}): Promise<TrainingData> {
  const table = formatTableRef(ref);
  const pinned = await lake.pin(principal, ref, opts.snapshotId !== undefined ? { snapshotId: opts.snapshotId } : undefined);
  const schema = pinned.schema.columns;
  const known = new Map(schema.map((c) => [c.name, c.type]));
  const names = opts.columns ?? schema.map((c) => c.name);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new MlError('ml.bad_option', `${table} has no column ${unknown.map((n) => JSON.stringify(n)).join(', ')}`, {
      hint: `its columns are ${schema.map((c) => c.name).join(', ')}`,
      details: { table, unknown },
    });
  }
  const totalRows = pinned.files.reduce((n, f) => n + f.rows, 0);
  const maxRows = opts.maxRows ?? DEFAULT_MAX_TRAINING_ROWS;
  const sampled = totalRows > maxRows;
  const columns: TrainingColumn[] = names.map((name) => ({ name, type: known.get(name)!, values: [] }));
  if (!pinned.snapshot || totalRows === 0 || names.length === 0) {
    return { table, snapshotId: pinned.snapshot?.id, rows: 0, totalRows, sampled: false, columns };
  }
  const from = `${quoteIdent(ref.zone)}.${quoteIdent(ref.name)}`;
  const list = names.map(quoteIdent).join(', ');
  const seed = Math.trunc(opts.seed ?? 0);
  const sql = sampled ? `SELECT ${list} FROM ${from} AS t ORDER BY hash(t, ${seed}) LIMIT ${Math.trunc(maxRows)}` : `SELECT ${list} FROM ${from}`;
  const session = await lake.session(principal, { snapshots: { [table]: pinned.snapshot.id }, forSql: sql });
  try {
    const numeric = columns.map((c) => isNumericType(c.type));
    for await (const chunk of session.stream(sql, { timeoutMs: 30 * 60_000 })) {
      for (const row of chunk) {
        for (let j = 0; j < columns.length; j++) {
          const v = row[names[j]!];
          columns[j]!.values.push(numeric[j] ? toNumber(v) : (v ?? null));
        }
      }
    }
  } finally {
    await session.close();
  }
  return { table, snapshotId: pinned.snapshot.id, rows: columns[0]!.values.length, totalRows, sampled, columns };
}

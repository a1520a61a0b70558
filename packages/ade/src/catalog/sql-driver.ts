/**
 * The seam between the catalog and its database. SQL is written once with `?`
 * placeholders; a driver translates what its database needs. Values are
 * strings, numbers or null only: timestamps are epoch milliseconds and JSON is
 * stored as TEXT in both dialects.
 */

export type SqlDialect = 'sqlite' | 'postgres';

export type SqlValue = string | number | null;

export type SqlRow = Record<string, unknown>;

/** Runs statements: inside a transaction (`SqlTransaction`) or one at a time (`SqlDriver`). */
export interface SqlExecutor {
  /** Runs a statement that returns rows (SELECT, or INSERT … RETURNING). */
  query<T extends object = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement that returns no rows; `changes` is how many rows it touched. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface TransactionOptions {
  /**
   * True for transactions that write: SQLite takes the write lock up front
   * (`BEGIN IMMEDIATE`), Postgres runs READ COMMITTED and expects the caller
   * to lock the rows it compares-and-swaps (`SELECT … FOR UPDATE`). Read
   * transactions see one consistent snapshot.
   */
  readonly write: boolean;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: SqlDialect;
  /**
   * Runs `fn` in one transaction on one connection: commits when it resolves,
   * rolls back when it throws. `fn` must use the executor it is given, never
   * the driver itself (that would wait for the transaction to end).
   * Database failures surface as `CatalogError`s: transient ones (busy, lost
   * serialization, dropped connection before COMMIT) are marked retryable.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

/** Postgres needs `FOR UPDATE` to lock a row it is about to compare-and-swap; SQLite holds the write lock already. */
export function forUpdate(dialect: SqlDialect): string {
  return dialect === 'postgres' ? ' FOR UPDATE' : '';
}

/** `?, ?, ?` for `n` values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** Splits `items` into lists of at most `size` (keeps `IN (…)` lists and multi-row inserts small). */
export function chunked<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

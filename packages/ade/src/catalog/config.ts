import type { Clock } from '../kernel/index.js';

interface CatalogCommonConfig {
  /** Where commit, run and audit timestamps come from; tests pin it. Default: the system clock. */
  readonly clock?: Clock;
  /** How many times an operation re-runs after a transient failure (lock race, busy database, dropped connection). Default 8. */
  readonly maxRetries?: number;
}

/** The embedded catalog: one SQLite file. */
export interface SqliteCatalogConfig extends CatalogCommonConfig {
  readonly kind: 'sqlite';
  /** Path of the database file, e.g. `.ade/catalog.db`; created (with its directory) when missing. */
  readonly path: string;
  /** How long a write waits for another process to release the write lock before failing retryably (ms). Default 10 000. */
  readonly busyTimeoutMs?: number;
}

/** The team catalog: a Postgres database. */
export interface PostgresCatalogConfig extends CatalogCommonConfig {
  readonly kind: 'postgres';
  /** Connection URL, e.g. `postgres://ade@db:5432/ade`. */
  readonly url: string;
  /** Most connections this process opens. Default 5. */
  readonly poolSize?: number;
  /** How long a statement waits for a row lock (a table another writer is committing to) before failing retryably (ms). Default 30 000. */
  readonly lockTimeoutMs?: number;
}

export type CatalogConfig = SqliteCatalogConfig | PostgresCatalogConfig;

export const CATALOG_DEFAULTS = {
  maxRetries: 8,
  busyTimeoutMs: 10_000,
  poolSize: 5,
  lockTimeoutMs: 30_000,
  /** A session idle inside a transaction this long is ended by Postgres, releasing its locks. */
  idleInTransactionTimeoutMs: 60_000,
  /** First back-off ceiling between retries (ms). */
  retryBaseDelayMs: 10,
  /** Largest back-off ceiling between retries (ms). */
  retryMaxDelayMs: 500,
} as const;

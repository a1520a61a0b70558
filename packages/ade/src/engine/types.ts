import type { Principal } from '../kernel/index.js';
import type { SqlParams } from './sql-params.js';

export interface EngineConfig {
  /** DuckDB memory limit per session, e.g. `1GB`. */
  readonly memoryLimit: string;
  /** DuckDB worker threads per session. */
  readonly threads: number;
  /** User queries are interrupted after this many milliseconds. */
  readonly queryTimeoutMs: number;
  /** Directory for DuckDB spill files (one sub-directory per DuckDB instance, removed when it closes). */
  readonly tempDir: string;
  /** Most spill space one session or write may use in `tempDir`, e.g. `10GB` (default `10GB`). */
  readonly maxTempDirectorySize?: string;
  /** Target size of each Parquet file written. */
  readonly targetFileBytes: number;
  /** Parquet row-group size in rows. */
  readonly rowGroupSize: number;
  /**
   * Most DuckDB calls in flight at once across the engine (default 3); more
   * wait their turn. Each holds one of Node's libuv threads while DuckDB works,
   * so keep it below `UV_THREADPOOL_SIZE` (4 unless the process raises it).
   */
  readonly maxConcurrentQueries?: number;
  /**
   * Locked DuckDB instances kept warm after their session closes, for the next
   * session with exactly the same tables and directories (default 4; 0 closes
   * each instance with its session).
   */
  readonly warmSandboxes?: number;
  /** How long an unused warm instance is kept, in milliseconds (default 60 000). */
  readonly warmSandboxMs?: number;
}

/** Defaults of every field but `tempDir`. */
export const DEFAULT_ENGINE_CONFIG = {
  memoryLimit: '1GB',
  threads: 2,
  queryTimeoutMs: 60_000,
  maxTempDirectorySize: '10GB',
  maxConcurrentQueries: 3,
  warmSandboxes: 4,
  warmSandboxMs: 60_000,
  targetFileBytes: 128 * 1024 * 1024,
  rowGroupSize: 122_880,
} as const satisfies Required<Omit<EngineConfig, 'tempDir'>>;

/** A catalog table as a session sees it: a view over exactly these local Parquet files. */
export interface TableBinding {
  readonly zone: string;
  readonly name: string;
  /** Columns in order; used to type the view when `files` is empty. */
  readonly columns: readonly { readonly name: string; readonly type: string; readonly id?: number }[];
  /** Absolute local paths (under an allowed directory). */
  readonly files: readonly string[];
  /** Only the rows whose `column`, as a DATE, is one of `days` (`YYYY-MM-DD`): a day model reads one day of its inputs. */
  readonly days?: { readonly column: string; readonly days: readonly string[] };
}

export interface SessionOptions {
  readonly principal: Principal;
  /** Tables to expose as `zone.table` views; the caller filters them by role. */
  readonly tables: readonly TableBinding[];
  /** Directories the session may read (the local roots of the zones the role may read). */
  readonly allowedDirectories: readonly string[];
}

export interface ResultColumn {
  readonly name: string;
  readonly type: string;
}

/** A fully read (small) result. Values are JSON-safe: BIGINT as number when safe, else string; dates ISO strings. */
export interface QueryResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly Record<string, unknown>[];
  readonly rowCount: number;
}

export type OutputFormat = 'csv' | 'json' | 'ndjson';

export interface QueryOptions {
  /** Engine time after which the query is interrupted; defaults to `EngineConfig.queryTimeoutMs`. */
  readonly timeoutMs?: number;
  /** Values bound to the SQL's placeholders (`?`, `$1` or `$name`), never pasted into its text; needs a single statement. */
  readonly params?: SqlParams;
}

export interface WriteToOptions extends QueryOptions {
  /** End `out` (and wait for it to flush) once the last row is written; default false: the caller owns `out`. */
  readonly end?: boolean;
  /** Rows written at most (a positive integer). */
  readonly limit?: number;
}

/** What `Session.writeTo` wrote. */
export interface WriteToResult {
  readonly columns: readonly ResultColumn[];
  readonly rowCount: number;
  /** Who wrote the text: DuckDB (JSON and NDJSON of a query that was large when it last ran on this instance) or JavaScript. */
  readonly encodedBy: 'duckdb' | 'javascript';
}

/**
 * A result read chunk by chunk (up to 2048 rows each). The query starts at
 * once; its errors surface from `columns()` or the first iteration. Iterate it
 * once; finishing, leaving the loop early or calling `close` releases it.
 */
export interface RowStream extends AsyncIterable<Record<string, unknown>[]> {
  /** The result's columns (names as the row objects' keys), known before any row. */
  columns(): Promise<readonly ResultColumn[]>;
  /** Stops the query and releases its connection; safe to call twice. */
  close(): Promise<void>;
}

/** What a system read (`Engine.describe`, `Engine.inspect`) may see; nothing else is readable. */
export interface SystemReadOptions extends QueryOptions {
  /** Tables the SQL may reference as `zone.table`. */
  readonly tables?: readonly TableBinding[];
  /** Single files the SQL may read (e.g. the input file of `ade load`). */
  readonly readPaths?: readonly string[];
  /** Directories the SQL may read. */
  readonly readDirectories?: readonly string[];
}

/**
 * One Parquet file the engine wrote. `columnStats` has an entry for every
 * top-level column that is not nested (LIST, STRUCT, MAP…); `min`/`max` are
 * present only when the file's statistics give them exactly (JSON-safe, as in
 * {@link QueryResult}) and absent for an all-null column.
 */
export interface WrittenFile {
  readonly localPath: string;
  readonly rows: number;
  readonly bytes: number;
  readonly columnStats: Readonly<Record<string, { min?: unknown; max?: unknown; nulls: number }>>;
}

export interface WriteRequest {
  /** The SELECT whose result is written. */
  readonly sql: string;
  /** Tables the SELECT may reference. */
  readonly tables: readonly TableBinding[];
  /** Extra files the SELECT may read (e.g. the input file of `ade load`). */
  readonly readPaths: readonly string[];
  /** Directories the SELECT may read. */
  readonly readDirectories: readonly string[];
  /** Directory the Parquet files go to (created if missing). */
  readonly outDir: string;
  /** File names are `<prefix>-<n>.parquet`, n from 0. Letters, digits, `_`, `.` and `-` only. */
  readonly filePrefix: string;
  /** Stable column ids written as Parquet field ids. */
  readonly fieldIds?: Readonly<Record<string, number>>;
  /** Called about every 200 ms while the COPY runs, with the fraction of input rows processed (0…1). */
  readonly onProgress?: (fraction: number) => void;
}

export interface WriteResult {
  readonly columns: readonly ResultColumn[];
  readonly files: readonly WrittenFile[];
  readonly rows: number;
}

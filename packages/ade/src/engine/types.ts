import type { Principal } from '../kernel/index.js';

export interface EngineConfig {
  /** DuckDB memory limit per session, e.g. `1GB`. */
  readonly memoryLimit: string;
  /** DuckDB worker threads per session. */
  readonly threads: number;
  /** User queries are interrupted after this many milliseconds. */
  readonly queryTimeoutMs: number;
  /** Directory for DuckDB spill files (one sub-directory per session). */
  readonly tempDir: string;
  /** Target size of each Parquet file written. */
  readonly targetFileBytes: number;
  /** Parquet row-group size in rows. */
  readonly rowGroupSize: number;
}

export const DEFAULT_ENGINE_CONFIG = {
  memoryLimit: '1GB',
  threads: 2,
  queryTimeoutMs: 60_000,
  targetFileBytes: 128 * 1024 * 1024,
  rowGroupSize: 122_880,
} as const satisfies Omit<EngineConfig, 'tempDir'>;

/** A catalog table as a session sees it: a view over exactly these local Parquet files. */
export interface TableBinding {
  readonly zone: string;
  readonly name: string;
  /** Columns in order; used to type the view when `files` is empty. */
  readonly columns: readonly { readonly name: string; readonly type: string; readonly id?: number }[];
  /** Absolute local paths (under an allowed directory). */
  readonly files: readonly string[];
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

/** One Parquet file the engine wrote. */
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
  /** File names are `<prefix>-<n>.parquet`. */
  readonly filePrefix: string;
  /** Stable column ids written as Parquet field ids. */
  readonly fieldIds?: Readonly<Record<string, number>>;
}

export interface WriteResult {
  readonly columns: readonly ResultColumn[];
  readonly files: readonly WrittenFile[];
  readonly rows: number;
}

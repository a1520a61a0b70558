import type { CatalogConfig } from '../catalog/index.js';
import type { EngineConfig } from '../engine/index.js';
import type { Clock } from '../kernel/index.js';
import type { ObjectStoreConfig } from '../storage/index.js';

/** Everything needed to open a project's lake. Built by the CLI or server from ade.yaml. */
export interface LakeConfig {
  /** Where the lake's bytes live (a local folder or an S3 bucket). */
  readonly storage: ObjectStoreConfig;
  /** Where the catalog lives (SQLite file or Postgres URL). */
  readonly catalog: CatalogConfig;
  /** DuckDB limits for every session. */
  readonly engine: EngineConfig;
  /** Time source; the system clock unless a test pins it. */
  readonly clock?: Clock;
}

/** How long history and unreferenced files are kept. */
export interface GcConfig {
  /** Snapshots committed longer ago than this (ms) expire, except each table's current one. */
  readonly retentionMs: number;
  /** Files no catalog entry references are deleted only once older than this (ms). */
  readonly graceMs: number;
  /** Each table keeps at least this many most recent snapshots. */
  readonly keepLast: number;
  /**
   * Files a writer registered as staged stay protected this long (ms), whatever
   * the grace: a commit in flight is never robbed of its files. Older stages
   * count as abandoned.
   */
  readonly stageTimeoutMs: number;
}

export const DEFAULT_GC_CONFIG: GcConfig = {
  retentionMs: 7 * 24 * 3600_000,
  graceMs: 24 * 3600_000,
  keepLast: 1,
  stageTimeoutMs: 6 * 3600_000,
};

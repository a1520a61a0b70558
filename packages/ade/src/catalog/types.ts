import type { TableRef } from '../kernel/index.js';

/** How a table is written; fixes rerun semantics (see DESIGN.md). `table` = plain loaded table. */
export type TableKind = 'table' | 'dimension' | 'fact' | 'day' | 'report' | 'current' | 'source';

/** How personal a column is. `personal`/`sensitive` may only live in raw/quarantine/archive. */
export type PrivacyClass = 'none' | 'pseudonymous' | 'personal' | 'sensitive';

export interface ColumnInput {
  readonly name: string;
  /** DuckDB type name, e.g. BIGINT, DOUBLE, VARCHAR, TIMESTAMP, BOOLEAN, DATE, JSON. */
  readonly type: string;
  readonly nullable?: boolean;
  readonly privacy?: PrivacyClass;
  readonly doc?: string;
}

/** A column of a schema version. `id` is stable across renames (like Iceberg field ids). */
export interface Column {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly privacy: PrivacyClass;
  readonly doc?: string;
}

export interface SchemaVersion {
  readonly id: number;
  readonly tableId: number;
  /** 1, 2, 3… per table. */
  readonly version: number;
  readonly columns: readonly Column[];
  readonly createdAt: Date;
}

export interface TableInfo extends TableRef {
  readonly id: number;
  readonly kind: TableKind;
  readonly description: string;
  readonly owner: string;
  readonly tags: readonly string[];
  readonly createdAt: Date;
  /** Undefined until the first commit. */
  readonly currentSnapshotId: number | undefined;
  readonly currentSchemaId: number;
}

export type CommitOperation = 'create' | 'append' | 'replace' | 'overwrite' | 'delete';

export interface Snapshot {
  /** Catalog-wide, increasing. */
  readonly id: number;
  readonly tableId: number;
  /** Position in the table's linear history: 1, 2, 3… */
  readonly seq: number;
  readonly parentId: number | undefined;
  readonly operation: CommitOperation;
  readonly batchId: string | undefined;
  readonly schemaId: number;
  readonly summary: Readonly<Record<string, unknown>>;
  readonly committer: string;
  readonly committedAt: Date;
  /** Set once `gc` expired the snapshot: it can no longer be read. */
  readonly expiredAt: Date | undefined;
}

/** Per-column statistics of one data file. Values are JSON-safe (numbers, strings, booleans). */
export interface ColumnStats {
  readonly min?: unknown;
  readonly max?: unknown;
  readonly nulls: number;
}

export interface DataFileInput {
  /** Object-store key. Unique forever: files are never overwritten. */
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
  /** Partition value (e.g. a day `2026-11-27`), or undefined for unpartitioned tables. */
  readonly partition?: string;
  /** The batch that wrote the file, when it differs from the commit's (a day model commits one batch per day). */
  readonly batchId?: string;
  readonly columnStats: Readonly<Record<string, ColumnStats>>;
}

export interface DataFile extends DataFileInput {
  readonly id: number;
  readonly tableId: number;
  readonly batchId: string | undefined;
  /** Seq of the snapshot that added the file. */
  readonly addedSeq: number;
  /** Seq of the snapshot that removed it, if any. */
  readonly removedSeq: number | undefined;
  readonly createdAt: Date;
}

/** A snapshot a reader has pinned: its schema and exactly its files. */
export interface PinnedSnapshot {
  readonly table: TableInfo;
  /** Undefined for a table that has never been committed (read as empty). */
  readonly snapshot: Snapshot | undefined;
  readonly schema: SchemaVersion;
  readonly files: readonly DataFile[];
}

export interface CommitRequest {
  readonly table: TableRef;
  readonly operation: Exclude<CommitOperation, 'create'>;
  /**
   * The snapshot the writer built on (null: the table was empty). Append
   * commits may leave it undefined. When it is not current any more, an append
   * re-reads and retries, while replace/overwrite/delete fail with
   * `CommitConflictError` unless `retryOnConflict` is true.
   */
  readonly baseSnapshotId?: number | null;
  readonly added: readonly DataFileInput[];
  /** overwrite/delete: ids of files to remove. replace removes every current file. */
  readonly removedFileIds?: readonly number[];
  /** Also remove every current file written by these batches (rerun of a batch). */
  readonly removeBatchIds?: readonly string[];
  /** Also remove every current file of these partitions (rerun of a day). */
  readonly removePartitions?: readonly string[];
  readonly batchId?: string;
  /** Where the batch came from (a source stream, a model), recorded with the batch; defaults to `committer`. */
  readonly batchSource?: string;
  /** Free-form facts about the batch (input snapshots, interval…), recorded the first time the batch commits. */
  readonly batchInfo?: Readonly<Record<string, unknown>>;
  /** The columns the added files hold; a differing list creates a new schema version. */
  readonly columns?: readonly ColumnInput[];
  readonly committer: string;
  readonly summary?: Readonly<Record<string, unknown>>;
  readonly retryOnConflict?: boolean;
}

export interface CommitResult {
  readonly snapshot: Snapshot;
  readonly addedFiles: number;
  readonly removedFiles: number;
  /** How many times the commit re-read the table after losing a race. */
  readonly retries: number;
}

export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Run {
  readonly id: string;
  readonly kind: string;
  readonly target: string;
  readonly state: RunState;
  readonly attempts: number;
  /** The worker holding the run while it is `running`. */
  readonly leaseOwner: string | undefined;
  /** When the lease ends unless renewed by a heartbeat; after that another worker may claim the run. */
  readonly leaseExpiresAt: Date | undefined;
  readonly heartbeatAt: Date | undefined;
  readonly createdAt: Date;
  readonly startedAt: Date | undefined;
  readonly finishedAt: Date | undefined;
  readonly error: string | undefined;
  readonly info: Readonly<Record<string, unknown>>;
}

export interface AuditEvent {
  readonly id: number;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** Hash of the previous event ('' for the first). */
  readonly prevHash: string;
  /** sha256(prevHash + canonical JSON of {action, actor, at, details, target}), hex. */
  readonly hash: string;
}

export interface Batch {
  readonly id: string;
  readonly tableId: number;
  readonly source: string;
  readonly createdAt: Date;
  readonly info: Readonly<Record<string, unknown>>;
}

/** One problem found by `checkIntegrity`. */
export interface IntegrityProblem {
  readonly table: string;
  readonly problem: string;
}

import type { TableRef } from '../kernel/index.js';
import type {
  AuditEvent,
  ColumnInput,
  CommitRequest,
  CommitResult,
  DataFile,
  IntegrityProblem,
  PinnedSnapshot,
  Run,
  RunState,
  SchemaVersion,
  Snapshot,
  TableInfo,
  TableKind,
} from './types.js';

export interface CreateTableRequest {
  readonly table: TableRef;
  readonly kind?: TableKind;
  readonly description?: string;
  readonly owner?: string;
  readonly tags?: readonly string[];
  readonly columns: readonly ColumnInput[];
}

/** Which snapshot to read: the current one (default), a snapshot id, or the one current at a time. */
export type SnapshotSelector = { readonly snapshotId: number } | { readonly asOf: Date } | undefined;

/**
 * The catalog: the source of truth for tables, schema versions, snapshots and
 * data files. One implementation of this interface runs over both SQLite
 * (embedded) and Postgres (team mode) through a small `SqlDriver`.
 */
export interface CatalogStore {
  readonly dialect: 'sqlite' | 'postgres';

  createTable(req: CreateTableRequest): Promise<TableInfo>;
  /** Creates the table when missing; returns the existing one otherwise (schema untouched). */
  ensureTable(req: CreateTableRequest): Promise<TableInfo>;
  getTable(ref: TableRef): Promise<TableInfo | undefined>;
  listTables(filter?: { zones?: readonly string[] }): Promise<TableInfo[]>;
  updateTable(ref: TableRef, patch: { description?: string; owner?: string; tags?: readonly string[] }): Promise<TableInfo>;
  dropTable(ref: TableRef, committer: string): Promise<void>;

  getSchema(schemaId: number): Promise<SchemaVersion>;
  listSchemas(ref: TableRef): Promise<SchemaVersion[]>;

  /** Atomic compare-and-swap of the table's current snapshot; see CommitRequest. */
  commit(req: CommitRequest): Promise<CommitResult>;

  /** Pins a snapshot for reading; throws NotFound for unknown/expired snapshots. */
  pin(ref: TableRef, at?: SnapshotSelector): Promise<PinnedSnapshot>;
  history(ref: TableRef, opts?: { limit?: number }): Promise<Snapshot[]>;
  /** Files of the given snapshot (current by default). */
  files(ref: TableRef, at?: SnapshotSelector): Promise<DataFile[]>;

  /**
   * Records that `paths` are about to be written for a commit, so that GC
   * leaves them alone until the commit lands or the stage is abandoned.
   */
  registerStaged(paths: readonly string[]): Promise<void>;
  /** Forgets staged paths (after an aborted write). Committed paths are forgotten by `commit`. */
  unregisterStaged(paths: readonly string[]): Promise<void>;

  /**
   * Expires snapshots committed before `before`, always keeping each table's
   * current snapshot and its last `keepLast` snapshots. Returns how many expired.
   */
  expireSnapshots(opts: { before: Date; keepLast: number }): Promise<number>;
  /** Data files no unexpired snapshot references (candidates for deletion). */
  unreferencedFiles(): Promise<DataFile[]>;
  /** Every path the catalog still references or has staged (GC must keep these). */
  protectedPaths(opts: { stagedNewerThan: Date }): Promise<Set<string>>;
  /** Removes file records (after their objects were deleted). */
  forgetFiles(fileIds: readonly number[]): Promise<void>;

  createRun(run: { kind: string; target: string; info?: Record<string, unknown> }): Promise<Run>;
  updateRun(id: string, patch: { state?: RunState; error?: string; info?: Record<string, unknown>; attemptsIncrement?: boolean }): Promise<Run>;
  getRun(id: string): Promise<Run | undefined>;
  listRuns(opts?: { limit?: number; kind?: string }): Promise<Run[]>;

  /** Appends to the hash-chained audit log. */
  audit(event: { actor: string; action: string; target: string; details?: Record<string, unknown> }): Promise<AuditEvent>;
  listAudit(opts?: { limit?: number }): Promise<AuditEvent[]>;

  /** Structural checks: current snapshots exist, linear histories, file intervals consistent, audit chain intact. */
  checkIntegrity(): Promise<IntegrityProblem[]>;

  close(): Promise<void>;
}

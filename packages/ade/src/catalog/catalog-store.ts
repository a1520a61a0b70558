import type { ApiToken } from './api-tokens.js';
import type { ExperimentAnalysisRecord } from './experiment-analyses.js';
import type { AliasChange, ModelAliasRecord, ModelSummary, ModelVersionInput, ModelVersionRecord } from './ml-models.js';
import type { IngestedFile, SourceSchema } from './ingest-ledger.js';
import type { Role, TableRef } from '../kernel/index.js';
import type { SearchDoc, SearchHit } from './search-index.js';
import type {
  Alert,
  CheckResult,
  CheckResultInput,
  OutboxNotice,
  QueuedNotice,
  StagedSnapshot,
  StagedSnapshotInput,
  StoredProfile,
} from './quality-records.js';
import type {
  AuditEvent,
  Batch,
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
 *
 * Errors: `ValidationError` for malformed input, `NotFoundError`
 * (`table.not_found`, `snapshot.not_found`, `schema.not_found`,
 * `run.not_found`) for missing things, `CatalogError` for the rest;
 * `CommitConflictError` (`catalog.commit_conflict`) for a stale commit.
 * Transient database failures are retried inside the store first.
 *
 * @example
 * const catalog = await openCatalog({ kind: 'sqlite', path: '.ade/catalog.db' });
 * await catalog.ensureTable({ table: { zone: 'clean', name: 'orders' }, columns: [{ name: 'id', type: 'BIGINT' }] });
 * await catalog.commit({ table: { zone: 'clean', name: 'orders' }, operation: 'append', added: files, committer: 'ingest' });
 * const { files: current } = await catalog.pin({ zone: 'clean', name: 'orders' });
 */
export interface CatalogStore {
  readonly dialect: 'sqlite' | 'postgres';

  /** Creates a table with schema version 1; `catalog.table_exists` when the name is taken. Audited as `table.create` by its owner. */
  createTable(req: CreateTableRequest): Promise<TableInfo>;
  /** Creates the table when missing; returns the existing one otherwise (schema untouched). */
  ensureTable(req: CreateTableRequest): Promise<TableInfo>;
  /** The live table, or undefined. */
  getTable(ref: TableRef): Promise<TableInfo | undefined>;
  /** Live tables in zone order (raw … archive), then by name. */
  listTables(filter?: { zones?: readonly string[] }): Promise<TableInfo[]>;
  /** Changes description, owner or tags (the fields given). */
  updateTable(ref: TableRef, patch: { description?: string; owner?: string; tags?: readonly string[] }): Promise<TableInfo>;
  /**
   * Drops the table: it is gone from the catalog at once and its name is free
   * again; its files become unreferenced (GC deletes them). Audited as `table.drop`.
   */
  dropTable(ref: TableRef, committer: string): Promise<void>;

  /** One schema version by id (current or historical). */
  getSchema(schemaId: number): Promise<SchemaVersion>;
  /** Every schema version of the table, oldest first. */
  listSchemas(ref: TableRef): Promise<SchemaVersion[]>;

  /** Atomic compare-and-swap of the table's current snapshot; see CommitRequest. */
  commit(req: CommitRequest): Promise<CommitResult>;

  /** Pins a snapshot for reading; throws NotFound for unknown/expired snapshots. */
  pin(ref: TableRef, at?: SnapshotSelector): Promise<PinnedSnapshot>;
  /** The table's snapshots, newest first, expired ones included (with `expiredAt`). */
  history(ref: TableRef, opts?: { limit?: number }): Promise<Snapshot[]>;
  /** Files of the given snapshot (current by default). */
  files(ref: TableRef, at?: SnapshotSelector): Promise<DataFile[]>;

  /** The batch as first committed to the table, or undefined: lets a rerun find its work done. */
  getBatch(ref: TableRef, batchId: string): Promise<Batch | undefined>;
  /** The table's batches, newest first. */
  listBatches(ref: TableRef, opts?: { limit?: number }): Promise<Batch[]>;

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

  /** A new run in state `queued` with a time-ordered id. */
  createRun(run: { kind: string; target: string; info?: Record<string, unknown> }): Promise<Run>;
  /**
   * Moves a run along queued → running → succeeded | failed | cancelled
   * (running → queued requeues it). Stamps `startedAt`/`finishedAt`, clears
   * the lease when the run ends or is requeued, merges `info` shallowly.
   * `catalog.run_state` for a transition that is not allowed (a finished run is final).
   */
  updateRun(id: string, patch: { state?: RunState; error?: string; info?: Record<string, unknown>; attemptsIncrement?: boolean }): Promise<Run>;
  getRun(id: string): Promise<Run | undefined>;
  /** Newest first (default limit 100). */
  listRuns(opts?: { limit?: number; kind?: string }): Promise<Run[]>;
  /**
   * Takes the oldest queued run of the given kinds — or a running one whose
   * lease expired (its worker died) — for `owner`: state `running`, a lease of
   * `leaseMs`, one more attempt. Undefined when there is nothing to do. Two
   * workers never take the same run.
   */
  claimRun(opts: { owner: string; leaseMs: number; kinds?: readonly string[] }): Promise<Run | undefined>;
  /** Extends `owner`'s lease on a running run; `catalog.lease_lost` when another worker took it or it ended. */
  heartbeatRun(id: string, owner: string, leaseMs: number): Promise<Run>;

  /** Appends to the hash-chained audit log. */
  audit(event: { actor: string; action: string; target: string; details?: Record<string, unknown> }): Promise<AuditEvent>;
  /** Newest first (default limit 100). */
  listAudit(opts?: { limit?: number }): Promise<AuditEvent[]>;

  /** Structural checks: current snapshots exist, linear histories, file intervals consistent, audit chain intact. */
  checkIntegrity(): Promise<IntegrityProblem[]>;

  /** The ingest ledger: a file a source already ingested (by content hash), or undefined. */
  getIngestedFile(source: string, contentHash: string): Promise<IngestedFile | undefined>;
  /** Records an ingested file (first record wins). */
  recordIngestedFile(file: Omit<IngestedFile, 'ingestedAt' | 'movedAt' | 'zone'>): Promise<IngestedFile>;
  /** Ingested files, oldest first. */
  listIngestedFiles(opts?: { source?: string; zone?: IngestedFile['zone']; before?: Date; limit?: number }): Promise<IngestedFile[]>;
  /** Moves a file's copy (archive, delete) or merges info into its record. */
  updateIngestedFile(
    source: string,
    contentHash: string,
    patch: { zone?: IngestedFile['zone']; rawKey?: string; info?: Record<string, unknown> },
  ): Promise<IngestedFile>;
  /** A source's pinned input schema. */
  getSourceSchema(name: string): Promise<SourceSchema | undefined>;
  /** Pins or evolves a source's input schema. */
  putSourceSchema(name: string, columns: readonly { name: string; type: string }[]): Promise<SourceSchema>;

  /**
   * Takes (or renews) a source's ingest lease for `owner` when free, expired
   * or already `owner`'s; returns the holder afterwards.
   */
  acquireIngestLease(source: string, owner: string, leaseMs: number): Promise<{ owner: string; expiresAt: Date }>;
  /** Gives a source's ingest lease back. */
  releaseIngestLease(source: string, owner: string): Promise<void>;

  /** Stores a snapshot's profile for a scope (`table`, `day:YYYY-MM-DD`); a second put replaces it. */
  putProfile(p: { table: string; snapshotId: number; scope: string; rows: number; profile: unknown }): Promise<void>;
  /** Stored profiles, newest snapshot first (see quality-records.ts for the filters). */
  listProfiles(
    table: string,
    opts?: { snapshotId?: number; scope?: string; scopePrefix?: string; latestPerScope?: boolean; limit?: number },
  ): Promise<StoredProfile[]>;
  /** Appends check results to their history. */
  recordCheckResults(results: readonly CheckResultInput[]): Promise<CheckResult[]>;
  /** Check results, newest first; `latest` keeps each check's newest. */
  listCheckResults(opts?: { table?: string; checkId?: string; latest?: boolean; limit?: number }): Promise<CheckResult[]>;
  /** Records a write that error checks blocked; its files stay (GC keeps them) until it is discarded. */
  createStagedSnapshot(s: StagedSnapshotInput): Promise<StagedSnapshot>;
  listStagedSnapshots(opts?: { table?: string; state?: StagedSnapshot['state']; limit?: number }): Promise<StagedSnapshot[]>;
  getStagedSnapshot(id: string): Promise<StagedSnapshot | undefined>;
  /** Discards a blocked staged snapshot; GC deletes its files afterwards. */
  discardStagedSnapshot(id: string): Promise<StagedSnapshot>;
  /** Opens the check's alert and queues its notices, unless one is open already (undefined). */
  openAlert(a: { id: string; checkId: string; table: string; resultId: number; notices: (alertId: string) => readonly QueuedNotice[] }): Promise<Alert | undefined>;
  /** Closes the check's open alert and queues recovery notices; undefined when none is open. */
  closeAlert(a: { checkId: string; resultId: number; notices: (alertId: string) => readonly QueuedNotice[] }): Promise<Alert | undefined>;
  listAlerts(opts?: { state?: Alert['state']; limit?: number }): Promise<Alert[]>;
  /** Leases up to `limit` due pending notices for delivery. */
  claimNotices(opts: { leaseMs: number; limit: number }): Promise<OutboxNotice[]>;
  /** Records a delivery attempt's outcome. */
  settleNotice(id: number, outcome: { delivered: true } | { delivered: false; error: string; retryAt?: Date }): Promise<void>;
  listNotices(opts?: { state?: OutboxNotice['state']; limit?: number }): Promise<OutboxNotice[]>;

  /**
   * Adds full-text search documents, replacing those with the same key (see
   * search-index.ts; `quality/search-documents.ts` builds them from the catalog).
   */
  putSearchDocs(docs: readonly SearchDoc[]): Promise<void>;
  /**
   * Removes the search documents of a table (`zone.name`) and/or those whose
   * key starts with `keyPrefix` (`''`: every document).
   */
  removeSearchDocs(filter: { table?: string; keyPrefix?: string }): Promise<void>;
  /**
   * Documents matching every word of `query` (the last word also as a prefix),
   * best first, titles weighted over bodies; snippets mark matches with « ».
   * `validation.search_query` for a query without words.
   *
   * @example
   * const hits = await catalog.search('customer null', { zones: ['clean', 'model'], limit: 10 });
   */
  search(query: string, opts?: { zones?: readonly string[]; kinds?: readonly string[]; limit?: number }): Promise<SearchHit[]>;

  /** Stores a new API token (its HMAC only). */
  createApiToken(t: { id: string; name: string; role: Role; source?: string; hash: string; createdBy: string }): Promise<ApiToken>;
  getApiToken(id: string): Promise<ApiToken | undefined>;
  listApiTokens(): Promise<ApiToken[]>;
  /** Revokes a token; false when unknown or already revoked. */
  revokeApiToken(id: string): Promise<boolean>;
  /** Records that a token was used (coarsely). */
  touchApiToken(id: string): Promise<void>;

  /** Stores an experiment analysis, replacing one with the same experiment, as-of time and configuration hash. */
  putExperimentAnalysis(a: { id: string; experiment: string; asOf: Date; configHash: string; computedBy: string; result: unknown }): Promise<ExperimentAnalysisRecord>;
  /** An experiment's stored analyses, newest as-of first. */
  listExperimentAnalyses(experiment: string, opts?: { limit?: number }): Promise<ExperimentAnalysisRecord[]>;

  /** The version the next registration of a model gets (1 for a new model). */
  nextModelVersion(name: string): Promise<number>;
  /**
   * Records a new immutable model version, audited as `ml.register`;
   * `catalog.model_version_taken` (retryable) when it is not the next version.
   */
  registerModelVersion(v: ModelVersionInput): Promise<ModelVersionRecord>;
  getModelVersion(name: string, version: number): Promise<ModelVersionRecord | undefined>;
  /** A model's versions, newest first. */
  listModelVersions(name: string): Promise<ModelVersionRecord[]>;
  /** Every version of every model, by name and version. */
  listAllModelVersions(): Promise<ModelVersionRecord[]>;
  /** Every model with its newest version and aliases, by name. */
  listModels(): Promise<ModelSummary[]>;
  /** A model's aliases (every model's without a name). */
  listModelAliases(name?: string): Promise<ModelAliasRecord[]>;
  /** The moves of a model's aliases, oldest first. */
  listAliasHistory(name: string, alias?: string): Promise<AliasChange[]>;
  /** Points an alias at a version (audited `ml.promote`); undefined when it names that version already. */
  promoteModelAlias(p: { name: string; alias: string; version: number; actor: string }): Promise<AliasChange | undefined>;
  /** Moves an alias back to its previous version (audited `ml.rollback`); undefined when there is none. */
  rollbackModelAlias(r: { name: string; alias: string; actor: string }): Promise<AliasChange | undefined>;

  /** Closes the connection(s); the store cannot be used afterwards. */
  close(): Promise<void>;
}

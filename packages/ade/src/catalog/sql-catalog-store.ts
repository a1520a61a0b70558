import { formatTableRef, systemClock, type Clock, type Role, type TableRef } from '../kernel/index.js';
import { createApiToken, getApiToken, listApiTokens, revokeApiToken, touchApiToken, type ApiToken } from './api-tokens.js';
import { listExperimentAnalyses, putExperimentAnalysis, type ExperimentAnalysisRecord } from './experiment-analyses.js';
import { appendAudit, listAudit } from './audit.js';
import {
  listAliasHistory,
  listAllModelVersions,
  listModelAliases,
  listModels,
  listModelVersions,
  getModelVersion,
  nextModelVersion,
  promoteModelAlias,
  registerModelVersion,
  rollbackModelAlias,
  type AliasChange,
  type ModelAliasRecord,
  type ModelSummary,
  type ModelVersionInput,
  type ModelVersionRecord,
} from './ml-models.js';
import { getBatch, listBatches } from './batches.js';
import { checkCount, checkRef, type CatalogContext } from './catalog-context.js';
import type { CatalogStore, CreateTableRequest, SnapshotSelector } from './catalog-store.js';
import { applyCommit, checkCommitRequest } from './commit.js';
import { CATALOG_DEFAULTS } from './config.js';
import { CatalogError, fileExists, tableExists } from './errors.js';
import { expireSnapshots, forgetFiles, protectedPaths, registerStaged, unreferencedFiles, unregisterStaged } from './gc.js';
import { checkIntegrity } from './integrity.js';
import { withRetry, type RetryPolicy } from './retry.js';
import { toTableInfo } from './rows.js';
import {
  acquireIngestLease,
  releaseIngestLease,
  getIngestedFile,
  getSourceSchema,
  listIngestedFiles,
  putSourceSchema,
  recordIngestedFile,
  updateIngestedFile,
  type IngestedFile,
  type SourceSchema,
} from './ingest-ledger.js';
import {
  blockedStagedPaths,
  claimNotices,
  closeAlert,
  createStagedSnapshot,
  discardStagedSnapshot,
  getStagedSnapshot,
  listAlerts,
  listCheckResults,
  listNotices,
  listProfiles,
  listStagedSnapshots,
  openAlert,
  putProfile,
  recordCheckResults,
  settleNotice,
  type Alert,
  type CheckResult,
  type CheckResultInput,
  type OutboxNotice,
  type QueuedNotice,
  type StagedSnapshot,
  type StagedSnapshotInput,
  type StoredProfile,
} from './quality-records.js';
import { claimRun, createRun, getRun, heartbeatRun, listRuns, updateRun, type RunPatch } from './runs.js';
import { putSearchDocs, removeSearchDocs, searchDocs, type SearchDoc, type SearchHit } from './search-index.js';
import { getSchema, listSchemas } from './schemas.js';
import { history, pinSnapshot } from './snapshots.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';
import { checkCreateRequest, createTable, dropTable, findTableRow, listTables, requireTableRow, updateTable, type TablePatch } from './tables.js';
import type {
  AuditEvent,
  Batch,
  CommitRequest,
  CommitResult,
  DataFile,
  IntegrityProblem,
  PinnedSnapshot,
  Run,
  SchemaVersion,
  Snapshot,
  TableInfo,
} from './types.js';

export interface SqlCatalogStoreOptions {
  /** Where timestamps come from. */
  readonly clock?: Clock;
  /** How transient failures are retried. */
  readonly retry?: RetryPolicy;
}

/**
 * The catalog over any `SqlDriver`. Every method is one transaction (retried
 * from scratch on transient failures); the SQL lives in the modules named
 * after what they do (`commit.ts`, `gc.ts`, `runs.ts`…).
 */
export class SqlCatalogStore implements CatalogStore {
  readonly dialect: 'sqlite' | 'postgres';
  readonly #driver: SqlDriver;
  readonly #ctx: CatalogContext;
  readonly #retry: RetryPolicy;

  /** Takes a driver whose database is already migrated (see `openCatalog`). */
  constructor(driver: SqlDriver, options: SqlCatalogStoreOptions = {}) {
    this.#driver = driver;
    this.dialect = driver.dialect;
    this.#ctx = { dialect: driver.dialect, clock: options.clock ?? systemClock };
    this.#retry = options.retry ?? {
      maxRetries: CATALOG_DEFAULTS.maxRetries,
      baseDelayMs: CATALOG_DEFAULTS.retryBaseDelayMs,
      maxDelayMs: CATALOG_DEFAULTS.retryMaxDelayMs,
    };
  }

  async #read<T>(fn: (tx: SqlExecutor, ctx: CatalogContext) => Promise<T>): Promise<T> {
    return (await withRetry(this.#retry, () => this.#driver.transaction((tx) => fn(tx, this.#ctx), { write: false }))).value;
  }

  async #write<T>(fn: (tx: SqlExecutor, ctx: CatalogContext) => Promise<T>): Promise<{ value: T; retries: number }> {
    return withRetry(this.#retry, () => this.#driver.transaction((tx) => fn(tx, this.#ctx), { write: true }));
  }

  async createTable(req: CreateTableRequest): Promise<TableInfo> {
    const { ref } = checkCreateRequest(req);
    try {
      return (await this.#write((tx, ctx) => createTable(tx, ctx, req))).value;
    } catch (e) {
      // Two creators raced past the existence check; the unique index stopped the second.
      if (e instanceof CatalogError && e.code === 'catalog.unique_violation') throw tableExists(ref);
      throw e;
    }
  }

  async ensureTable(req: CreateTableRequest): Promise<TableInfo> {
    const { ref } = checkCreateRequest(req);
    const existing = await this.getTable(ref);
    if (existing) return existing;
    try {
      return await this.createTable(req);
    } catch (e) {
      if (e instanceof CatalogError && e.code === 'catalog.table_exists') {
        const created = await this.getTable(ref);
        if (created) return created;
      }
      throw e;
    }
  }

  async getTable(ref: TableRef): Promise<TableInfo | undefined> {
    const checked = checkRef(ref);
    return this.#read(async (tx, ctx) => {
      const row = await findTableRow(tx, ctx, checked);
      return row ? toTableInfo(row) : undefined;
    });
  }

  async listTables(filter: { zones?: readonly string[] } = {}): Promise<TableInfo[]> {
    return this.#read((tx) => listTables(tx, filter.zones));
  }

  async updateTable(ref: TableRef, patch: TablePatch): Promise<TableInfo> {
    const checked = checkRef(ref);
    return (await this.#write((tx, ctx) => updateTable(tx, ctx, checked, patch))).value;
  }

  async dropTable(ref: TableRef, committer: string): Promise<void> {
    const checked = checkRef(ref);
    await this.#write((tx, ctx) => dropTable(tx, ctx, checked, committer));
  }

  async getSchema(schemaId: number): Promise<SchemaVersion> {
    return this.#read((tx) => getSchema(tx, schemaId));
  }

  async listSchemas(ref: TableRef): Promise<SchemaVersion[]> {
    const checked = checkRef(ref);
    return this.#read(async (tx, ctx) => listSchemas(tx, Number((await requireTableRow(tx, ctx, checked)).id)));
  }

  async commit(req: CommitRequest): Promise<CommitResult> {
    const checked = checkCommitRequest(req);
    try {
      const { value, retries } = await this.#write((tx, ctx) => applyCommit(tx, ctx, checked));
      return { ...value, retries };
    } catch (e) {
      // A commit to another table added the same path at the same moment; the unique index stopped this one.
      if (e instanceof CatalogError && e.code === 'catalog.unique_violation') throw fileExists(formatTableRef(checked.table), [], e);
      throw e;
    }
  }

  async pin(ref: TableRef, at?: SnapshotSelector): Promise<PinnedSnapshot> {
    const checked = checkRef(ref);
    return this.#read((tx, ctx) => pinSnapshot(tx, ctx, checked, at));
  }

  async history(ref: TableRef, opts: { limit?: number } = {}): Promise<Snapshot[]> {
    const checked = checkRef(ref);
    return this.#read((tx, ctx) => history(tx, ctx, checked, opts.limit));
  }

  async files(ref: TableRef, at?: SnapshotSelector): Promise<DataFile[]> {
    return [...(await this.pin(ref, at)).files];
  }

  async getBatch(ref: TableRef, batchId: string): Promise<Batch | undefined> {
    const checked = checkRef(ref);
    return this.#read((tx, ctx) => getBatch(tx, ctx, checked, batchId));
  }

  async listBatches(ref: TableRef, opts: { limit?: number } = {}): Promise<Batch[]> {
    const checked = checkRef(ref);
    return this.#read((tx, ctx) => listBatches(tx, ctx, checked, opts.limit));
  }

  async registerStaged(paths: readonly string[]): Promise<void> {
    await this.#write((tx, ctx) => registerStaged(tx, ctx, paths));
  }

  async unregisterStaged(paths: readonly string[]): Promise<void> {
    await this.#write((tx) => unregisterStaged(tx, paths));
  }

  async expireSnapshots(opts: { before: Date; keepLast: number }): Promise<number> {
    return (await this.#write((tx, ctx) => expireSnapshots(tx, ctx, opts))).value;
  }

  async unreferencedFiles(): Promise<DataFile[]> {
    return this.#read((tx) => unreferencedFiles(tx));
  }

  async protectedPaths(opts: { stagedNewerThan: Date }): Promise<Set<string>> {
    return this.#read(async (tx) => {
      const paths = await protectedPaths(tx, opts.stagedNewerThan);
      for (const p of await blockedStagedPaths(tx)) paths.add(p);
      return paths;
    });
  }

  async forgetFiles(fileIds: readonly number[]): Promise<void> {
    await this.#write((tx) => forgetFiles(tx, fileIds));
  }

  async createRun(run: { kind: string; target: string; info?: Record<string, unknown> }): Promise<Run> {
    return (await this.#write((tx, ctx) => createRun(tx, ctx, run))).value;
  }

  async updateRun(id: string, patch: RunPatch): Promise<Run> {
    return (await this.#write((tx, ctx) => updateRun(tx, ctx, id, patch))).value;
  }

  async getRun(id: string): Promise<Run | undefined> {
    return this.#read((tx) => getRun(tx, id));
  }

  async listRuns(opts: { limit?: number; kind?: string } = {}): Promise<Run[]> {
    return this.#read((tx) => listRuns(tx, opts));
  }

  async claimRun(opts: { owner: string; leaseMs: number; kinds?: readonly string[] }): Promise<Run | undefined> {
    return (await this.#write((tx, ctx) => claimRun(tx, ctx, opts))).value;
  }

  async heartbeatRun(id: string, owner: string, leaseMs: number): Promise<Run> {
    return (await this.#write((tx, ctx) => heartbeatRun(tx, ctx, id, owner, leaseMs))).value;
  }

  async audit(event: { actor: string; action: string; target: string; details?: Record<string, unknown> }): Promise<AuditEvent> {
    return (await this.#write((tx, ctx) => appendAudit(tx, ctx, event))).value;
  }

  async listAudit(opts: { limit?: number } = {}): Promise<AuditEvent[]> {
    const limit = opts.limit === undefined ? 100 : checkCount('limit', opts.limit);
    return this.#read((tx) => listAudit(tx, limit));
  }

  async getIngestedFile(source: string, contentHash: string): Promise<IngestedFile | undefined> {
    return this.#read((tx) => getIngestedFile(tx, source, contentHash));
  }

  async recordIngestedFile(file: Omit<IngestedFile, 'ingestedAt' | 'movedAt' | 'zone'>): Promise<IngestedFile> {
    return (await this.#write((tx, ctx) => recordIngestedFile(tx, ctx, file))).value;
  }

  async listIngestedFiles(opts: { source?: string; zone?: IngestedFile['zone']; before?: Date; limit?: number } = {}): Promise<IngestedFile[]> {
    return this.#read((tx) => listIngestedFiles(tx, opts));
  }

  async updateIngestedFile(
    source: string,
    contentHash: string,
    patch: { zone?: IngestedFile['zone']; rawKey?: string; info?: Record<string, unknown> },
  ): Promise<IngestedFile> {
    return (await this.#write((tx, ctx) => updateIngestedFile(tx, ctx, source, contentHash, patch))).value;
  }

  async getSourceSchema(name: string): Promise<SourceSchema | undefined> {
    return this.#read((tx) => getSourceSchema(tx, name));
  }

  async putSourceSchema(name: string, columns: readonly { name: string; type: string }[]): Promise<SourceSchema> {
    return (await this.#write((tx, ctx) => putSourceSchema(tx, ctx, name, columns))).value;
  }

  async acquireIngestLease(source: string, owner: string, leaseMs: number): Promise<{ owner: string; expiresAt: Date }> {
    return (await this.#write((tx, ctx) => acquireIngestLease(tx, ctx, source, owner, leaseMs))).value;
  }

  async releaseIngestLease(source: string, owner: string): Promise<void> {
    await this.#write((tx) => releaseIngestLease(tx, source, owner));
  }

  async checkIntegrity(): Promise<IntegrityProblem[]> {
    return this.#read((tx) => checkIntegrity(tx));
  }

  async putProfile(p: { table: string; snapshotId: number; scope: string; rows: number; profile: unknown }): Promise<void> {
    await this.#write((tx, ctx) => putProfile(tx, ctx, p));
  }

  async listProfiles(
    table: string,
    opts: { snapshotId?: number; scope?: string; scopePrefix?: string; latestPerScope?: boolean; limit?: number } = {},
  ): Promise<StoredProfile[]> {
    return this.#read((tx) => listProfiles(tx, table, opts));
  }

  async recordCheckResults(results: readonly CheckResultInput[]): Promise<CheckResult[]> {
    if (results.length === 0) return [];
    return (await this.#write((tx, ctx) => recordCheckResults(tx, ctx, results))).value;
  }

  async listCheckResults(opts: { table?: string; checkId?: string; latest?: boolean; limit?: number } = {}): Promise<CheckResult[]> {
    return this.#read((tx) => listCheckResults(tx, opts));
  }

  async createStagedSnapshot(s: StagedSnapshotInput): Promise<StagedSnapshot> {
    return (await this.#write((tx, ctx) => createStagedSnapshot(tx, ctx, s))).value;
  }

  async listStagedSnapshots(opts: { table?: string; state?: StagedSnapshot['state']; limit?: number } = {}): Promise<StagedSnapshot[]> {
    return this.#read((tx) => listStagedSnapshots(tx, opts));
  }

  async getStagedSnapshot(id: string): Promise<StagedSnapshot | undefined> {
    return this.#read((tx) => getStagedSnapshot(tx, id));
  }

  async discardStagedSnapshot(id: string): Promise<StagedSnapshot> {
    return (await this.#write((tx, ctx) => discardStagedSnapshot(tx, ctx, id))).value;
  }

  async openAlert(a: { id: string; checkId: string; table: string; resultId: number; notices: (alertId: string) => readonly QueuedNotice[] }): Promise<Alert | undefined> {
    return (await this.#write((tx, ctx) => openAlert(tx, ctx, a))).value;
  }

  async closeAlert(a: { checkId: string; resultId: number; notices: (alertId: string) => readonly QueuedNotice[] }): Promise<Alert | undefined> {
    return (await this.#write((tx, ctx) => closeAlert(tx, ctx, a))).value;
  }

  async listAlerts(opts: { state?: Alert['state']; limit?: number } = {}): Promise<Alert[]> {
    return this.#read((tx) => listAlerts(tx, opts));
  }

  async claimNotices(opts: { leaseMs: number; limit: number }): Promise<OutboxNotice[]> {
    return (await this.#write((tx, ctx) => claimNotices(tx, ctx, opts))).value;
  }

  async settleNotice(id: number, outcome: { delivered: true } | { delivered: false; error: string; retryAt?: Date }): Promise<void> {
    await this.#write((tx, ctx) => settleNotice(tx, ctx, id, outcome));
  }

  async listNotices(opts: { state?: OutboxNotice['state']; limit?: number } = {}): Promise<OutboxNotice[]> {
    return this.#read((tx) => listNotices(tx, opts));
  }

  async putSearchDocs(docs: readonly SearchDoc[]): Promise<void> {
    if (docs.length === 0) return;
    await this.#write((tx, ctx) => putSearchDocs(tx, ctx, docs));
  }

  async removeSearchDocs(filter: { table?: string; keyPrefix?: string }): Promise<void> {
    await this.#write((tx) => removeSearchDocs(tx, filter));
  }

  async search(query: string, opts: { zones?: readonly string[]; kinds?: readonly string[]; limit?: number } = {}): Promise<SearchHit[]> {
    return this.#read((tx, ctx) => searchDocs(tx, ctx, query, opts));
  }

  async createApiToken(t: { id: string; name: string; role: Role; source?: string; hash: string; createdBy: string }): Promise<ApiToken> {
    return (await this.#write((tx, ctx) => createApiToken(tx, ctx, t))).value;
  }

  async getApiToken(id: string): Promise<ApiToken | undefined> {
    return this.#read((tx) => getApiToken(tx, id));
  }

  async listApiTokens(): Promise<ApiToken[]> {
    return this.#read((tx) => listApiTokens(tx));
  }

  async revokeApiToken(id: string): Promise<boolean> {
    return (await this.#write((tx, ctx) => revokeApiToken(tx, ctx, id))).value;
  }

  async touchApiToken(id: string): Promise<void> {
    await this.#write((tx, ctx) => touchApiToken(tx, ctx, id));
  }

  async putExperimentAnalysis(a: { id: string; experiment: string; asOf: Date; configHash: string; computedBy: string; result: unknown }): Promise<ExperimentAnalysisRecord> {
    return (await this.#write((tx, ctx) => putExperimentAnalysis(tx, ctx, a))).value;
  }

  async listExperimentAnalyses(experiment: string, opts: { limit?: number } = {}): Promise<ExperimentAnalysisRecord[]> {
    return this.#read((tx) => listExperimentAnalyses(tx, experiment, opts));
  }

  async nextModelVersion(name: string): Promise<number> {
    return this.#read((tx) => nextModelVersion(tx, name));
  }

  async registerModelVersion(v: ModelVersionInput): Promise<ModelVersionRecord> {
    return (await this.#write((tx, ctx) => registerModelVersion(tx, ctx, v))).value;
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersionRecord | undefined> {
    return this.#read((tx) => getModelVersion(tx, name, version));
  }

  async listModelVersions(name: string): Promise<ModelVersionRecord[]> {
    return this.#read((tx) => listModelVersions(tx, name));
  }

  async listAllModelVersions(): Promise<ModelVersionRecord[]> {
    return this.#read((tx) => listAllModelVersions(tx));
  }

  async listModels(): Promise<ModelSummary[]> {
    return this.#read((tx) => listModels(tx));
  }

  async listModelAliases(name?: string): Promise<ModelAliasRecord[]> {
    return this.#read((tx) => listModelAliases(tx, name));
  }

  async listAliasHistory(name: string, alias?: string): Promise<AliasChange[]> {
    return this.#read((tx) => listAliasHistory(tx, name, alias));
  }

  async promoteModelAlias(p: { name: string; alias: string; version: number; actor: string }): Promise<AliasChange | undefined> {
    return (await this.#write((tx, ctx) => promoteModelAlias(tx, ctx, p))).value;
  }

  async rollbackModelAlias(r: { name: string; alias: string; actor: string }): Promise<AliasChange | undefined> {
    return (await this.#write((tx, ctx) => rollbackModelAlias(tx, ctx, r))).value;
  }

  async close(): Promise<void> {
    await this.#driver.close();
  }
}

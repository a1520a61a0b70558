export type * from './types.js';
export type { CatalogStore, CreateTableRequest, SnapshotSelector } from './catalog-store.js';
export type { CatalogConfig, SqliteCatalogConfig, PostgresCatalogConfig } from './config.js';
export { CATALOG_DEFAULTS } from './config.js';
export { openCatalog } from './open-catalog.js';
export { CatalogError, CommitConflictError, isTransient } from './errors.js';
export type { IngestedFile, SourceSchema } from './ingest-ledger.js';
export type {
  Alert,
  CheckResult,
  CheckResultInput,
  CheckSeverity,
  CheckStatus,
  OutboxNotice,
  QueuedNotice,
  StagedFile,
  StagedSnapshot,
  StagedSnapshotInput,
  StoredProfile,
} from './quality-records.js';
export type { SearchDoc, SearchHit } from './search-index.js';
export type { ApiToken } from './api-tokens.js';
export type { ExperimentAnalysisRecord } from './experiment-analyses.js';
export type { AliasChange, ModelAliasRecord, ModelSummary, ModelVersionInput, ModelVersionRecord } from './ml-models.js';

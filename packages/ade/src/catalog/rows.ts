/** Row shapes as the database returns them, and their mapping to catalog types. */
import type {
  AuditEvent,
  Batch,
  Column,
  CommitOperation,
  DataFile,
  Run,
  RunState,
  SchemaVersion,
  Snapshot,
  TableInfo,
  TableKind,
} from './types.js';

export interface TableRow {
  id: number;
  zone: string;
  name: string;
  kind: string;
  description: string;
  owner: string;
  tags: string;
  created_at: number;
  current_snapshot_id: number | null;
  current_schema_id: number | null;
  next_column_id: number;
  version: number;
  dropped_at: number | null;
}

export interface SchemaRow {
  id: number;
  table_id: number;
  version: number;
  columns: string;
  created_at: number;
}

export interface SnapshotRow {
  id: number;
  table_id: number;
  seq: number;
  parent_id: number | null;
  operation: string;
  batch_id: string | null;
  schema_id: number;
  summary: string;
  committer: string;
  committed_at: number;
  expired_at: number | null;
}

export interface DataFileRow {
  id: number;
  table_id: number;
  path: string;
  row_count: number;
  byte_count: number;
  partition_value: string | null;
  column_stats: string;
  batch_id: string | null;
  added_seq: number;
  removed_seq: number | null;
  created_at: number;
}

export interface RunRow {
  id: string;
  kind: string;
  target: string;
  state: string;
  attempts: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  heartbeat_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  info: string;
}

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  details: string;
  prev_hash: string;
  hash: string;
}

export interface BatchRow {
  table_id: number;
  id: string;
  source: string;
  created_at: number;
  info: string;
}

/** Column lists for SELECTs, so that every query returns whole rows. */
export const TABLE_COLUMNS =
  'id, zone, name, kind, description, owner, tags, created_at, current_snapshot_id, current_schema_id, next_column_id, version, dropped_at';
export const SNAPSHOT_COLUMNS =
  'id, table_id, seq, parent_id, operation, batch_id, schema_id, summary, committer, committed_at, expired_at';
export const DATA_FILE_COLUMNS =
  'id, table_id, path, row_count, byte_count, partition_value, column_stats, batch_id, added_seq, removed_seq, created_at';
export const RUN_COLUMNS =
  'id, kind, target, state, attempts, lease_owner, lease_expires_at, heartbeat_at, created_at, started_at, finished_at, error, info';

const date = (ms: number): Date => new Date(Number(ms));
const optionalDate = (ms: number | null): Date | undefined => (ms === null ? undefined : date(ms));
const optional = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
const optionalNumber = (v: number | null): number | undefined => (v === null ? undefined : Number(v));

export function toTableInfo(r: TableRow): TableInfo {
  return {
    id: Number(r.id),
    zone: r.zone,
    name: r.name,
    kind: r.kind as TableKind,
    description: r.description,
    owner: r.owner,
    tags: JSON.parse(r.tags) as string[],
    createdAt: date(r.created_at),
    currentSnapshotId: optionalNumber(r.current_snapshot_id),
    currentSchemaId: Number(r.current_schema_id),
  };
}

export function toSchemaVersion(r: SchemaRow): SchemaVersion {
  return {
    id: Number(r.id),
    tableId: Number(r.table_id),
    version: Number(r.version),
    columns: JSON.parse(r.columns) as Column[],
    createdAt: date(r.created_at),
  };
}

export function toSnapshot(r: SnapshotRow): Snapshot {
  return {
    id: Number(r.id),
    tableId: Number(r.table_id),
    seq: Number(r.seq),
    parentId: optionalNumber(r.parent_id),
    operation: r.operation as CommitOperation,
    batchId: optional(r.batch_id),
    schemaId: Number(r.schema_id),
    summary: JSON.parse(r.summary) as Record<string, unknown>,
    committer: r.committer,
    committedAt: date(r.committed_at),
    expiredAt: optionalDate(r.expired_at),
  };
}

export function toDataFile(r: DataFileRow): DataFile {
  return {
    id: Number(r.id),
    tableId: Number(r.table_id),
    path: r.path,
    rows: Number(r.row_count),
    bytes: Number(r.byte_count),
    ...(r.partition_value === null ? {} : { partition: r.partition_value }),
    columnStats: JSON.parse(r.column_stats) as DataFile['columnStats'],
    batchId: optional(r.batch_id),
    addedSeq: Number(r.added_seq),
    removedSeq: optionalNumber(r.removed_seq),
    createdAt: date(r.created_at),
  };
}

export function toRun(r: RunRow): Run {
  return {
    id: r.id,
    kind: r.kind,
    target: r.target,
    state: r.state as RunState,
    attempts: Number(r.attempts),
    leaseOwner: optional(r.lease_owner),
    leaseExpiresAt: optionalDate(r.lease_expires_at),
    heartbeatAt: optionalDate(r.heartbeat_at),
    createdAt: date(r.created_at),
    startedAt: optionalDate(r.started_at),
    finishedAt: optionalDate(r.finished_at),
    error: optional(r.error),
    info: JSON.parse(r.info) as Record<string, unknown>,
  };
}

export function toAuditEvent(r: AuditRow): AuditEvent {
  return {
    id: Number(r.id),
    at: date(r.at),
    actor: r.actor,
    action: r.action,
    target: r.target,
    details: JSON.parse(r.details) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export function toBatch(r: BatchRow): Batch {
  return {
    id: r.id,
    tableId: Number(r.table_id),
    source: r.source,
    createdAt: date(r.created_at),
    info: JSON.parse(r.info) as Record<string, unknown>,
  };
}

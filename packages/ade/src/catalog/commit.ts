import { ValidationError, formatTableRef, type TableRef } from '../kernel/index.js';
import { checkRef, checkText, type CatalogContext } from './catalog-context.js';
import { CatalogError, CommitConflictError, fileExists } from './errors.js';
import { SNAPSHOT_COLUMNS, toSnapshot, type SnapshotRow, type TableRow } from './rows.js';
import { assignColumnIds, columnsDiffer, normalizeColumns, type NormalizedColumn } from './schema-evolution.js';
import { getSchema, insertSchema } from './schemas.js';
import { chunked, placeholders, type SqlExecutor, type SqlValue } from './sql-driver.js';
import { requireTableRow } from './tables.js';
import type { CommitRequest, CommitResult, DataFileInput } from './types.js';

const OPERATIONS: readonly CommitRequest['operation'][] = ['append', 'replace', 'overwrite', 'delete'];

/** A commit request that passed validation. */
export interface CheckedCommit extends CommitRequest {
  readonly table: TableRef;
  readonly normalizedColumns: readonly NormalizedColumn[] | undefined;
}

function invalid(req: CommitRequest, message: string, details: Record<string, unknown> = {}, hint?: string): ValidationError {
  return new ValidationError(`commit to ${formatTableRef(req.table)}: ${message}`, {
    code: 'validation.commit',
    ...(hint ? { hint } : {}),
    details: { table: formatTableRef(req.table), ...details },
  });
}

function isCount(n: unknown): boolean {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Validates a commit request before any transaction starts. */
export function checkCommitRequest(req: CommitRequest): CheckedCommit {
  const table = checkRef(req.table);
  if (!OPERATIONS.includes(req.operation)) {
    throw invalid(req, `unknown operation ${JSON.stringify(req.operation)}`, {}, `operations are ${OPERATIONS.join(', ')}`);
  }
  checkText('committer', req.committer);
  const base = req.baseSnapshotId;
  if (base !== undefined && base !== null && !Number.isSafeInteger(base)) throw invalid(req, 'baseSnapshotId must be a snapshot id or null');
  const paths = new Set<string>();
  for (const f of req.added ?? []) {
    if (typeof f?.path !== 'string' || f.path === '') throw invalid(req, 'every added file needs a path');
    if (paths.has(f.path)) throw invalid(req, `file ${f.path} is added twice`, { path: f.path });
    paths.add(f.path);
    if (!isCount(f.rows) || !isCount(f.bytes)) throw invalid(req, `file ${f.path} needs non-negative integer rows and bytes`, { path: f.path });
    if (f.partition !== undefined && typeof f.partition !== 'string') throw invalid(req, `file ${f.path} has a non-string partition`, { path: f.path });
    if (f.batchId !== undefined && (typeof f.batchId !== 'string' || f.batchId === '')) throw invalid(req, `file ${f.path} has an empty batchId`, { path: f.path });
    if (f.columnStats === null || typeof f.columnStats !== 'object' || Array.isArray(f.columnStats)) {
      throw invalid(req, `file ${f.path} needs columnStats (an object keyed by column name)`, { path: f.path });
    }
  }
  for (const id of req.removedFileIds ?? []) if (!Number.isSafeInteger(id)) throw invalid(req, 'removedFileIds must be file ids');
  for (const b of req.removeBatchIds ?? []) if (typeof b !== 'string' || b === '') throw invalid(req, 'removeBatchIds must be non-empty strings');
  for (const p of req.removePartitions ?? []) if (typeof p !== 'string') throw invalid(req, 'removePartitions must be strings');
  if (req.batchId !== undefined && (typeof req.batchId !== 'string' || req.batchId === '')) throw invalid(req, 'batchId must be a non-empty string');
  const normalizedColumns = req.columns ? normalizeColumns(formatTableRef(table), req.columns) : undefined;
  return { ...req, table, added: req.added ?? [], normalizedColumns };
}

interface RemovedFile {
  id: number;
  row_count: number;
  byte_count: number;
}

/**
 * One commit inside one write transaction: lock the table row, check the
 * base, evolve the schema, retire removed files, record added ones, insert the
 * snapshot and compare-and-swap the table's current snapshot. Work is
 * proportional to the files added and removed, never to the table's size.
 */
export async function applyCommit(tx: SqlExecutor, ctx: CatalogContext, req: CheckedCommit): Promise<Omit<CommitResult, 'retries'>> {
  const ref = req.table;
  const name = formatTableRef(ref);
  const table = await requireTableRow(tx, ctx, ref, true);
  const tableId = Number(table.id);
  const current = table.current_snapshot_id === null ? null : Number(table.current_snapshot_id);
  const base = req.baseSnapshotId;
  if (base !== undefined && base !== current && req.operation !== 'append' && !req.retryOnConflict) {
    throw new CommitConflictError(ref, base, current);
  }
  const parent = current === null ? undefined : await snapshotRow(tx, current);
  const seq = (parent ? Number(parent.seq) : 0) + 1;
  const now = ctx.clock.now().getTime();

  const schema = await evolveSchema(tx, ctx, table, req.normalizedColumns);
  const removed = await collectRemovals(tx, req, tableId, base === undefined ? current : base, current);
  await retireFiles(tx, name, [...removed.keys()], seq);
  await checkNewPaths(tx, name, req.added);

  const added = req.added;
  const addedRows = added.reduce((n, f) => n + f.rows, 0);
  const addedBytes = added.reduce((n, f) => n + f.bytes, 0);
  const removedRows = [...removed.values()].reduce((n, f) => n + Number(f.row_count), 0);
  const removedBytes = [...removed.values()].reduce((n, f) => n + Number(f.byte_count), 0);
  const totals = await parentTotals(tx, tableId, parent);
  const summary = {
    ...(req.summary ?? {}),
    addedFiles: added.length,
    addedRows,
    addedBytes,
    removedFiles: removed.size,
    removedRows,
    removedBytes,
    totalFiles: totals.files + added.length - removed.size,
    totalRows: totals.rows + addedRows - removedRows,
    totalBytes: totals.bytes + addedBytes - removedBytes,
  };

  const [row] = await tx.query<SnapshotRow>(
    `INSERT INTO snapshots (table_id, seq, parent_id, operation, batch_id, schema_id, summary, committer, committed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${SNAPSHOT_COLUMNS}`,
    [tableId, seq, current, req.operation, req.batchId ?? null, schema.id, JSON.stringify(summary), req.committer, now],
  );
  await insertFiles(tx, tableId, req.batchId ?? null, seq, now, added);
  // The commit's batch, and any batch named by a file (recorded once, the first time it commits).
  const fileBatches = new Set(added.flatMap((f) => (f.batchId !== undefined && f.batchId !== req.batchId ? [f.batchId] : [])));
  for (const id of [...(req.batchId !== undefined ? [req.batchId] : []), ...fileBatches]) {
    await tx.run(
      `INSERT INTO batches (table_id, id, source, created_at, info) VALUES (?, ?, ?, ?, ?) ON CONFLICT (table_id, id) DO NOTHING`,
      [tableId, id, req.batchSource ?? req.committer, now, JSON.stringify(id === req.batchId ? (req.batchInfo ?? {}) : { commitBatch: req.batchId ?? null })],
    );
  }
  for (const part of chunked(added.map((f) => f.path))) {
    await tx.run(`DELETE FROM staged_files WHERE path IN (${placeholders(part.length)})`, part);
  }
  const swapped = await tx.run(
    `UPDATE tables SET current_snapshot_id = ?, current_schema_id = ?, next_column_id = ?, version = version + 1
     WHERE id = ? AND version = ?`,
    [Number(row!.id), schema.id, schema.nextColumnId, tableId, Number(table.version)],
  );
  if (swapped.changes !== 1) {
    throw new CatalogError('catalog.cas_lost', `another commit to ${name} landed first`, { retryable: true, details: { table: name } });
  }
  return { snapshot: toSnapshot(row!), addedFiles: added.length, removedFiles: removed.size };
}

async function snapshotRow(tx: SqlExecutor, id: number): Promise<SnapshotRow> {
  const [row] = await tx.query<SnapshotRow>(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE id = ?`, [id]);
  if (!row) throw new CatalogError('catalog.corrupt', `the current snapshot ${id} is missing`, { hint: 'run `ade catalog check`' });
  return row;
}

/** The schema the new snapshot uses: the current one, or a new version when the columns changed. */
async function evolveSchema(
  tx: SqlExecutor,
  ctx: CatalogContext,
  table: TableRow,
  columns: readonly NormalizedColumn[] | undefined,
): Promise<{ id: number; nextColumnId: number }> {
  const currentId = Number(table.current_schema_id);
  const nextColumnId = Number(table.next_column_id);
  if (!columns) return { id: currentId, nextColumnId };
  const current = await getSchema(tx, currentId);
  if (!columnsDiffer(current.columns, columns)) return { id: currentId, nextColumnId };
  const assigned = assignColumnIds(current.columns, columns, nextColumnId);
  const [latest] = await tx.query<{ v: number }>('SELECT MAX(version) AS v FROM schemas WHERE table_id = ?', [Number(table.id)]);
  const schema = await insertSchema(tx, ctx, Number(table.id), Number(latest?.v ?? 0) + 1, assigned.columns);
  return { id: schema.id, nextColumnId: assigned.nextColumnId };
}

/** Every current file the commit removes, by id. */
async function collectRemovals(
  tx: SqlExecutor,
  req: CheckedCommit,
  tableId: number,
  expected: number | null,
  current: number | null,
): Promise<Map<number, RemovedFile>> {
  const removed = new Map<number, RemovedFile>();
  const add = (rows: RemovedFile[]) => rows.forEach((r) => removed.set(Number(r.id), r));
  const live = 'SELECT id, row_count, byte_count FROM data_files WHERE table_id = ? AND removed_seq IS NULL';
  if (req.operation === 'replace') add(await tx.query<RemovedFile>(live, [tableId]));
  for (const part of chunked(req.removedFileIds ?? [])) {
    const rows = await tx.query<RemovedFile & { table_id: number; removed_seq: number | null }>(
      `SELECT id, table_id, row_count, byte_count, removed_seq FROM data_files WHERE id IN (${placeholders(part.length)})`,
      part,
    );
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    for (const id of part) {
      const r = byId.get(id);
      if (!r || Number(r.table_id) !== tableId) {
        throw invalid(req, `file ${id} is not a file of this table`, { fileId: id }, 'remove files by the ids the pinned snapshot lists');
      }
      if (r.removed_seq !== null) {
        throw new CommitConflictError(
          req.table,
          expected,
          current,
          `commit to ${formatTableRef(req.table)} conflicts: file ${id} it removes was already removed by another commit`,
        );
      }
    }
    add(rows);
  }
  for (const part of chunked(req.removeBatchIds ?? [])) {
    add(await tx.query<RemovedFile>(`${live} AND batch_id IN (${placeholders(part.length)})`, [tableId, ...part]));
  }
  for (const part of chunked(req.removePartitions ?? [])) {
    add(await tx.query<RemovedFile>(`${live} AND partition_value IN (${placeholders(part.length)})`, [tableId, ...part]));
  }
  return removed;
}

async function retireFiles(tx: SqlExecutor, table: string, ids: readonly number[], seq: number): Promise<void> {
  let changed = 0;
  for (const part of chunked(ids)) {
    const r = await tx.run(`UPDATE data_files SET removed_seq = ? WHERE removed_seq IS NULL AND id IN (${placeholders(part.length)})`, [
      seq,
      ...part,
    ]);
    changed += r.changes;
  }
  if (changed !== ids.length) {
    throw new CatalogError('catalog.cas_lost', `another commit to ${table} removed the same files first`, { retryable: true, details: { table } });
  }
}

/** Files are never overwritten: a path the catalog already knows is refused. */
async function checkNewPaths(tx: SqlExecutor, table: string, added: readonly DataFileInput[]): Promise<void> {
  const taken: string[] = [];
  for (const part of chunked(added.map((f) => f.path))) {
    const rows = await tx.query<{ path: string }>(`SELECT path FROM data_files WHERE path IN (${placeholders(part.length)})`, part);
    taken.push(...rows.map((r) => r.path));
  }
  if (taken.length > 0) throw fileExists(table, taken);
}

async function parentTotals(tx: SqlExecutor, tableId: number, parent: SnapshotRow | undefined): Promise<{ files: number; rows: number; bytes: number }> {
  if (!parent) return { files: 0, rows: 0, bytes: 0 };
  const s = JSON.parse(parent.summary) as Record<string, unknown>;
  if (isCount(s.totalFiles) && isCount(s.totalRows) && isCount(s.totalBytes)) {
    return { files: s.totalFiles as number, rows: s.totalRows as number, bytes: s.totalBytes as number };
  }
  const [r] = await tx.query<{ file_total: number; row_total: unknown; byte_total: unknown }>(
    `SELECT COUNT(*) AS file_total, SUM(row_count) AS row_total, SUM(byte_count) AS byte_total
     FROM data_files WHERE table_id = ? AND removed_seq IS NULL`,
    [tableId],
  );
  return { files: Number(r?.file_total ?? 0), rows: Number(r?.row_total ?? 0), bytes: Number(r?.byte_total ?? 0) };
}

async function insertFiles(
  tx: SqlExecutor,
  tableId: number,
  batchId: string | null,
  seq: number,
  now: number,
  files: readonly DataFileInput[],
): Promise<void> {
  for (const part of chunked(files, 50)) {
    const values: SqlValue[] = [];
    for (const f of part) {
      values.push(tableId, f.path, f.rows, f.bytes, f.partition ?? null, JSON.stringify(f.columnStats), f.batchId ?? batchId, seq, now);
    }
    await tx.run(
      `INSERT INTO data_files (table_id, path, row_count, byte_count, partition_value, column_stats, batch_id, added_seq, created_at)
       VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      values,
    );
  }
}

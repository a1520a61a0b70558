import { ValidationError, formatTableRef, type TableRef } from '../kernel/index.js';
import { checkCount, checkDate, type CatalogContext } from './catalog-context.js';
import type { SnapshotSelector } from './catalog-store.js';
import { snapshotNotFound } from './errors.js';
import { DATA_FILE_COLUMNS, SNAPSHOT_COLUMNS, toDataFile, toSnapshot, toTableInfo, type DataFileRow, type SnapshotRow } from './rows.js';
import { getSchema } from './schemas.js';
import type { SqlExecutor } from './sql-driver.js';
import { requireTableRow } from './tables.js';
import type { DataFile, PinnedSnapshot, Snapshot } from './types.js';

/** The files a snapshot with sequence number `seq` sees: added at or before it, not removed by then. */
export async function filesAt(tx: SqlExecutor, tableId: number, seq: number): Promise<DataFile[]> {
  const rows = await tx.query<DataFileRow>(
    `SELECT ${DATA_FILE_COLUMNS} FROM data_files
     WHERE table_id = ? AND added_seq <= ? AND (removed_seq IS NULL OR removed_seq > ?)
     ORDER BY id`,
    [tableId, seq, seq],
  );
  return rows.map(toDataFile);
}

const retentionHint = (name: string) =>
  `garbage collection expired it; read a newer snapshot (see the history of ${name}), or keep snapshots longer with a longer gc retention`;

async function selectSnapshot(tx: SqlExecutor, ref: TableRef, tableId: number, current: number | null, at: SnapshotSelector): Promise<SnapshotRow | undefined> {
  const name = formatTableRef(ref);
  if (at === undefined) {
    if (current === null) return undefined;
    const [row] = await tx.query<SnapshotRow>(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE id = ?`, [current]);
    return row;
  }
  if ('snapshotId' in at) {
    if (!Number.isSafeInteger(at.snapshotId)) {
      throw new ValidationError('snapshotId must be an integer', { code: 'validation.invalid', details: { snapshotId: at.snapshotId } });
    }
    const [row] = await tx.query<SnapshotRow>(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE id = ? AND table_id = ?`, [at.snapshotId, tableId]);
    if (!row) {
      throw snapshotNotFound(ref, `${at.snapshotId} of ${name}`, `list the snapshots of ${name} with its history`, { snapshotId: at.snapshotId });
    }
    return row;
  }
  if ('asOf' in at) {
    const asOf = checkDate('asOf', at.asOf);
    const [row] = await tx.query<SnapshotRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE table_id = ? AND committed_at <= ? ORDER BY seq DESC LIMIT 1`,
      [tableId, asOf],
    );
    if (!row) {
      const [first] = await tx.query<{ committed_at: number }>('SELECT committed_at FROM snapshots WHERE table_id = ? ORDER BY seq LIMIT 1', [tableId]);
      const iso = at.asOf.toISOString();
      throw snapshotNotFound(
        ref,
        `${name} as of ${iso}`,
        first
          ? `the first snapshot of ${name} was committed at ${new Date(Number(first.committed_at)).toISOString()}; read at or after that time`
          : `${name} has no snapshots yet`,
        { asOf: iso },
      );
    }
    return row;
  }
  throw new ValidationError('a snapshot selector is { snapshotId } or { asOf }', { code: 'validation.invalid' });
}

/** Pins a snapshot: the table, the snapshot, its schema and exactly its files. */
export async function pinSnapshot(tx: SqlExecutor, ctx: CatalogContext, ref: TableRef, at: SnapshotSelector): Promise<PinnedSnapshot> {
  const table = await requireTableRow(tx, ctx, ref);
  const tableId = Number(table.id);
  const current = table.current_snapshot_id === null ? null : Number(table.current_snapshot_id);
  const row = await selectSnapshot(tx, ref, tableId, current, at);
  if (row && row.expired_at !== null) {
    const name = formatTableRef(ref);
    throw snapshotNotFound(ref, `${Number(row.id)} of ${name}`, retentionHint(name), {
      snapshotId: Number(row.id),
      expiredAt: new Date(Number(row.expired_at)).toISOString(),
    });
  }
  const snapshot = row ? toSnapshot(row) : undefined;
  const schema = await getSchema(tx, snapshot ? snapshot.schemaId : Number(table.current_schema_id));
  const files = snapshot ? await filesAt(tx, tableId, snapshot.seq) : [];
  return { table: toTableInfo(table), snapshot, schema, files };
}

/** The table's snapshots, newest first, expired ones included (with `expiredAt`). */
export async function history(tx: SqlExecutor, ctx: CatalogContext, ref: TableRef, limit: number | undefined): Promise<Snapshot[]> {
  const table = await requireTableRow(tx, ctx, ref);
  const rows = await tx.query<SnapshotRow>(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE table_id = ? ORDER BY seq DESC LIMIT ?`, [
    Number(table.id),
    limit === undefined ? Number.MAX_SAFE_INTEGER : checkCount('limit', limit),
  ]);
  return rows.map(toSnapshot);
}

import type { TableRef } from '../kernel/index.js';
import { checkCount, type CatalogContext } from './catalog-context.js';
import { toBatch, type BatchRow } from './rows.js';
import type { SqlExecutor } from './sql-driver.js';
import { requireTableRow } from './tables.js';
import type { Batch } from './types.js';

const BATCH_COLUMNS = 'table_id, id, source, created_at, info';

/** The batch as first committed to the table, or undefined. */
export async function getBatch(tx: SqlExecutor, ctx: CatalogContext, ref: TableRef, batchId: string): Promise<Batch | undefined> {
  const table = await requireTableRow(tx, ctx, ref);
  const [row] = await tx.query<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM batches WHERE table_id = ? AND id = ?`, [Number(table.id), batchId]);
  return row ? toBatch(row) : undefined;
}

/** The table's batches, newest first. */
export async function listBatches(tx: SqlExecutor, ctx: CatalogContext, ref: TableRef, limit: number | undefined): Promise<Batch[]> {
  const table = await requireTableRow(tx, ctx, ref);
  const rows = await tx.query<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM batches WHERE table_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, [
    Number(table.id),
    limit === undefined ? 100 : checkCount('limit', limit),
  ]);
  return rows.map(toBatch);
}

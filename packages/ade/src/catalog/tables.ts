import { ValidationError, formatTableRef, type TableRef } from '../kernel/index.js';
import { appendAudit } from './audit.js';
import { checkRef, checkText, type CatalogContext } from './catalog-context.js';
import type { CreateTableRequest } from './catalog-store.js';
import { tableExists, tableNotFound } from './errors.js';
import { TABLE_COLUMNS, toTableInfo, type TableRow } from './rows.js';
import { assignColumnIds, normalizeColumns } from './schema-evolution.js';
import { insertSchema } from './schemas.js';
import { forUpdate, placeholders, type SqlExecutor } from './sql-driver.js';
import type { TableInfo, TableKind } from './types.js';

const TABLE_KINDS: readonly TableKind[] = ['table', 'dimension', 'fact', 'day', 'report', 'current', 'source'];

/** The live (not dropped) table row; `lock` takes its row lock for a compare-and-swap. */
export async function findTableRow(tx: SqlExecutor, ctx: CatalogContext, ref: TableRef, lock = false): Promise<TableRow | undefined> {
  const [row] = await tx.query<TableRow>(
    `SELECT ${TABLE_COLUMNS} FROM tables WHERE zone = ? AND name = ? AND dropped_at IS NULL${lock ? forUpdate(ctx.dialect) : ''}`,
    [ref.zone, ref.name],
  );
  return row;
}

/** Like `findTableRow`, but a missing table is a `table.not_found` error. */
export async function requireTableRow(tx: SqlExecutor, ctx: CatalogContext, ref: TableRef, lock = false): Promise<TableRow> {
  const row = await findTableRow(tx, ctx, ref, lock);
  if (!row) throw tableNotFound(ref);
  return row;
}

function checkTags(tags: readonly string[] | undefined): string[] {
  const list = tags ?? [];
  if (!Array.isArray(list) || list.some((t) => typeof t !== 'string' || t === '')) {
    throw new ValidationError('tags must be a list of non-empty strings', { code: 'validation.invalid', details: { tags } });
  }
  return [...new Set(list)];
}

/** Validates a create request without touching the database. */
export function checkCreateRequest(req: CreateTableRequest) {
  const ref = checkRef(req.table);
  const kind = req.kind ?? 'table';
  if (!TABLE_KINDS.includes(kind)) {
    throw new ValidationError(`unknown table kind ${JSON.stringify(kind)}`, {
      code: 'validation.invalid',
      hint: `table kinds are ${TABLE_KINDS.join(', ')}`,
      details: { table: formatTableRef(ref), kind },
    });
  }
  return {
    ref,
    kind,
    description: req.description ?? '',
    owner: req.owner ?? '',
    tags: checkTags(req.tags),
    columns: normalizeColumns(formatTableRef(ref), req.columns),
  };
}

/** Creates the table with schema version 1; `catalog.table_exists` when the name is taken. */
export async function createTable(tx: SqlExecutor, ctx: CatalogContext, req: CreateTableRequest): Promise<TableInfo> {
  const { ref, kind, description, owner, tags, columns } = checkCreateRequest(req);
  if (await findTableRow(tx, ctx, ref)) throw tableExists(ref);
  const now = ctx.clock.now().getTime();
  const [inserted] = await tx.query<{ id: number }>(
    `INSERT INTO tables (zone, name, kind, description, owner, tags, created_at, next_column_id, version)
     VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0) RETURNING id`,
    [ref.zone, ref.name, kind, description, owner, JSON.stringify(tags), now],
  );
  const tableId = Number(inserted!.id);
  const assigned = assignColumnIds([], columns, 1);
  const schema = await insertSchema(tx, ctx, tableId, 1, assigned.columns);
  await tx.run('UPDATE tables SET current_schema_id = ?, next_column_id = ? WHERE id = ?', [schema.id, assigned.nextColumnId, tableId]);
  await appendAudit(tx, ctx, {
    actor: owner || 'ade',
    action: 'table.create',
    target: formatTableRef(ref),
    details: { tableId, kind, columns: assigned.columns.map((c) => c.name) },
  });
  return toTableInfo(await requireTableRow(tx, ctx, ref));
}

/** Live tables, in zone order (raw → archive) then by name. */
export async function listTables(tx: SqlExecutor, zones: readonly string[] | undefined): Promise<TableInfo[]> {
  if (zones && zones.length === 0) return [];
  const where = zones ? ` AND t.zone IN (${placeholders(zones.length)})` : '';
  const rows = await tx.query<TableRow>(
    `SELECT ${TABLE_COLUMNS.split(', ').map((c) => `t.${c}`).join(', ')}
     FROM tables t JOIN zones z ON z.name = t.zone
     WHERE t.dropped_at IS NULL${where}
     ORDER BY z.position, t.name`,
    zones ? [...zones] : [],
  );
  return rows.map(toTableInfo);
}

export interface TablePatch {
  readonly description?: string;
  readonly owner?: string;
  readonly tags?: readonly string[];
}

/** Changes a table's description, owner or tags. */
export async function updateTable(tx: SqlExecutor, ctx: CatalogContext, ref: TableRef, patch: TablePatch): Promise<TableInfo> {
  const row = await requireTableRow(tx, ctx, ref, true);
  const tags = patch.tags === undefined ? row.tags : JSON.stringify(checkTags(patch.tags));
  await tx.run('UPDATE tables SET description = ?, owner = ?, tags = ? WHERE id = ?', [
    patch.description ?? row.description,
    patch.owner ?? row.owner,
    tags,
    row.id,
  ]);
  return toTableInfo(await requireTableRow(tx, ctx, ref));
}

/**
 * Drops the table: it disappears from the catalog at once and its name is
 * free again; its files become unreferenced, so GC deletes them later.
 */
export async function dropTable(tx: SqlExecutor, ctx: CatalogContext, ref: TableRef, committer: string): Promise<void> {
  checkText('committer', committer);
  const row = await requireTableRow(tx, ctx, ref, true);
  await tx.run('UPDATE tables SET dropped_at = ?, version = version + 1 WHERE id = ?', [ctx.clock.now().getTime(), row.id]);
  await appendAudit(tx, ctx, {
    actor: committer,
    action: 'table.drop',
    target: formatTableRef(ref),
    details: { tableId: Number(row.id), currentSnapshotId: row.current_snapshot_id },
  });
}

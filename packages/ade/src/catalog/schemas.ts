import { NotFoundError } from '../kernel/index.js';
import type { CatalogContext } from './catalog-context.js';
import { toSchemaVersion, type SchemaRow } from './rows.js';
import type { SqlExecutor } from './sql-driver.js';
import type { Column, SchemaVersion } from './types.js';

const SCHEMA_COLUMNS = 'id, table_id, version, columns, created_at';

/** Stores a new schema version of a table. */
export async function insertSchema(
  tx: SqlExecutor,
  ctx: CatalogContext,
  tableId: number,
  version: number,
  columns: readonly Column[],
): Promise<SchemaVersion> {
  const [row] = await tx.query<SchemaRow>(
    `INSERT INTO schemas (table_id, version, columns, created_at) VALUES (?, ?, ?, ?) RETURNING ${SCHEMA_COLUMNS}`,
    [tableId, version, JSON.stringify(columns), ctx.clock.now().getTime()],
  );
  return toSchemaVersion(row!);
}

/** One schema version by id; NotFound when there is none. */
export async function getSchema(tx: SqlExecutor, schemaId: number): Promise<SchemaVersion> {
  const [row] = await tx.query<SchemaRow>(`SELECT ${SCHEMA_COLUMNS} FROM schemas WHERE id = ?`, [schemaId]);
  if (!row) throw new NotFoundError('schema', String(schemaId), { hint: 'schema ids come from TableInfo.currentSchemaId or Snapshot.schemaId' });
  return toSchemaVersion(row);
}

/** Every schema version of a table, oldest first. */
export async function listSchemas(tx: SqlExecutor, tableId: number): Promise<SchemaVersion[]> {
  const rows = await tx.query<SchemaRow>(`SELECT ${SCHEMA_COLUMNS} FROM schemas WHERE table_id = ? ORDER BY version`, [tableId]);
  return rows.map(toSchemaVersion);
}

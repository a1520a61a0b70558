import type { DuckDBConnection } from '@duckdb/node-api';
import { messageOf, quoteIdent, quoteList, quoteQualified, validateName, ValidationError } from '../kernel/index.js';
import type { TableBinding } from './types.js';

/**
 * Creates a schema per zone and a view `zone.table` per binding: the binding's
 * columns, in order, over exactly its Parquet files. Files are unioned by
 * column name and every column is cast to the binding's type (DuckDB drops a
 * cast to the type a column already has, so filters still reach the Parquet
 * scan). A column no file has yet reads as NULL: when the view does not bind,
 * the files' columns are read and the view is built again from them.
 * A table without files is an empty view of the binding's column types.
 *
 * `replace` rebinds views a connection already has (the next part of a
 * multi-part write). Call it after the sandbox is locked: binding a view reads the files' footers,
 * so a file outside the allowed directories fails here, not later.
 */
export async function createTableViews(connection: DuckDBConnection, tables: readonly TableBinding[], opts: { replace?: boolean } = {}): Promise<void> {
  validateBindings(tables);
  for (const zone of new Set(tables.map((t) => t.zone))) {
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(zone)}`);
  }
  for (const table of tables) {
    const create = (fileColumns: FileColumns) =>
      connection.run(`CREATE ${opts.replace ? 'OR REPLACE ' : ''}VIEW ${quoteQualified(table.zone, table.name)} AS ${viewSelect(table, fileColumns)}`);
    if (table.files.length === 0) {
      await create(undefined);
      continue;
    }
    try {
      await create('unknown');
    } catch (e) {
      if (!BIND_FAILED.test(messageOf(e))) throw e;
      await create(await readFileColumns(connection, table.files));
    }
  }
}

/**
 * What a table's files are known to hold: lower-cased column name → type, or
 * `unknown` (assume every bound column is there), or `undefined` (no files).
 */
export type FileColumns = ReadonlyMap<string, string> | 'unknown' | undefined;

/** A view that does not bind (a column missing from every file reports in more than one way) is built again from the files' columns. */
const BIND_FAILED = /^(?:Failed to [a-z ]+: )?Binder Error: /;

/** The SELECT behind a table's view. */
export function viewSelect(table: TableBinding, fileColumns: FileColumns): string {
  if (fileColumns === undefined) {
    const list = table.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ');
    return `SELECT ${list} WHERE false`;
  }
  const list = table.columns
    .map((c) => {
      if (fileColumns === 'unknown') return `CAST(${quoteIdent(c.name)} AS ${c.type}) AS ${quoteIdent(c.name)}`;
      const found = fileColumns.get(c.name.toLowerCase());
      if (found === undefined) return `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`;
      if (sameType(found, c.type)) return quoteIdent(c.name);
      return `CAST(${quoteIdent(c.name)} AS ${c.type}) AS ${quoteIdent(c.name)}`;
    })
    .join(', ');
  return `SELECT ${list} FROM ${readParquet(table.files)}${dayFilter(table)}`;
}

/** ` WHERE CAST(col AS DATE) IN (…)` for a binding restricted to some days, else empty. */
function dayFilter(table: TableBinding): string {
  if (!table.days) return '';
  const { column, days } = table.days;
  if (days.length === 0) return ' WHERE false';
  return ` WHERE CAST(${quoteIdent(column)} AS DATE) IN (${days.map((d) => `DATE '${d}'`).join(', ')})`;
}

function readParquet(files: readonly string[]): string {
  return `read_parquet(${quoteList(files)}, union_by_name = true)`;
}

/** Column names and types across the files, by binding (not running) a scan of them. */
async function readFileColumns(connection: DuckDBConnection, files: readonly string[]): Promise<Map<string, string>> {
  const prepared = await connection.prepare(`SELECT * FROM ${readParquet(files)}`);
  try {
    const columns = new Map<string, string>();
    for (let i = 0; i < prepared.columnCount; i++) {
      columns.set(prepared.columnName(i).toLowerCase(), prepared.columnType(i).toString());
    }
    return columns;
  } finally {
    prepared.destroySync();
  }
}

function sameType(a: string, b: string): boolean {
  const norm = (t: string) => t.replaceAll('"', '').replace(/\s+/g, ' ').trim().toUpperCase();
  return norm(a) === norm(b);
}

/**
 * A DuckDB type name as the catalog records it (`BIGINT`, `DECIMAL(18,3)`,
 * `STRUCT(a INTEGER, "b c" VARCHAR)`, `VARCHAR[]`, `ENUM('a', 'b')`): pasted
 * into the view's SQL, so it may hold no statement separator or comment and
 * its brackets must balance.
 */
const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_ ,()[\]"'.]*$/;

function validateType(type: string, where: string): void {
  let depth = 0;
  let quote: string | undefined;
  for (const ch of type) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    if (depth < 0) break;
  }
  if (!TYPE_PATTERN.test(type) || depth !== 0 || quote !== undefined) {
    throw new ValidationError(`invalid column type ${JSON.stringify(type)} for ${where}`, {
      code: 'validation.column_type',
      hint: 'column types are DuckDB type names such as BIGINT, VARCHAR, DECIMAL(18,3) or TIMESTAMP',
      details: { type, column: where },
    });
  }
}

function validateBindings(tables: readonly TableBinding[]): void {
  const seen = new Set<string>();
  for (const table of tables) {
    validateName('zone', table.zone);
    validateName('table', table.name);
    const ref = `${table.zone}.${table.name}`;
    if (seen.has(ref)) throw new ValidationError(`table ${ref} is bound twice`, { details: { table: ref } });
    if (table.days) {
      validateName('column', table.days.column);
      if (!table.columns.some((c) => c.name === table.days!.column)) {
        throw new ValidationError(`table ${ref} has no column ${table.days.column} to select days by`, { details: { table: ref, column: table.days.column } });
      }
      for (const d of table.days.days) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new ValidationError(`day ${JSON.stringify(d)} for ${ref} is not YYYY-MM-DD`, { details: { table: ref, day: d } });
      }
    }
    seen.add(ref);
    if (table.columns.length === 0) {
      throw new ValidationError(`table ${ref} has no columns`, { details: { table: ref } });
    }
    const names = new Set<string>();
    for (const column of table.columns) {
      validateName('column', column.name);
      if (names.has(column.name)) {
        throw new ValidationError(`column ${column.name} appears twice in ${ref}`, { details: { table: ref, column: column.name } });
      }
      names.add(column.name);
      validateType(column.type, `${ref}.${column.name}`);
    }
  }
}

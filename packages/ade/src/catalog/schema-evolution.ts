import { ValidationError, validateName } from '../kernel/index.js';
import type { Column, ColumnInput, PrivacyClass } from './types.js';

const PRIVACY_CLASSES: readonly PrivacyClass[] = ['none', 'pseudonymous', 'personal', 'sensitive'];

/** A column as stored, before it has an id. */
export type NormalizedColumn = Omit<Column, 'id'>;

/** Simple type names (`bigint`, `decimal(10, 2)`, `double precision`) compare upper-cased; nested types stay as written. */
function normalizeType(type: string): string {
  const t = type.trim().replace(/\s+/g, ' ');
  return /^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?$/.test(t) ? t.toUpperCase().replace(/\s*([(),])\s*/g, '$1') : t;
}

/** Validates a column list (names, duplicates, types, privacy) and fills in defaults. */
export function normalizeColumns(table: string, columns: readonly ColumnInput[]): NormalizedColumn[] {
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new ValidationError(`table ${table} needs at least one column`, {
      code: 'validation.columns',
      hint: 'pass the columns the data files hold, e.g. [{ name: "id", type: "BIGINT" }]',
      details: { table },
    });
  }
  const seen = new Set<string>();
  return columns.map((c) => {
    validateName('column', c.name);
    if (seen.has(c.name)) {
      throw new ValidationError(`column ${c.name} appears twice in table ${table}`, {
        code: 'validation.columns',
        hint: 'give every column a distinct name',
        details: { table, column: c.name },
      });
    }
    seen.add(c.name);
    if (typeof c.type !== 'string' || c.type.trim() === '') {
      throw new ValidationError(`column ${c.name} of table ${table} has no type`, {
        code: 'validation.columns',
        hint: 'use a DuckDB type name such as BIGINT, DOUBLE, VARCHAR, TIMESTAMP',
        details: { table, column: c.name },
      });
    }
    const privacy = c.privacy ?? 'none';
    if (!PRIVACY_CLASSES.includes(privacy)) {
      throw new ValidationError(`column ${c.name} of table ${table} has unknown privacy class ${JSON.stringify(privacy)}`, {
        code: 'validation.columns',
        hint: `privacy classes are ${PRIVACY_CLASSES.join(', ')}`,
        details: { table, column: c.name },
      });
    }
    return {
      name: c.name,
      type: normalizeType(c.type),
      nullable: c.nullable ?? true,
      privacy,
      ...(c.doc === undefined ? {} : { doc: c.doc }),
    };
  });
}

/** True when the lists differ in order, names, types, nullability or privacy (docs do not count). */
export function columnsDiffer(current: readonly Column[], next: readonly NormalizedColumn[]): boolean {
  if (current.length !== next.length) return true;
  return current.some((c, i) => {
    const n = next[i]!;
    return c.name !== n.name || c.type !== n.type || c.nullable !== n.nullable || c.privacy !== n.privacy;
  });
}

/**
 * Gives `next` stable ids: a column keeps the id it has in `current` (matched
 * by name); a new column takes the next unused id. A column that was dropped
 * and comes back gets a new id, so old files are never misread.
 */
export function assignColumnIds(
  current: readonly Column[],
  next: readonly NormalizedColumn[],
  nextColumnId: number,
): { columns: Column[]; nextColumnId: number } {
  const byName = new Map(current.map((c) => [c.name, c.id]));
  let nextId = nextColumnId;
  const columns = next.map((c) => ({ id: byName.get(c.name) ?? nextId++, ...c }));
  return { columns, nextColumnId: nextId };
}

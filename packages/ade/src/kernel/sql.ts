/**
 * The one place where SQL text is quoted. Never paste user input into SQL any
 * other way.
 */

/** `my "col"` → `"my ""col"""`. */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new TypeError('identifier contains a NUL byte');
  return `"${name.replaceAll('"', '""')}"`;
}

/** `it's` → `'it''s'`; null → NULL; numbers and booleans as literals. */
export function quoteLiteral(value: string | number | bigint | boolean | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot quote non-finite number ${value}`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (value.includes('\u0000')) throw new TypeError('string literal contains a NUL byte');
  return `'${value.replaceAll("'", "''")}'`;
}

/** `zone.table` as a quoted two-part name. */
export function quoteQualified(...parts: string[]): string {
  return parts.map(quoteIdent).join('.');
}

/** A list of string literals: `['a', 'b']` for DuckDB list arguments. */
export function quoteList(values: readonly string[]): string {
  return `[${values.map(quoteLiteral).join(', ')}]`;
}

import { ADE_NAMESPACE, quoteLiteral, uuidv5 } from '../kernel/index.js';

/** Separates the table and the key parts in a surrogate key's name (a control character no key holds). */
const SEP = '\u001f';
/** Stands for a NULL key part. */
const NULL_PART = '\u0000';

/**
 * The surrogate key of a dimension row: UUIDv5 (RFC 4122, SHA-1, ade's
 * namespace) of `<zone.table>␟<part>␟<part>…`, each part the key column as
 * text (NULL as U+0000). Identical on every rebuild, on any machine, and
 * computable row by row in parallel — no sequence, no lookup.
 */
export function surrogateKey(table: string, parts: readonly (string | number | bigint | boolean | null)[]): string {
  return uuidv5([table, ...parts.map((p) => (p === null ? NULL_PART : String(p)))].join(SEP), ADE_NAMESPACE);
}

/** The namespace UUID's 16 bytes as an SQL BLOB literal. */
function namespaceBlob(): string {
  return `unhex(${quoteLiteral(ADE_NAMESPACE.replaceAll('-', ''))})`;
}

/**
 * `surrogateKey` in DuckDB SQL over key expressions (cast to text the way
 * DuckDB does: integers and strings agree with JavaScript; use them as keys).
 */
export function surrogateKeySql(table: string, keyExprs: readonly string[]): string {
  const parts = keyExprs.map((e) => `coalesce(CAST(${e} AS VARCHAR), chr(0))`);
  const name = [quoteLiteral(table), ...parts].join(` || chr(31) || `);
  const h = `sha1(${namespaceBlob()} || encode(${name}))`;
  // Version 5 in the high nibble of byte 6; RFC 4122 variant (10xx) in the high bits of byte 8.
  const variant = `substr('89ab', (strpos('0123456789abcdef', substr(_h, 17, 1)) - 1) % 4 + 1, 1)`;
  const formatted = `substr(_h, 1, 8) || '-' || substr(_h, 9, 4) || '-5' || substr(_h, 14, 3) || '-' || ${variant} || substr(_h, 18, 3) || '-' || substr(_h, 21, 12)`;
  // A one-element list and a lambda: the hash is computed once per row, without a subquery.
  return `list_transform([${h}], _h -> ${formatted})[1]`;
}

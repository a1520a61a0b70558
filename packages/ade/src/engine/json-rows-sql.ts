import { DuckDBTypeId, type DuckDBBlobVector, type DuckDBType } from '@duckdb/node-api';
import { quoteIdent, quoteLiteral } from '../kernel/index.js';

/** A result column as the wrapper sees it: its (deduplicated) name and DuckDB type. */
export interface JsonColumn {
  readonly name: string;
  readonly type: DuckDBType;
}

const MAX_SAFE = '9007199254740991';

/**
 * A DOUBLE as `jsonValue` writes it: NaN and ±Infinity as strings; whole
 * numbers below 2^53 without a fraction (`2`, not DuckDB's `2.0`; −0 as `0`),
 * as JavaScript prints them. Other numbers keep DuckDB's shortest round-trip
 * text, which parses to the same double (only the style of an exponent may
 * differ: `1e21` for JavaScript's `1e+21`).
 */
function doubleJson(x: string): string {
  return (
    `CASE WHEN isnan(${x}) THEN '"NaN"'::JSON WHEN isinf(${x}) THEN (CASE WHEN ${x} > 0 THEN '"Infinity"' ELSE '"-Infinity"' END)::JSON ` +
    `WHEN ${x} = trunc(${x}) AND abs(${x}) < ${MAX_SAFE} THEN to_json(${x}::BIGINT) ELSE to_json(${x}) END`
  );
}

/** `2024-01-31 12:00:00.5` → `2024-01-31T12:00:00.5` (the first space only, as `isoTimestamp`). */
function isoText(x: string): string {
  return `regexp_replace(${x}, '^(-?\\d{4,}-\\d\\d-\\d\\d) ', '\\1T')`;
}

/**
 * The SQL value that `json_object` turns into exactly what `jsonValue` (then
 * `JSON.stringify`) makes of one column, or undefined for types it leaves to
 * JavaScript (nested values, intervals, times with zones and rarer kinds).
 */
function columnJson(x: string, type: DuckDBType): string | undefined {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.VARCHAR:
      return x;
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DECIMAL:
      return doubleJson(`${x}::DOUBLE`);
    case DuckDBTypeId.DOUBLE:
      return doubleJson(x);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return `CASE WHEN ${x} BETWEEN -${MAX_SAFE} AND ${MAX_SAFE} THEN to_json(${x}) ELSE to_json(${x}::VARCHAR) END`;
    case DuckDBTypeId.DATE:
    case DuckDBTypeId.UUID:
      return `${x}::VARCHAR`;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
      return isoText(`${x}::TIMESTAMP::VARCHAR`);
    case DuckDBTypeId.TIMESTAMP_TZ:
      // In UTC whatever the instance's TimeZone, as JavaScript prints it; finite values only (else JavaScript's text).
      return `CASE WHEN isfinite(${x}) THEN ${isoText(`make_timestamp(epoch_us(${x}))::VARCHAR`)} || 'Z' ELSE ${x}::VARCHAR END`;
    case DuckDBTypeId.BLOB:
      return `to_base64(${x})`;
    default:
      return undefined;
  }
}

/**
 * SQL that turns each row of one read-only statement into its JSON object
 * text, as a BLOB of UTF-8 (no decoding in JavaScript): the same values that
 * `jsonValue` and `JSON.stringify` make of the row (the same text but for the
 * style of some numbers, see `doubleJson`), with the keys in column order. DuckDB builds it on its own threads, which is several
 * times cheaper than converting every value to JavaScript first.
 *
 * Undefined when a column has a type that is left to JavaScript (see
 * `columnJson`): the caller then encodes rows the usual way.
 *
 * @example
 * jsonRowsSql('SELECT 1 AS a', [{ name: 'a', type: INTEGER }])
 * // SELECT encode(json_object('a', "c0")::VARCHAR) AS json FROM (\nSELECT 1 AS a\n) AS _q("c0")
 */
export function jsonRowsSql(sql: string, columns: readonly JsonColumn[]): string | undefined {
  const parts: string[] = [];
  for (const [i, column] of columns.entries()) {
    const value = columnJson(quoteIdent(`c${i}`), column.type);
    if (value === undefined) return undefined;
    parts.push(`${quoteLiteral(column.name)}, ${value}`);
  }
  const aliases = columns.map((_, i) => quoteIdent(`c${i}`)).join(', ');
  // Newlines keep a trailing `-- comment` in `sql` from swallowing the parenthesis.
  return `SELECT encode(json_object(${parts.join(', ')})::VARCHAR) AS json FROM (\n${sql}\n) AS _q(${aliases})`;
}

/** DuckDB's result column names made unique as `DuckDBResult.deduplicatedColumnNames` does (`a`, `a:1`, …). */
export function deduplicatedNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n > 1 ? `${name}:${n - 1}` : name;
  });
}

const ROW_SEPARATOR = { json: Buffer.from(',\n'), ndjson: Buffer.from('\n') } as const;

/**
 * One chunk's JSON rows as one buffer: for `json` each row after a `,\n`
 * (the first of the result after `\n`); for `ndjson` each row before a `\n`.
 */
export function joinJsonRows(vector: DuckDBBlobVector, count: number, format: 'json' | 'ndjson', first: boolean): Buffer {
  const rows: Uint8Array[] = new Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const bytes = vector.getItemBytes(i)!;
    rows[i] = bytes;
    total += bytes.length;
  }
  const separator = ROW_SEPARATOR[format];
  const out = Buffer.allocUnsafe(total + separator.length * count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (format === 'json') {
      if (i === 0 && first) out[at++] = 0x0a;
      else at += separator.copy(out, at);
    }
    out.set(rows[i]!, at);
    at += rows[i]!.length;
    if (format === 'ndjson') out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}

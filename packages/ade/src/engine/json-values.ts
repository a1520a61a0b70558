import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBArrayValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTypeId,
  DuckDBUnionValue,
  fromVariantValue,
  type DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBValueConverter,
} from '@duckdb/node-api';

/**
 * DuckDB values as JSON-safe JavaScript:
 *
 * - BIGINT, HUGEINT and the unsigned kinds: a number when it is a safe
 *   integer, else its decimal string; DECIMAL: a number.
 * - FLOAT/DOUBLE: a number; NaN and ±Infinity as the strings `NaN`, `Infinity`.
 * - DATE: `2024-01-31` (`infinity`, `-infinity`); TIMESTAMP: `2024-01-31T12:00:00.123456`;
 *   TIMESTAMPTZ: `2024-01-31T12:00:00Z` (UTC); TIME, INTERVAL, UUID, ENUM as
 *   DuckDB prints them.
 * - BLOB: base64. LIST/ARRAY: arrays; STRUCT: objects; MAP: `[{key, value}]`;
 *   UNION: `{tag, value}`.
 */
export const jsonValue: DuckDBValueConverter<unknown> = (value, type, converter) => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return Boolean(value);
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return finiteOrString(Number(value));
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return safeInteger(value);
    case DuckDBTypeId.DECIMAL:
      return value instanceof DuckDBDecimalValue ? value.toDouble() : Number(value);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return isoTimestamp(String(value));
    case DuckDBTypeId.TIMESTAMP_TZ:
      return isoTimestamp(String(value)).replace(/\+00(?::00)?$/, 'Z');
    case DuckDBTypeId.DATE:
      // ±infinity as DuckDB prints them (the client library would print a date 5.9 million years away).
      return value instanceof DuckDBDateValue && Math.abs(value.days) === 2 ** 31 - 1 ? (value.days > 0 ? 'infinity' : '-infinity') : String(value);
    case DuckDBTypeId.BLOB:
      return value instanceof DuckDBBlobValue ? Buffer.from(value.bytes).toString('base64') : String(value);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return value instanceof DuckDBListValue || value instanceof DuckDBArrayValue
        ? value.items.map((item) => converter(item, type.valueType, converter))
        : String(value);
    case DuckDBTypeId.STRUCT:
      return value instanceof DuckDBStructValue ? structObject(value, type, converter) : String(value);
    case DuckDBTypeId.MAP:
      return value instanceof DuckDBMapValue
        ? value.entries.map((e) => ({
            key: converter(e.key, type.keyType, converter),
            value: converter(e.value, type.valueType, converter),
          }))
        : String(value);
    case DuckDBTypeId.UNION:
      return value instanceof DuckDBUnionValue
        ? { tag: value.tag, value: converter(value.value, type.memberTypeForTag(value.tag), converter) }
        : String(value);
    case DuckDBTypeId.VARIANT:
      return fromVariantValue(value, type, converter);
    case DuckDBTypeId.SQLNULL:
      return null;
    default:
      return String(value);
  }
};

/** Rows of one chunk as objects keyed by `names` (one per column). */
export function chunkRows(chunk: DuckDBDataChunk, names: readonly string[]): Record<string, unknown>[] {
  const rowCount = chunk.rowCount;
  const columns = names.map((_, i) => chunk.convertColumnValues(i, jsonValue));
  const rows: Record<string, unknown>[] = new Array(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < names.length; c++) row[names[c]!] = columns[c]![r];
    rows[r] = row;
  }
  return rows;
}

/** One value the way {@link jsonValue} converts it (for statistics read back from Parquet). */
export function toJsonValue(value: DuckDBValue, type: DuckDBType): unknown {
  return jsonValue(value, type, jsonValue);
}

function finiteOrString(n: number): number | string {
  return Number.isFinite(n) ? n : String(n);
}

function safeInteger(value: DuckDBValue): number | string {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  return typeof value === 'number' ? value : String(value);
}

/** `2024-01-31 12:00:00.5` → `2024-01-31T12:00:00.5`; `infinity` stays. */
export function isoTimestamp(text: string): string {
  return /^-?\d{4,}-\d\d-\d\d /.test(text) ? text.replace(' ', 'T') : text;
}

function structObject(
  value: DuckDBStructValue,
  type: DuckDBType & { typeForEntry(name: string): DuckDBType },
  converter: DuckDBValueConverter<unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value.entries)) {
    out[key] = converter(value.entries[key] ?? null, type.typeForEntry(key), converter);
  }
  return out;
}

/**
 * The type a column of DuckDB type `type` has once written to Parquet and
 * read back: HUGEINT and UHUGEINT become DOUBLE, ENUMs, BIT and BIGNUM
 * (VARINT) become VARCHAR, TIMESTAMP_S/_MS become TIMESTAMP — also inside
 * lists, structs and maps. A table's schema records what its files hold, so
 * types known only from a query's description (an empty result, a write
 * planned before it runs) are mapped the same way.
 *
 * @example storedType('STRUCT(n HUGEINT, tags ENUM(\'a\', \'b\')[])') // 'STRUCT(n DOUBLE, tags VARCHAR[])'
 */
export function storedType(type: string): string {
  return type
    .replace(/\bENUM\((?:\s*'(?:[^']|'')*'\s*,?)*\)/g, 'VARCHAR')
    .replace(/\bU?HUGEINT\b/g, 'DOUBLE')
    .replace(/\bTIMESTAMP_(?:S|MS)\b/g, 'TIMESTAMP')
    .replace(/\b(?:BIT|BITSTRING|BIGNUM|VARINT)\b/g, 'VARCHAR');
}

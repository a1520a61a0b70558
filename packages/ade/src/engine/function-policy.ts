import { PermissionError } from '../kernel/index.js';

/**
 * Table functions a query may call: readers (still limited to the allowed
 * directories), generators and catalog introspection. Any other table
 * function is refused; some change the instance even inside a SELECT, e.g.
 * `enable_logging(storage := 'file', …)` and `enable_profiling(save_location := …)`
 * write files, which no configuration lock prevents.
 */
const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'read_parquet',
  'parquet_scan',
  'read_csv',
  'read_csv_auto',
  'read_json',
  'read_json_auto',
  'read_json_objects',
  'read_json_objects_auto',
  'read_ndjson',
  'read_ndjson_auto',
  'read_ndjson_objects',
  'read_ndjson_objects_auto',
  'read_text',
  'read_blob',
  'glob',
  'sniff_csv',
  'parquet_metadata',
  'parquet_schema',
  'parquet_file_metadata',
  'parquet_kv_metadata',
  'parquet_full_metadata',
  'parquet_bloom_probe',
  'range',
  'generate_series',
  'unnest',
  'repeat',
  'repeat_row',
  'json_each',
  'json_tree',
  'summary',
  'query_table',
  'icu_calendar_names',
  'pg_timezone_names',
  'duckdb_columns',
  'duckdb_constraints',
  'duckdb_databases',
  'duckdb_dependencies',
  'duckdb_functions',
  'duckdb_indexes',
  'duckdb_keywords',
  'duckdb_memory',
  'duckdb_optimizers',
  'duckdb_schemas',
  'duckdb_sequences',
  'duckdb_settings',
  'duckdb_tables',
  'duckdb_temporary_files',
  'duckdb_types',
  'duckdb_variables',
  'duckdb_views',
  'pragma_collations',
  'pragma_database_size',
  'pragma_platform',
  'pragma_show',
  'pragma_storage_info',
  'pragma_table_info',
  'pragma_user_agent',
  'pragma_version',
]);

/**
 * Scalar functions a query may not call: ones that run SQL given as text
 * (beyond the reach of the statement check), change logging or profiling,
 * or only hold a thread.
 */
const DENIED_FUNCTIONS: ReadonlySet<string> = new Set([
  'query',
  'json_execute_serialized_sql',
  'json_serialize_plan',
  'enable_logging',
  'disable_logging',
  'truncate_duckdb_logs',
  'enable_profiling',
  'disable_profiling',
  'write_log',
  'checkpoint',
  'force_checkpoint',
  'enable_peg_parser',
  'disable_peg_parser',
  'sleep_ms',
  'pg_sleep',
]);

/**
 * Throws a `PermissionError` naming the first function the parsed statements
 * (DuckDB's `json_serialize_sql` tree) call that a session may not: a table
 * function outside {@link ALLOWED_TABLE_FUNCTIONS} or a function in
 * {@link DENIED_FUNCTIONS}.
 */
export function assertAllowedFunctions(statements: readonly unknown[]): void {
  const refused = findRefused(statements);
  if (refused) {
    throw new PermissionError(`the function ${refused} is not allowed in a query`, {
      hint: 'queries may read tables and files with read_parquet, read_csv, read_json, glob and the like, but not change the engine',
      details: { function: refused },
    });
  }
}

function findRefused(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const child of node) {
      const refused = findRefused(child);
      if (refused) return refused;
    }
    return undefined;
  }
  if (node === null || typeof node !== 'object') return undefined;
  const record = node as Record<string, unknown>;
  if (record['type'] === 'TABLE_FUNCTION') {
    const name = functionName(record['function']);
    if (name === undefined || !ALLOWED_TABLE_FUNCTIONS.has(name)) return name ?? 'unknown table function';
  }
  if (record['class'] === 'FUNCTION') {
    const name = functionName(record);
    if (name !== undefined && DENIED_FUNCTIONS.has(name)) return name;
  }
  for (const value of Object.values(record)) {
    const refused = findRefused(value);
    if (refused) return refused;
  }
  return undefined;
}

function functionName(node: unknown): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const name = (node as Record<string, unknown>)['function_name'];
  return typeof name === 'string' ? name.toLowerCase() : undefined;
}

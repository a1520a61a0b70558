import type { DuckDBPreparedStatement } from '@duckdb/node-api';
import { ValidationError } from '../kernel/index.js';

/** A value bound to a SQL parameter: DuckDB types it (whole numbers as INTEGER or BIGINT, others DOUBLE; strings VARCHAR). */
export type SqlValue = string | number | boolean | null;

/** Values for `?` / `$1` placeholders (a list, in order) or for `$name` placeholders (an object). */
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;

/** Most values one query may bind. */
const MAX_PARAMS = 1000;
const HINT = 'params is a list for ? or $1 placeholders, or an object for $name ones; values are strings, numbers, booleans or null';

/**
 * Checks that `value` is {@link SqlParams} (a list or a plain object of
 * strings, finite numbers, booleans and nulls) and returns it, or throws a
 * `ValidationError` `validation.sql_params`.
 *
 * @example
 * checkSqlParams(['ana', 3]);   // SELECT * FROM clean.orders WHERE owner = ? AND n > ?
 * checkSqlParams({ owner: 'ana' }); // … WHERE owner = $owner
 */
export function checkSqlParams(value: unknown): SqlParams {
  const fail = (message: string): never => {
    throw new ValidationError(message, { code: 'validation.sql_params', hint: HINT });
  };
  if (value === null || typeof value !== 'object') return fail('params must be a list or an object');
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return fail('params must be a list or a plain object');
  const entries = Object.entries(value);
  if (entries.length > MAX_PARAMS) fail(`at most ${MAX_PARAMS} params, got ${entries.length}`);
  for (const [key, v] of entries) {
    const ok = v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
    if (!ok) fail(`param ${JSON.stringify(key)} is ${typeof v === 'number' ? String(v) : typeof v}; values are strings, finite numbers, booleans or null`);
    if (!Array.isArray(value) && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) fail(`param name ${JSON.stringify(key)} is not a $name placeholder name`);
  }
  return value as SqlParams;
}

/**
 * Binds `params` to a prepared statement as values (never as SQL text): a
 * list must fill every placeholder in order, an object must name exactly the
 * statement's `$name` placeholders. Throws `validation.sql_params` otherwise.
 */
export function bindSqlParams(statement: DuckDBPreparedStatement, params: SqlParams): void {
  const checked = checkSqlParams(params);
  const count = statement.parameterCount;
  const names = Array.from({ length: count }, (_, i) => statement.parameterName(i + 1));
  const mismatch = (message: string): never => {
    throw new ValidationError(message, { code: 'validation.sql_params', hint: HINT, details: { placeholders: names } });
  };
  if (Array.isArray(checked)) {
    if (names.some((n) => !/^\d+$/.test(n))) mismatch('the SQL has $name placeholders: give params as an object');
    if (checked.length !== count) mismatch(`the SQL has ${count} placeholder(s) but ${checked.length} param(s) were given`);
    statement.bind([...(checked as readonly SqlValue[])]);
    return;
  }
  const given = Object.keys(checked);
  const missing = names.filter((n) => !given.includes(n));
  const unknown = given.filter((n) => !names.includes(n));
  if (missing.length || unknown.length) {
    mismatch(
      [missing.length ? `no value for ${missing.map((n) => `$${n}`).join(', ')}` : '', unknown.length ? `no placeholder ${unknown.map((n) => `$${n}`).join(', ')}` : '']
        .filter(Boolean)
        .join('; '),
    );
  }
  statement.bind({ ...(checked as Readonly<Record<string, SqlValue>>) });
}

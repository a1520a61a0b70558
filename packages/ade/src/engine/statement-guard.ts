import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { PermissionError, quoteLiteral, ValidationError } from '../kernel/index.js';
import { EngineError, engineErrorFrom } from './errors.js';
import { assertAllowedFunctions } from './function-policy.js';
import { leadingKeyword, splitStatements } from './split-statements.js';
import { bindSqlParams, type SqlParams } from './sql-params.js';

/** How much SQL the guard lets through. */
export interface GuardOptions {
  /** Allow `EXPLAIN [ANALYZE] <select>` as the only statement (sessions: yes; writes: no). */
  readonly allowExplain: boolean;
  /** Refuse more statements than this. */
  readonly maxStatements: number;
}

/** What the parse-level check admitted: the SQL may run as it is, or be prepared. */
export interface Verdict {
  /** How many statements the SQL holds, each a SELECT (or the one EXPLAIN of a SELECT). */
  readonly count: number;
  /** The SQL is `EXPLAIN [ANALYZE] <select>`. */
  readonly explain: boolean;
  /** The text of each statement, when the lexer found as many as DuckDB (for wrapping a write's SELECT). */
  readonly texts: readonly string[];
}

/** Statements the guard admitted, prepared and not yet run. */
export interface GuardedSql {
  readonly statements: readonly DuckDBPreparedStatement[];
  /** The text of each statement, for wrapping (a write's single SELECT). */
  readonly texts: readonly string[];
}

const EXPLAIN_PREFIX = /^\s*explain\s+(?:analyze\s+)?/i;
const ONLY_SELECT = 'Only SELECT statements';
const ALLOWED_HINT = 'only read queries run here: SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, PIVOT … IN (…), EXPLAIN';

/**
 * Admits read-only SQL by parsing it, or throws; nothing is bound, planned or
 * run.
 *
 * The check is DuckDB's own parser, never pattern matching:
 * `json_serialize_sql` parses without binding or planning and accepts nothing
 * but SELECT statements (binding is not free of effects: preparing
 * `EXPORT DATABASE` creates its directory). Anything else (COPY, ATTACH,
 * INSTALL, LOAD, SET, PRAGMA, CALL, CREATE, INSERT, TRANSACTION…) is a
 * `PermissionError` naming the statement, and so is a SELECT calling a
 * function that changes the engine (see `function-policy.ts`).
 * `EXPLAIN [ANALYZE]` is admitted, alone, when what it explains passes.
 */
export async function checkReadOnly(connection: DuckDBConnection, sql: string, options: GuardOptions): Promise<Verdict> {
  const texts = splitStatements(sql);
  const check = await serializeCheck(connection, sql);
  let count: number;
  let explain = false;
  if (!check.ok) {
    if (!check.message.startsWith(ONLY_SELECT)) throw await syntaxError(connection, sql, check.message);
    const explained = options.allowExplain && texts.length === 1 ? await explainedSelect(connection, sql) : undefined;
    if (!explained) throw await refusal(connection, texts);
    assertAllowedFunctions(explained);
    explain = true;
    count = 1;
  } else if (check.count === 0) {
    throw new ValidationError('there is no SQL statement to run', { code: 'validation.sql_empty' });
  } else {
    assertAllowedFunctions(check.statements);
    count = check.count;
  }
  if (count > options.maxStatements) {
    throw new ValidationError(`expected at most ${options.maxStatements} statement(s), got ${count}`, {
      code: 'validation.sql_statements',
      hint: 'send one query at a time',
      details: { statements: count },
    });
  }
  return { count, explain, texts: texts.length === count ? texts : [] };
}

/**
 * Prepares SQL that {@link checkReadOnly} admitted, and checks again, on what
 * DuckDB prepared, that every statement is a SELECT (or the admitted EXPLAIN).
 * `params` are bound as values to the one statement (SQL with params must be
 * a single statement).
 */
export async function prepareChecked(
  connection: DuckDBConnection,
  sql: string,
  verdict: Verdict,
  params?: SqlParams,
): Promise<DuckDBPreparedStatement[]> {
  if (params !== undefined && verdict.count !== 1) {
    throw new ValidationError(`SQL with params must be one statement, got ${verdict.count}`, {
      code: 'validation.sql_params',
      hint: 'send one statement with its params',
    });
  }
  const extracted = await connection.extractStatements(sql);
  if (extracted.count !== verdict.count) {
    throw new PermissionError('the SQL could not be checked statement by statement', { hint: ALLOWED_HINT });
  }
  const allowed = verdict.explain ? StatementType.EXPLAIN : StatementType.SELECT;
  const statements: DuckDBPreparedStatement[] = [];
  try {
    for (let i = 0; i < verdict.count; i++) {
      const prepared = await extracted.prepare(i);
      statements.push(prepared);
      if (prepared.statementType !== allowed) throw denied(StatementType[prepared.statementType] ?? 'unknown');
    }
    if (params !== undefined) bindSqlParams(statements[0]!, params);
  } catch (e) {
    for (const s of statements) s.destroySync();
    throw engineErrorFrom(e, { operation: 'prepare' });
  }
  return statements;
}

/** {@link checkReadOnly}, then {@link prepareChecked}. */
export async function prepareReadOnly(connection: DuckDBConnection, sql: string, options: GuardOptions): Promise<GuardedSql> {
  const verdict = await checkReadOnly(connection, sql, options);
  return { statements: await prepareChecked(connection, sql, verdict), texts: verdict.texts };
}

type SerializeCheck =
  | { readonly ok: true; readonly count: number; readonly statements: readonly unknown[] }
  | { readonly ok: false; readonly message: string };

/** Parses `sql` with DuckDB's parser only: no binding, no planning, no effects. */
async function serializeCheck(connection: DuckDBConnection, sql: string): Promise<SerializeCheck> {
  if (sql.includes('\u0000')) throw new ValidationError('the SQL contains a NUL character', { code: 'validation.sql_nul' });
  // One round trip: the text goes in as a quoted literal rather than a bound parameter.
  const reader = await connection.runAndReadAll(`SELECT json_serialize_sql(${quoteLiteral(sql)}) AS ast`);
  const ast = JSON.parse(String(reader.getRows()[0]?.[0] ?? '{}')) as {
    error?: boolean;
    error_message?: string;
    statements?: unknown[];
  };
  if (ast.error) return { ok: false, message: ast.error_message ?? 'unknown parse error' };
  const statements = ast.statements ?? [];
  return { ok: true, count: statements.length, statements };
}

/** The parsed SELECT of `EXPLAIN [ANALYZE] <select>`, or undefined when `sql` is not that. */
async function explainedSelect(connection: DuckDBConnection, sql: string): Promise<readonly unknown[] | undefined> {
  const prefix = EXPLAIN_PREFIX.exec(sql);
  if (!prefix) return undefined;
  const inner = await serializeCheck(connection, sql.slice(prefix[0].length));
  return inner.ok && inner.count === 1 ? inner.statements : undefined;
}

/** Names the first statement that is not a SELECT. */
async function refusal(connection: DuckDBConnection, texts: readonly string[]): Promise<PermissionError> {
  for (const text of texts) {
    const check = await serializeCheck(connection, text);
    if (!check.ok && check.message.startsWith(ONLY_SELECT)) return denied(leadingKeyword(text) ?? 'this');
  }
  return denied('this');
}

function denied(statement: string): PermissionError {
  return new PermissionError(`${statement} statements are not allowed: a session runs read-only queries`, {
    hint: ALLOWED_HINT,
    details: { statement },
  });
}

/** The parser's own error, with its `LINE n:` context, from extracting the statements. */
async function syntaxError(connection: DuckDBConnection, sql: string, fallback: string): Promise<Error> {
  try {
    await connection.extractStatements(sql);
  } catch (e) {
    return engineErrorFrom(e, { operation: 'parse' });
  }
  return new EngineError('engine.syntax_error', fallback, { hint: 'fix the SQL and try again', details: { operation: 'parse' } });
}

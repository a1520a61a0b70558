import pg from 'pg';
import { CatalogError } from './errors.js';
import type { SqlDriver, SqlExecutor, SqlValue, TransactionOptions } from './sql-driver.js';

export interface PostgresDriverOptions {
  /** Connection URL, e.g. `postgres://ade@db:5432/ade`. */
  readonly url: string;
  /** Most connections the pool opens. */
  readonly poolSize: number;
  /** How long a statement waits for a row lock before failing retryably (ms). */
  readonly lockTimeoutMs: number;
  /** A session idle inside a transaction longer than this is ended by the server, releasing its locks (ms). */
  readonly idleInTransactionTimeoutMs: number;
}

/** BIGINT (int8) and COUNT(*) arrive as numbers: every catalog integer is far below 2^53. */
const INT8_OID = 20;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * `pg` under the catalog: each transaction runs on one pooled client. Write
 * transactions run READ COMMITTED and lock the rows they compare-and-swap;
 * read transactions run REPEATABLE READ READ ONLY so that every statement sees
 * the same snapshot.
 */
export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  #closed = false;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Creates the pool and checks that the server answers. */
  static async open(options: PostgresDriverOptions): Promise<PostgresDriver> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      types,
      application_name: 'ade-catalog',
      lock_timeout: options.lockTimeoutMs,
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    const driver = new PostgresDriver(pool);
    try {
      await driver.query('SELECT 1');
    } catch (e) {
      await pool.end().catch(() => {});
      throw e;
    }
    return driver;
  }

  async query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.#assertOpen();
    try {
      return (await this.#pool.query(toPostgres(sql), params as SqlValue[])).rows as T[];
    } catch (e) {
      throw mapPostgresError(e);
    }
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    this.#assertOpen();
    try {
      return { changes: (await this.#pool.query(toPostgres(sql), params as SqlValue[])).rowCount ?? 0 };
    } catch (e) {
      throw mapPostgresError(e);
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts: TransactionOptions): Promise<T> {
    this.#assertOpen();
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      throw mapPostgresError(e);
    }
    let broken = false;
    let open = true;
    const exec = async (sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> => {
      if (!open) throw new Error('transaction already finished');
      try {
        return await client.query(toPostgres(sql), params as SqlValue[]);
      } catch (e) {
        if (isConnectionError(e)) broken = true;
        throw mapPostgresError(e);
      }
    };
    const tx: SqlExecutor = {
      query: async <R extends object>(sql: string, params: readonly SqlValue[] = []) => (await exec(sql, params)).rows as R[],
      run: async (sql: string, params: readonly SqlValue[] = []) => ({ changes: (await exec(sql, params)).rowCount ?? 0 }),
    };
    try {
      await exec(opts.write ? 'BEGIN' : 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', []);
      let result: T;
      try {
        result = await fn(tx);
      } catch (e) {
        if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
        throw e;
      }
      try {
        await client.query('COMMIT');
      } catch (e) {
        // The server refused (e.g. a serialization failure): it rolled back, the outcome is known.
        if (isServerError(e) && !isConnectionError(e)) throw mapPostgresError(e);
        broken = true;
        throw new CatalogError(
          'catalog.commit_outcome_unknown',
          'the connection to the catalog broke while committing; the transaction may or may not have committed',
          { hint: 'check the table history before retrying, so that the change is not applied twice', cause: e },
        );
      }
      return result;
    } finally {
      open = false;
      client.release(broken || undefined);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  #assertOpen(): void {
    if (this.#closed) throw new CatalogError('catalog.closed', 'the catalog is closed', { hint: 'open it again with openCatalog' });
  }
}

const translated = new Map<string, string>();

/** `?` placeholders → `$1, $2…` (skipping quoted strings and identifiers). */
export function toPostgres(sql: string): string {
  let out = translated.get(sql);
  if (out !== undefined) return out;
  let n = 0;
  let quote: string | undefined;
  out = '';
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  if (translated.size >= 1024) translated.delete(translated.keys().next().value!);
  translated.set(sql, out);
  return out;
}

function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function isServerError(e: unknown): boolean {
  return sqlState(e) !== undefined;
}

function isConnectionError(e: unknown): boolean {
  const state = sqlState(e);
  if (state) return state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03' || state === '53300';
  if (e instanceof CatalogError) return false;
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : '';
  return (
    (typeof code === 'string' && /^E[A-Z]+$/.test(code)) ||
    /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(message)
  );
}

/** Third-party errors become `CatalogError`s; errors thrown on purpose pass through. */
export function mapPostgresError(e: unknown): unknown {
  if (e instanceof CatalogError || !(e instanceof Error)) return e;
  const state = sqlState(e);
  if (state === '40001' || state === '40P01') {
    return new CatalogError('catalog.serialization', `the catalog aborted a transaction that raced another: ${e.message}`, {
      retryable: true,
      hint: 'try again',
      details: { sqlState: state },
      cause: e,
    });
  }
  if (state === '55P03') {
    return new CatalogError('catalog.busy', `timed out waiting for a catalog lock: ${e.message}`, {
      retryable: true,
      hint: 'another writer holds the table; try again',
      details: { sqlState: state },
      cause: e,
    });
  }
  if (isConnectionError(e)) {
    return new CatalogError('catalog.unavailable', `the Postgres catalog is unreachable: ${e.message}`, {
      retryable: true,
      hint: 'check that the Postgres server is up and the catalog URL is right',
      details: state ? { sqlState: state } : {},
      cause: e,
    });
  }
  if (state === '23505') {
    return new CatalogError('catalog.unique_violation', e.message, { details: { sqlState: state }, cause: e });
  }
  if (state) {
    return new CatalogError('catalog.sql', `catalog database error: ${e.message}`, { details: { sqlState: state }, cause: e });
  }
  return e;
}

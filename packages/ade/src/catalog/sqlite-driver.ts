import { mkdirSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { AsyncMutex, messageOf } from '../kernel/index.js';
import { CatalogError } from './errors.js';
import type { SqlDriver, SqlExecutor, SqlValue, TransactionOptions } from './sql-driver.js';

export interface SqliteDriverOptions {
  /** Database file; its directory is created when missing. */
  readonly path: string;
  /** How long a write waits for another process to release the write lock before failing retryably (ms). */
  readonly busyTimeoutMs: number;
}

/**
 * How long SQLite itself may block the (single) JavaScript thread waiting for
 * a lock. Kept short: longer waits happen asynchronously, between attempts,
 * so the process stays responsive and the lock holder can finish.
 */
const SYNC_BUSY_MS = 20;

/** Most prepared statements kept per connection. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Write transactions of every connection this process opened on one file take
 * turns here, so two connections of the same process never contend for
 * SQLite's write lock (only other processes do).
 */
const fileWriteMutexes = new Map<string, { mutex: AsyncMutex; users: number }>();

/**
 * better-sqlite3 under the catalog: WAL, `synchronous=FULL` (a commit that
 * returned survives a crash), foreign keys on. The library is synchronous but
 * transactions span awaits, so every use of the connection is serialised with
 * a mutex; otherwise another task's statements could slip into an open
 * transaction.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #busyTimeoutMs: number;
  readonly #fileKey: string;
  readonly #connection = new AsyncMutex();
  readonly #statements = new Map<string, Database.Statement>();
  #closed = false;

  private constructor(db: Database.Database, fileKey: string, busyTimeoutMs: number) {
    this.#db = db;
    this.#fileKey = fileKey;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  /** Opens (creating when missing) the database file and sets the pragmas. */
  static async open(options: SqliteDriverOptions): Promise<SqliteDriver> {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    const db = new Database(options.path, { timeout: SYNC_BUSY_MS });
    try {
      await retryBusy(options.busyTimeoutMs, 'open the catalog', () => {
        db.pragma('journal_mode = WAL');
      });
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
    } catch (e) {
      db.close();
      throw mapSqliteError(e);
    }
    const fileKey = options.path === ':memory:' ? `:memory:${Math.random()}` : realpathSync(options.path);
    const entry = fileWriteMutexes.get(fileKey) ?? { mutex: new AsyncMutex(), users: 0 };
    entry.users += 1;
    fileWriteMutexes.set(fileKey, entry);
    return new SqliteDriver(db, fileKey, options.busyTimeoutMs);
  }

  query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#connection.run(async () => this.#query<T>(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return this.#connection.run(async () => this.#run(sql, params));
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts: TransactionOptions): Promise<T> {
    const inConnection = () => this.#connection.run(() => this.#transaction(fn, opts));
    if (!opts.write) return inConnection();
    return this.#fileWriteMutex().run(inConnection);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#connection.run(async () => {
      this.#closed = true;
      this.#statements.clear();
      this.#db.close();
      const entry = fileWriteMutexes.get(this.#fileKey);
      if (entry && --entry.users === 0) fileWriteMutexes.delete(this.#fileKey);
    });
  }

  async #transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts: TransactionOptions): Promise<T> {
    this.#assertOpen();
    const begin = opts.write ? 'BEGIN IMMEDIATE' : 'BEGIN';
    try {
      await retryBusy(this.#busyTimeoutMs, 'take the catalog write lock', () => this.#db.exec(begin));
    } catch (e) {
      throw mapSqliteError(e);
    }
    let open = true;
    const tx: SqlExecutor = {
      query: async <R extends object>(sql: string, params: readonly SqlValue[] = []) => {
        if (!open) throw new Error('transaction already finished');
        return this.#query<R>(sql, params);
      },
      run: async (sql: string, params: readonly SqlValue[] = []) => {
        if (!open) throw new Error('transaction already finished');
        return this.#run(sql, params);
      },
    };
    try {
      const result = await fn(tx);
      this.#db.exec('COMMIT');
      return result;
    } catch (e) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw mapSqliteError(e);
    } finally {
      open = false;
    }
  }

  #query<T>(sql: string, params: readonly SqlValue[]): T[] {
    try {
      return this.#statement(sql).all(...params) as T[];
    } catch (e) {
      throw mapSqliteError(e);
    }
  }

  #run(sql: string, params: readonly SqlValue[]): { changes: number } {
    try {
      return { changes: this.#statement(sql).run(...params).changes };
    } catch (e) {
      throw mapSqliteError(e);
    }
  }

  #statement(sql: string): Database.Statement {
    this.#assertOpen();
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      // IN-lists of many lengths make many texts: keep the cache bounded (oldest out first).
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.delete(this.#statements.keys().next().value!);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #fileWriteMutex(): AsyncMutex {
    const entry = fileWriteMutexes.get(this.#fileKey);
    if (!entry) throw new CatalogError('catalog.closed', 'the catalog is closed');
    return entry.mutex;
  }

  #assertOpen(): void {
    if (this.#closed) throw new CatalogError('catalog.closed', 'the catalog is closed', { hint: 'open it again with openCatalog' });
  }
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Runs `step` until it stops failing with SQLITE_BUSY, backing off asynchronously, for at most `timeoutMs`. */
async function retryBusy(timeoutMs: number, what: string, step: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      step();
      return;
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (Date.now() >= deadline) {
        throw new CatalogError('catalog.busy', `could not ${what}: another process held it for more than ${timeoutMs} ms`, {
          retryable: true,
          hint: 'another ade process is writing to the same catalog file; try again, or raise busyTimeoutMs',
          cause: e,
        });
      }
      await sleep(Math.min(2 ** attempt, 50) * (0.5 + Math.random()));
    }
  }
}

/** Third-party errors become `CatalogError`s; errors thrown on purpose pass through. */
export function mapSqliteError(e: unknown): unknown {
  if (e instanceof CatalogError || !(e instanceof Error)) return e;
  if ((e as { name?: string }).name !== 'SqliteError') return e;
  const code = String((e as { code?: unknown }).code ?? 'SQLITE_ERROR');
  if (isBusy(e)) {
    return new CatalogError('catalog.busy', `the catalog database is busy: ${e.message}`, {
      retryable: true,
      hint: 'another process is writing to the catalog; try again',
      details: { sqliteCode: code },
      cause: e,
    });
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new CatalogError('catalog.unique_violation', messageOf(e), { details: { sqliteCode: code }, cause: e });
  }
  return new CatalogError('catalog.sql', `catalog database error: ${e.message}`, { details: { sqliteCode: code }, cause: e });
}

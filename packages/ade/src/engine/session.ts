import { StatementType, type DuckDBBlobVector, type DuckDBInstance, type DuckDBResult } from '@duckdb/node-api';
import { PermissionError, ValidationError, type Principal } from '../kernel/index.js';
import { closedError } from './errors.js';
import { deduplicatedNames, joinJsonRows, jsonRowsSql } from './json-rows-sql.js';
import { chunkRows } from './json-values.js';
import { OutputSink } from './output-sink.js';
import type { QuerySlots } from './query-slots.js';
import { QueryStream, type StartedQuery } from './query-stream.js';
import { rowEncoder } from './row-encoder.js';
import { RunningQuery } from './running-query.js';
import { leadingKeyword } from './split-statements.js';
import { prepareChecked, type Verdict } from './statement-guard.js';
import type {
  OutputFormat,
  QueryOptions,
  QueryResult,
  ResultColumn,
  RowStream,
  WriteToOptions,
  WriteToResult,
} from './types.js';
import type { VerdictCache } from './verdict-cache.js';

/** What a session is opened with, besides its (already locked) DuckDB instance. */
export interface SessionParts {
  /** Identifies the session in logs and errors. */
  readonly id: string;
  /** Who the session runs queries for. */
  readonly principal: Principal;
  /** Default engine-time budget of one query. */
  readonly queryTimeoutMs: number;
  /** Parse checks already passed, shared by the engine's sessions. */
  readonly verdicts: VerdictCache;
  /** The engine's cap on DuckDB calls in flight. */
  readonly slots: QuerySlots;
  /** Gives the instance back once every query has stopped (the engine keeps it warm or closes it). */
  readonly release: () => Promise<void>;
  /** Called once the session has closed (the engine forgets it). */
  readonly onClose?: (session: Session) => void;
}

/** What a session admits: up to 64 SELECTs (all run, the last one's result returned), or one EXPLAIN. */
const GUARD = { allowExplain: true, maxStatements: 64 } as const;

/** A query `writeTo` lets DuckDB write the JSON of (see `jsonRowsSql`), and the columns of the query it wraps. */
interface JsonPlan {
  readonly sql: string;
  readonly columns: readonly ResultColumn[];
}

/** What `writeTo` remembers of a query it wrote: how many rows it had, and its JSON plan once one was made. */
interface QueryNote {
  rows: number;
  plan?: JsonPlan | null;
}

/** Notes per DuckDB instance and SQL text (a warm instance keeps its views, so its plans stay true). */
const QUERY_NOTES = new WeakMap<DuckDBInstance, Map<string, QueryNote>>();
const MAX_NOTES = 256;
const MAX_NOTED_SQL = 16 * 1024;
/**
 * Rows from which DuckDB writes the JSON: binding its wrapper costs ~0.5–1 ms,
 * converting a row in JavaScript ~1 µs more than DuckDB takes, so small
 * results stay in JavaScript.
 */
const LARGE_RESULT_ROWS = 2048;

/** A second look, after DuckDB parsed the admitted text itself. */
function assertRead(type: StatementType, verdict: Verdict): void {
  if (type !== (verdict.explain ? StatementType.EXPLAIN : StatementType.SELECT)) {
    throw new PermissionError(`${StatementType[type] ?? 'unknown'} statements are not allowed: a session runs read-only queries`);
  }
}

/**
 * A principal's read-only view of the lake: `zone.table` views over the
 * tables it may read, in a DuckDB instance that may read nothing else.
 *
 * Every call runs on its own connection, on DuckDB's threads (the event loop
 * stays free), with a budget of engine time after which DuckDB is interrupted.
 *
 * @example
 * const session = await engine.openSession({ principal, tables, allowedDirectories });
 * try {
 *   const { rows } = await session.query('SELECT count(*) AS n FROM clean.orders');
 * } finally {
 *   await session.close();
 * }
 */
export class Session {
  readonly id: string;
  readonly principal: Principal;
  readonly #instance: DuckDBInstance;
  readonly #parts: SessionParts;
  readonly #queries = new Set<RunningQuery>();
  #closed: Promise<void> | undefined;

  constructor(instance: DuckDBInstance, parts: SessionParts) {
    this.#instance = instance;
    this.#parts = parts;
    this.id = parts.id;
    this.principal = parts.principal;
  }

  /**
   * Runs read-only SQL and returns its whole result (for small results; use
   * {@link Session.stream} or {@link Session.writeTo} for big ones). With
   * several statements, the last one's result is returned.
   *
   * Throws `PermissionError` for anything but a read (COPY, ATTACH, SET…) or a
   * path outside the session's directories, `EngineError` `engine.timeout`,
   * `engine.cancelled`, `engine.syntax_error` or `engine.query_failed`.
   */
  async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    const query = await this.#connect(options);
    try {
      const verdict = await query.step(() => this.#parts.verdicts.check(query.connection, sql, GUARD));
      let result: DuckDBResult;
      if (verdict.count === 1 && options.params === undefined) {
        // One admitted statement runs as it is: DuckDB parses the same text again and binds it once.
        result = await query.step(() => query.connection.run(sql));
        assertRead(result.statementType, verdict);
      } else {
        const statements = await query.step(() => prepareChecked(query.connection, sql, verdict, options.params));
        query.own(statements);
        for (const statement of statements.slice(0, -1)) await query.step(() => statement.run());
        const last = statements[statements.length - 1]!;
        result = await query.step(() => last.run());
      }
      const names = result.deduplicatedColumnNames();
      const columns = names.map((name, i) => ({ name, type: result.columnType(i).toString() }));
      const rows: Record<string, unknown>[] = [];
      for (;;) {
        const chunk = await query.step(() => result.fetchChunk());
        if (!chunk || chunk.rowCount === 0) break;
        for (const row of chunkRows(chunk, names)) rows.push(row);
      }
      return { columns, rows, rowCount: rows.length };
    } finally {
      await this.#release(query);
    }
  }

  /**
   * Runs read-only SQL and returns its rows chunk by chunk, never holding the
   * whole result. The query starts at once; `columns()` gives its columns
   * before any row, and its errors surface there or at the first chunk. The
   * timeout counts engine time only, not time spent between chunks.
   *
   * @example
   * for await (const rows of session.stream('FROM model.orders_f')) send(rows);
   */
  stream(sql: string, options: QueryOptions = {}): RowStream {
    return new QueryStream(this.#start(sql, options), (query) => this.#release(query));
  }

  /**
   * The columns `sql` would return (names as DuckDB gives them, not made
   * unique), from binding it without running it.
   */
  async describe(sql: string, options: QueryOptions = {}): Promise<ResultColumn[]> {
    const query = await this.#connect(options);
    try {
      const statements = await query.step(async () =>
        prepareChecked(query.connection, sql, await this.#parts.verdicts.check(query.connection, sql, GUARD)),
      );
      query.own(statements);
      const last = statements[statements.length - 1]!;
      const columns: ResultColumn[] = [];
      for (let i = 0; i < last.columnCount; i++) columns.push({ name: last.columnName(i), type: last.columnType(i).toString() });
      return columns;
    } finally {
      await this.#release(query);
    }
  }

  /**
   * Streams the result of read-only SQL to `out` as CSV, JSON or NDJSON (see
   * `RowEncoder` for the exact text), waiting for `drain` whenever `out` is
   * full. `out` is left open unless `end` is set. If `out` fails or closes
   * early the query is stopped and the call rejects with
   * `engine.output_closed`.
   */
  async writeTo(
    sql: string,
    format: OutputFormat,
    out: NodeJS.WritableStream,
    options: WriteToOptions = {},
  ): Promise<WriteToResult> {
    const limit = options.limit;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) throw new ValidationError(`limit must be a positive integer, got ${limit}`);
    // A query that was large the last time it ran here has DuckDB write its JSON (see `jsonRowsSql`).
    const note = this.#note(sql);
    if (format !== 'csv' && options.params === undefined && note && note.rows >= LARGE_RESULT_ROWS) {
      note.plan ??= await this.#jsonPlan(sql, options);
      if (note.plan) {
        // The limit goes on DuckDB's own JSON query: no second wrapper to bind.
        const done = await this.#writeJsonRows(limit === undefined ? note.plan : { ...note.plan, sql: `${note.plan.sql} LIMIT ${limit}` }, format, out, options);
        note.rows = done.rowCount;
        return done;
      }
    }
    // Newlines keep a trailing `-- comment` from swallowing the parenthesis.
    const stream = this.stream(limit === undefined ? sql : `SELECT * FROM (\n${sql}\n) AS _query LIMIT ${limit}`, options);
    let sink: OutputSink | undefined;
    let rowCount = 0;
    try {
      const columns = await stream.columns();
      const encoder = rowEncoder(
        format,
        columns.map((c) => c.name),
      );
      sink = new OutputSink(out, () => void stream.close());
      await sink.write(encoder.start());
      for await (const rows of stream) {
        rowCount += rows.length;
        await sink.write(encoder.rows(rows));
      }
      await sink.write(encoder.end());
      if (options.end === true) await sink.end();
      this.#noteRows(sql, note, rowCount);
      return { columns, rowCount, encodedBy: 'javascript' };
    } catch (e) {
      throw sink?.failure ?? e;
    } finally {
      sink?.dispose();
      await stream.close();
    }
  }

  /** Interrupts every query of the session; each fails with `engine.cancelled`. The session stays open. */
  cancel(): void {
    for (const query of this.#queries) query.interrupt('cancelled');
  }

  /** Cancels what runs and gives the DuckDB instance back to the engine. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.all([...this.#queries].map((q) => this.#release(q)));
      await this.#parts.release();
      this.#parts.onClose?.(this);
    })();
    return this.#closed;
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  async #connect(options: QueryOptions): Promise<RunningQuery> {
    if (this.#closed) throw closedError('session');
    const timeoutMs = options.timeoutMs ?? this.#parts.queryTimeoutMs;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new ValidationError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
    }
    const query = new RunningQuery(await this.#instance.connect(), timeoutMs, this.#parts.slots);
    this.#queries.add(query);
    return query;
  }

  /**
   * How DuckDB itself can write the JSON of `sql`'s rows (see `jsonRowsSql`):
   * for one SELECT whose columns all have types it encodes exactly as
   * `jsonValue` does; null otherwise. Kept in the query's note, per DuckDB
   * instance, whose views (and so result types) never change.
   */
  async #jsonPlan(sql: string, options: QueryOptions): Promise<JsonPlan | null> {
    if (!['SELECT', 'WITH', 'FROM', 'VALUES'].includes(leadingKeyword(sql) ?? '')) return null;
    const query = await this.#connect(options);
    try {
      const verdict = await query.step(() => this.#parts.verdicts.check(query.connection, sql, GUARD));
      if (verdict.count !== 1 || verdict.explain) return null;
      const statements = await query.step(() => prepareChecked(query.connection, sql, verdict, undefined));
      query.own(statements);
      const prepared = statements[0]!;
      if (prepared.statementType !== StatementType.SELECT || prepared.parameterCount > 0) return null;
      const names = deduplicatedNames(Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnName(i)));
      const types = names.map((_, i) => prepared.columnType(i));
      const wrapped = jsonRowsSql(sql, names.map((name, i) => ({ name, type: types[i]! })));
      return wrapped ? { sql: wrapped, columns: names.map((name, i) => ({ name, type: types[i]!.toString() })) } : null;
    } finally {
      await this.#release(query);
    }
  }

  /** What this instance remembers of `sql`, if anything. */
  #note(sql: string): QueryNote | undefined {
    return QUERY_NOTES.get(this.#instance)?.get(sql);
  }

  /** Remembers how many rows `sql` gave (short SQL only; the oldest note goes past `MAX_NOTES`). */
  #noteRows(sql: string, note: QueryNote | undefined, rows: number): void {
    if (note) {
      note.rows = rows;
      return;
    }
    if (sql.length > MAX_NOTED_SQL) return;
    let notes = QUERY_NOTES.get(this.#instance);
    if (!notes) QUERY_NOTES.set(this.#instance, (notes = new Map()));
    if (notes.size >= MAX_NOTES) notes.delete(notes.keys().next().value!);
    notes.set(sql, { rows });
  }

  /** `writeTo` for JSON and NDJSON with the text made by DuckDB: each chunk's rows go out as one buffer. */
  async #writeJsonRows(plan: JsonPlan, format: 'json' | 'ndjson', out: NodeJS.WritableStream, options: WriteToOptions): Promise<WriteToResult> {
    const { query, result } = await this.#start(plan.sql, options);
    let sink: OutputSink | undefined;
    let rowCount = 0;
    try {
      sink = new OutputSink(out, () => void this.#release(query));
      if (format === 'json') await sink.write('[');
      for (;;) {
        const chunk = await query.step(() => result.fetchChunk());
        if (!chunk || chunk.rowCount === 0) break;
        await sink.write(joinJsonRows(chunk.getColumnVector(0) as DuckDBBlobVector, chunk.rowCount, format, rowCount === 0));
        rowCount += chunk.rowCount;
      }
      if (format === 'json') await sink.write(rowCount === 0 ? ']\n' : '\n]\n');
      if (options.end === true) await sink.end();
      return { columns: plan.columns, rowCount, encodedBy: 'duckdb' };
    } catch (e) {
      throw sink?.failure ?? e;
    } finally {
      sink?.dispose();
      await this.#release(query);
    }
  }

  async #start(sql: string, options: QueryOptions): Promise<StartedQuery> {
    const query = await this.#connect(options);
    try {
      const verdict = await query.step(() => this.#parts.verdicts.check(query.connection, sql, GUARD));
      let result: DuckDBResult;
      if (verdict.count === 1 && options.params === undefined) {
        // One admitted statement streams as it is (as in query()): no separate prepare and bind.
        result = await query.step(() => query.connection.stream(sql));
        assertRead(result.statementType, verdict);
      } else {
        const statements = await query.step(() => prepareChecked(query.connection, sql, verdict, options.params));
        query.own(statements);
        for (const statement of statements.slice(0, -1)) await query.step(() => statement.run());
        const last = statements[statements.length - 1]!;
        result = await query.step(() => last.stream());
      }
      const names = result.deduplicatedColumnNames();
      const columns = names.map((name, i) => ({ name, type: result.columnType(i).toString() }));
      return { query, result, columns };
    } catch (e) {
      await this.#release(query);
      throw e;
    }
  }

  async #release(query: RunningQuery): Promise<void> {
    this.#queries.delete(query);
    await query.close();
  }
}

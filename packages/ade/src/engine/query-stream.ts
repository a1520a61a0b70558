import type { DuckDBResult } from '@duckdb/node-api';
import { EngineError } from './errors.js';
import { chunkRows } from './json-values.js';
import type { RunningQuery } from './running-query.js';
import type { ResultColumn, RowStream } from './types.js';

/** A query that has started: its streaming result and columns. */
export interface StartedQuery {
  readonly query: RunningQuery;
  readonly result: DuckDBResult;
  readonly columns: readonly ResultColumn[];
}

/** A streaming DuckDB result read one chunk per step; see {@link RowStream}. */
export class QueryStream implements RowStream {
  readonly #started: Promise<StartedQuery>;
  readonly #release: (query: RunningQuery) => Promise<void>;
  #iterated = false;

  /** `release` closes the query and forgets it; it must be idempotent. */
  constructor(started: Promise<StartedQuery>, release: (query: RunningQuery) => Promise<void>) {
    this.#started = started;
    this.#release = release;
    // The failure is reported to whoever reads the stream, never as an unhandled rejection.
    started.catch(() => undefined);
  }

  async columns(): Promise<readonly ResultColumn[]> {
    return (await this.#started).columns;
  }

  [Symbol.asyncIterator](): AsyncIterator<Record<string, unknown>[]> {
    if (this.#iterated) throw new EngineError('engine.query_failed', 'a row stream can be read only once');
    this.#iterated = true;
    return this.#chunks();
  }

  async close(): Promise<void> {
    const started = await this.#started.catch(() => undefined);
    if (started) await this.#release(started.query);
  }

  async *#chunks(): AsyncGenerator<Record<string, unknown>[]> {
    const { query, result, columns } = await this.#started;
    const names = columns.map((c) => c.name);
    try {
      for (;;) {
        const chunk = await query.step(() => result.fetchChunk());
        if (!chunk || chunk.rowCount === 0) return;
        yield chunkRows(chunk, names);
      }
    } finally {
      await this.#release(query);
    }
  }
}

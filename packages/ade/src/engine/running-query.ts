import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { cancelledError, engineErrorFrom, timeoutError } from './errors.js';
import type { QuerySlots } from './query-slots.js';

export type InterruptReason = 'timeout' | 'cancelled';

/**
 * One query on its own connection, with a budget of engine time.
 *
 * Every call into DuckDB goes through {@link RunningQuery.step}: while the
 * call is in flight a timer holds the rest of the budget and, when it fires,
 * interrupts the connection. Time spent waiting for the caller (a slow reader
 * of a stream) is not counted. DuckDB may end an interrupted stream as if it
 * were complete, so a step that finishes after an interrupt still fails.
 * A step waits for one of the engine's {@link QuerySlots} before it calls
 * DuckDB; the wait does not count against the budget.
 */
export class RunningQuery {
  readonly connection: DuckDBConnection;
  readonly #slots: QuerySlots;
  readonly #timeoutMs: number;
  #remainingMs: number;
  #reason: InterruptReason | undefined;
  #inflight: Promise<unknown> | undefined;
  #repeating: ReturnType<typeof setInterval> | undefined;
  #prepared: DuckDBPreparedStatement[] = [];
  #closed = false;

  constructor(connection: DuckDBConnection, timeoutMs: number, slots: QuerySlots) {
    this.connection = connection;
    this.#slots = slots;
    this.#timeoutMs = timeoutMs;
    this.#remainingMs = timeoutMs;
  }

  /** Runs one call into DuckDB within the remaining budget; DuckDB errors become ade errors. */
  step<T>(work: () => Promise<T>): Promise<T> {
    return this.#slots.run(() => this.#step(work));
  }

  async #step<T>(work: () => Promise<T>): Promise<T> {
    if (this.#remainingMs <= 0) this.#reason ??= 'timeout';
    this.#throwIfInterrupted();
    const started = performance.now();
    const timer = setTimeout(() => this.interrupt('timeout'), Math.max(1, this.#remainingMs));
    const call = work();
    this.#inflight = call;
    try {
      const value = await call;
      this.#throwIfInterrupted();
      return value;
    } catch (e) {
      this.#throwIfInterrupted();
      throw engineErrorFrom(e, { operation: 'query' });
    } finally {
      clearTimeout(timer);
      clearInterval(this.#repeating);
      this.#repeating = undefined;
      this.#inflight = undefined;
      this.#remainingMs -= performance.now() - started;
    }
  }

  /** Keeps prepared statements to destroy when the query closes. */
  own(statements: readonly DuckDBPreparedStatement[]): void {
    this.#prepared.push(...statements);
  }

  /** Stops the query: the call in flight (or the next one) fails with a timeout or cancellation. */
  interrupt(reason: InterruptReason): void {
    if (this.#closed || this.#reason) return;
    this.#reason = reason;
    this.#interruptCall();
  }

  get interrupted(): InterruptReason | undefined {
    return this.#reason;
  }

  /** Interrupts what still runs, waits for it, and releases the connection; later steps fail as cancelled. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const running = this.#inflight;
    if (this.#reason === undefined) {
      this.#reason = 'cancelled';
      this.#interruptCall();
    }
    await running?.catch(() => undefined);
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#prepared) s.destroySync();
    this.#prepared = [];
    this.connection.closeSync();
  }

  /**
   * Interrupts the call in flight, again every 50 ms until it settles: a call
   * still queued for a libuv thread starts after the first interrupt, and
   * DuckDB clears the flag when a query starts.
   */
  #interruptCall(): void {
    if (!this.#inflight) return;
    this.connection.interrupt();
    this.#repeating ??= setInterval(() => this.connection.interrupt(), 50);
  }

  #throwIfInterrupted(): void {
    if (this.#reason === 'timeout') throw timeoutError(this.#timeoutMs, { operation: 'query' });
    if (this.#reason === 'cancelled') throw cancelledError({ operation: 'query' });
  }
}

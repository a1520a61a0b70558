import type { EngineConfig, OutputFormat, SessionOptions, SqlParams } from '../engine/index.js';
import { AdeError, PermissionError, ValidationError } from '../kernel/index.js';

/** The formats a query worker writes. */
export type QueryFormat = OutputFormat | 'arrow';

/** One query for a worker: who asks, what it may read, the SQL and how to write its result. */
export interface QueryJob {
  /** The principal and exactly the tables and directories it may read (computed by the main process). */
  readonly session: SessionOptions;
  /** One read-only statement. */
  readonly sql: string;
  /** Values for the SQL's placeholders, bound by DuckDB. */
  readonly params?: SqlParams;
  readonly format: QueryFormat;
  /** Rows returned at most (the SQL is wrapped in `SELECT * FROM (…) LIMIT n`). */
  readonly limit?: number;
}

/** What a worker answers with once the result is written. */
export interface QueryDone {
  readonly rowCount: number;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/** An error as it crosses the process boundary. */
export interface WireError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
  readonly hint?: string;
  readonly retryable?: boolean;
  readonly details?: Record<string, unknown>;
}

/** Main process → worker. */
export type ToWorker =
  | { readonly type: 'init'; readonly engine: Required<EngineConfig> }
  | { readonly type: 'query'; readonly id: number; readonly job: QueryJob; readonly timeoutMs: number }
  | { readonly type: 'ack'; readonly id: number; readonly bytes: number }
  | { readonly type: 'cancel'; readonly id: number };

/** Worker → main process. `chunk`s of one query arrive in order, before its `done` or `error`. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'fatal'; readonly error: WireError }
  | { readonly type: 'chunk'; readonly id: number; readonly data: Uint8Array }
  | ({ readonly type: 'done'; readonly id: number } & QueryDone)
  | { readonly type: 'error'; readonly id: number; readonly error: WireError };

/** Result bytes a worker sends ahead of the main process's acknowledgements (its backpressure window). */
export const WINDOW_BYTES = 1 << 20;

/** An error, flattened for IPC. A non-ade error keeps only its message (the main process treats it as a bug). */
export function toWire(e: unknown): WireError {
  if (e instanceof AdeError) {
    return { name: e.name, code: e.code, message: e.message, retryable: e.retryable, details: { ...e.details }, ...(e.hint ? { hint: e.hint } : {}) };
  }
  return { name: 'Error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

/** The ade error a worker reported, with its class where the HTTP mapping looks at it. */
export function fromWire(w: WireError): Error {
  const options = { details: w.details ?? {}, ...(w.hint ? { hint: w.hint } : {}) };
  if (w.code === undefined) return new Error(`query worker: ${w.message}`);
  if (w.name === 'PermissionError') return new PermissionError(w.message, options);
  if (w.name === 'ValidationError') return new ValidationError(w.message, { ...options, code: w.code });
  return new AdeError(w.code, w.message, { ...options, retryable: w.retryable ?? false });
}

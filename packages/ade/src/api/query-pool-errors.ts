import { AdeError } from '../kernel/index.js';

/** Stable codes of the errors the query pool raises itself (a query's own errors pass through). */
export type QueryPoolErrorCode =
  | 'query.busy'
  | 'query.timeout'
  | 'query.out_of_memory'
  | 'query.worker_crashed'
  | 'query.cancelled'
  | 'query.output_stalled'
  | 'query.closed';

/** A query the pool could not run to the end. `retryAfterSeconds` is set when waiting helps (`query.busy`). */
export class QueryPoolError extends AdeError {
  declare readonly code: QueryPoolErrorCode;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: QueryPoolErrorCode,
    message: string,
    options: { hint?: string; retryable?: boolean; retryAfterSeconds?: number; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Every worker is busy and the queue is full. */
export function busyError(details: { workers: number; queued: number; retryAfterSeconds: number }): QueryPoolError {
  return new QueryPoolError('query.busy', `all ${details.workers} query workers are busy and ${details.queued} queries are waiting`, {
    hint: `retry in ${details.retryAfterSeconds} s, or raise server.query_workers.size / queue`,
    retryable: true,
    retryAfterSeconds: details.retryAfterSeconds,
    details,
  });
}

/** The query ran past its time limit (the worker interrupted it, or was killed when it did not stop). */
export function queryTimeoutError(timeoutMs: number, killed: boolean): QueryPoolError {
  return new QueryPoolError('query.timeout', `the query ran longer than ${timeoutMs} ms and was stopped`, {
    hint: 'make the query cheaper (filter, aggregate, LIMIT) or raise server.query_workers.timeout',
    details: { timeoutMs, killed },
  });
}

/** The worker grew past the pool's memory bound and was killed. */
export function memoryError(rssBytes: number, boundBytes: number): QueryPoolError {
  return new QueryPoolError('query.out_of_memory', `the query worker used ${Math.round(rssBytes / 2 ** 20)} MiB (bound ${Math.round(boundBytes / 2 ** 20)} MiB) and was stopped`, {
    hint: 'filter or aggregate earlier, or raise server.query_workers.memory_limit',
    details: { rssBytes, boundBytes },
  });
}

/** The worker process died while it ran the query. */
export function crashedError(details: { pid: number | undefined; code: number | null; signal: string | null }): QueryPoolError {
  return new QueryPoolError('query.worker_crashed', `the query worker stopped while it ran the query (${details.signal ?? `exit code ${details.code}`})`, {
    hint: 'the worker was replaced; retry, and report it if the same query crashes again',
    retryable: true,
    details,
  });
}

import { AdeError, PermissionError, messageOf } from '../kernel/index.js';

/** Stable codes of the errors the engine raises itself (access denials are `permission.denied`). */
export type EngineErrorCode =
  | 'engine.query_failed'
  | 'engine.syntax_error'
  | 'engine.timeout'
  | 'engine.cancelled'
  | 'engine.out_of_memory'
  | 'engine.closed'
  | 'engine.output_closed'
  | 'engine.file_exists'
  | 'engine.write_failed';

/** A query or write the engine could not run. */
export class EngineError extends AdeError {
  declare readonly code: EngineErrorCode;

  constructor(
    code: EngineErrorCode,
    message: string,
    options: { hint?: string; retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/** A DuckDB error message taken apart: `Binder Error: … \n\nLINE 1: select x\n ^`. */
export interface DuckDBErrorText {
  /** The error class DuckDB names (`Binder`, `Parser`, `Permission`…), if any. */
  readonly kind: string | undefined;
  /** What went wrong, without the class prefix or the source context. */
  readonly text: string;
  /** The `LINE n: …` excerpt with its caret, when DuckDB points into the SQL. */
  readonly context: string | undefined;
}

/** What the Node bindings put in front of DuckDB's own message. */
const WRAPPER = /^Failed to [a-z ]+: (?=[A-Za-z][A-Za-z ]*? Error: )/;
const KIND = /^([A-Za-z][A-Za-z ]*?) Error: /;
const CONTEXT = /\n\s*\n?(LINE \d+:[\s\S]*)$/;

export function parseDuckDBError(raw: string): DuckDBErrorText {
  const message = raw.replace(WRAPPER, '');
  const kindMatch = KIND.exec(message);
  let body = kindMatch ? message.slice(kindMatch[0].length) : message;
  let context: string | undefined;
  const contextMatch = CONTEXT.exec(body);
  if (contextMatch) {
    context = contextMatch[1]!.replace(/\s+$/, '');
    body = body.slice(0, contextMatch.index);
  }
  return { kind: kindMatch?.[1], text: body.trim(), context };
}

/** `Out of Memory` → `out_of_memory`. */
function kindKey(kind: string): string {
  return kind.trim().toLowerCase().replaceAll(' ', '_');
}

function formatMessage(parsed: DuckDBErrorText): string {
  const head = parsed.kind ? `${parsed.kind} Error: ${parsed.text}` : parsed.text;
  return parsed.context ? `${head}\n${parsed.context}` : head;
}

/** What the engine was doing, for the details of a translated error. */
export interface ErrorContext {
  /** `query`, `session`, `write`. */
  readonly operation: string;
  readonly [key: string]: unknown;
}

/**
 * Turns anything DuckDB threw into an ade error: `Permission Error` becomes a
 * `PermissionError`, a parse failure `engine.syntax_error`, running out of
 * memory `engine.out_of_memory`, the rest `engine.query_failed`. Ade errors
 * pass through unchanged.
 */
export function engineErrorFrom(e: unknown, context: ErrorContext): AdeError {
  if (e instanceof AdeError) return e;
  const parsed = parseDuckDBError(messageOf(e));
  const kind = parsed.kind ? kindKey(parsed.kind) : undefined;
  const details = { ...context, ...(kind ? { kind } : {}) };
  const message = formatMessage(parsed);
  switch (kind) {
    case 'permission':
      return new PermissionError(message, {
        hint: 'a session reads only the tables and zones its role may read; query tables as zone.table',
        details,
        cause: e,
      });
    case 'parser':
      return new EngineError('engine.syntax_error', message, { hint: 'fix the SQL where the caret points', details, cause: e });
    case 'out_of_memory':
      return new EngineError('engine.out_of_memory', message, {
        hint: 'the query needs more memory than the engine memoryLimit; filter or aggregate earlier, or raise memoryLimit',
        details,
        cause: e,
      });
    case 'catalog':
      return new EngineError('engine.query_failed', message, {
        hint: 'tables are named zone.table; SHOW ALL TABLES lists the ones this session can read',
        details,
        cause: e,
      });
    default:
      return new EngineError('engine.query_failed', message, { details, cause: e });
  }
}

/** The query ran out of its time budget and was interrupted. */
export function timeoutError(timeoutMs: number, context: ErrorContext): EngineError {
  return new EngineError('engine.timeout', `query interrupted after ${timeoutMs} ms`, {
    hint: 'make the query cheaper (filter, aggregate, LIMIT) or raise the engine queryTimeoutMs setting',
    retryable: false,
    details: { ...context, timeoutMs },
  });
}

/** The query was cancelled by its caller or because its session closed. */
export function cancelledError(context: ErrorContext): EngineError {
  return new EngineError('engine.cancelled', 'query cancelled', { details: context });
}

/** The session (or engine) was closed before or while the call ran. */
export function closedError(what: 'session' | 'engine'): EngineError {
  return new EngineError('engine.closed', `the ${what} is closed`, { hint: `open a new ${what}` });
}

/**
 * The root of every error ade throws on purpose.
 *
 * `code` is a stable, dotted identifier (`catalog.commit_conflict`) that scripts
 * and the HTTP layer map on; `hint` tells the user what to do next; `retryable`
 * says whether trying the same thing again can help (a lost compare-and-swap)
 * or not (a malformed file).
 */
export class AdeError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  /** Ids and values needed to act on the error (table, file, line, field…). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: {
      hint?: string;
      retryable?: boolean;
      details?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  toJSON(): Record<string, unknown> {
    return {
      error: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      retryable: this.retryable,
      ...(Object.keys(this.details).length ? { details: this.details } : {}),
    };
  }
}

/** Input that does not have the shape or value it must have. Never retryable. */
export class ValidationError extends AdeError {
  constructor(message: string, options: { hint?: string; details?: Record<string, unknown>; code?: string } = {}) {
    super(options.code ?? 'validation.invalid', message, { ...options, retryable: false });
  }
}

/** A caller acting beyond its role. */
export class PermissionError extends AdeError {
  constructor(message: string, options: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super('permission.denied', message, { ...options, retryable: false });
  }
}

/** Something named that does not exist. */
export class NotFoundError extends AdeError {
  constructor(what: string, name: string, options: { hint?: string; details?: Record<string, unknown> } = {}) {
    super(`${what}.not_found`, `${what} ${JSON.stringify(name)} does not exist`, {
      ...options,
      details: { [what]: name, ...(options.details ?? {}) },
    });
  }
}

export function isAdeError(e: unknown): e is AdeError {
  return e instanceof AdeError;
}

/** The message of anything thrown, for wrapping third-party errors. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The stable ids of {@link AdeSdkError}, for code that reacts to them. */
export type AdeSdkErrorCode =
  /** An experiment definition that cannot be used (no variants, a negative weight, coverage outside [0, 1]…). */
  | 'experiment.invalid'
  /** An override naming a variant the experiment does not have. */
  | 'experiment.override'
  /** An `AdeClient` option that cannot be used. */
  | 'client.config'
  /** An event the client cannot send (no userId or anonymousId, larger than 32 KiB). */
  | 'event.invalid'
  /** An event tracked after `close()`. */
  | 'client.closed'
  /** The collector refused a batch as malformed (HTTP 400, 413): sending it again cannot help. */
  | 'delivery.rejected'
  /** The collector refused the write key (HTTP 401, 403). */
  | 'delivery.unauthorized'
  /** Every attempt failed (network errors, 429, 5xx) and the retries are spent. */
  | 'delivery.failed'
  /** A model artifact (or a node or feature steps given to the scorer) that does not follow `ade.model/v1`; the message names the JSON path. */
  | 'model.invalid'
  /** A model artifact in a format this SDK does not read (another `format` version). */
  | 'model.unsupported'
  /** Input the scorer cannot use: a feature matrix shorter than `n × featureCount`, rows that are not objects. */
  | 'model.input'
  /** Loading an artifact over HTTP failed (network error or a non-2xx status; `retryable` for network errors, 429 and 5xx). */
  | 'model.fetch';

/**
 * The one error class of the SDK. `code` is a stable id, `hint` says what to
 * do next, `retryable` whether the same call later can succeed, and
 * `details` holds the ids needed to act (experiment key, HTTP status,
 * message ids of the events that were dropped).
 *
 * @example
 * new AdeClient({ url, writeKey, onError: (e) => {
 *   if (e.code === 'delivery.unauthorized') alert('check the write key');
 * } });
 */
export class AdeSdkError extends Error {
  readonly code: AdeSdkErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: AdeSdkErrorCode, message: string, options: { hint?: string; retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AdeSdkError';
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

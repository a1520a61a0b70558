import { assign, type Assignment } from './assign.js';
import { deliverBatch, type DeliveryConfig, type FetchLike } from './delivery.js';
import { AdeSdkError } from './errors.js';
import type { Attributes, Experiment } from './experiment.js';
import { ExposureCache, exposureEvent } from './exposures.js';
import { randomMessageId } from './message-id.js';
import type { Identity, Properties, TrackEvent } from './segment-event.js';
import { SDK_VERSION } from './version.js';

/** Largest event ade's collector (and Segment) takes, as UTF-8 JSON. */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Largest batch request the client sends (the collector takes 500 KiB). */
export const MAX_BATCH_BYTES = 480 * 1024;

export interface AdeClientOptions {
  /** The ade server, e.g. `https://ade.example.com`; events go to `POST {url}/v1/batch`. */
  readonly url: string;
  /** A write key for the source (`ade tokens create --ingest <source>`), sent as the basic-auth user. */
  readonly writeKey: string;
  /** Send as soon as this many events wait. Default 20. */
  readonly flushAt?: number;
  /** Send what waits at most this long after the first of it. Default 1000. */
  readonly flushIntervalMs?: number;
  /** Retries of a batch after the first attempt (network errors, 408, 429, 5xx). Default 3. */
  readonly maxRetries?: number;
  /** First backoff between attempts, doubled each time. Default 500. */
  readonly retryBaseMs?: number;
  /** Longest backoff. Default 30000. */
  readonly retryMaxMs?: number;
  /** Longest `Retry-After` honoured. Default 60000. */
  readonly maxRetryAfterMs?: number;
  /** Per-request timeout. Default 10000. */
  readonly timeoutMs?: number;
  /** Exposures remembered per client to log each once (oldest forgotten first). Default 10000. */
  readonly exposureCacheSize?: number;
  /** Which field exposures put the unit id in. Default `userId`. */
  readonly unitIdentity?: 'userId' | 'anonymousId';
  /** QA: experiment key → variant every `getVariant` of this client returns (not logged as an exposure). */
  readonly overrides?: Readonly<Record<string, string | number>>;
  /** Called with every event the client drops, and why; default: `console.error`. Never throws into the app. */
  readonly onError?: (error: AdeSdkError) => void;
  /** Default: the global `fetch`. */
  readonly fetch?: FetchLike;
  /** The clock for event timestamps. Default: `() => new Date()`. */
  readonly now?: () => Date;
}

const DEFAULTS = {
  flushAt: 20,
  flushIntervalMs: 1000,
  maxRetries: 3,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  maxRetryAfterMs: 60_000,
  timeoutMs: 10_000,
  exposureCacheSize: 10_000,
  unitIdentity: 'userId',
  overrides: {},
} as const satisfies Partial<AdeClientOptions>;

const encoder = new TextEncoder();

/**
 * ade's client for apps: deterministic experiment assignment with exposure
 * logging, and `track()` for events, sent in batches to ade's collector
 * (Segment's HTTP API) and retried with backoff. Zero dependencies;
 * browsers and Node 18+.
 *
 * @example
 * const ade = new AdeClient({ url: 'https://ade.example.com', writeKey: 'wk_…' });
 * const { variant } = ade.getVariant(checkout, user.id, { country: user.country });
 * ade.track('Order Completed', { total: 42 }, { userId: user.id });
 * await ade.close(); // on shutdown: sends what waits
 */
export class AdeClient {
  readonly #options: Required<Omit<AdeClientOptions, 'fetch' | 'onError'>> & { onError: (e: AdeSdkError) => void };
  readonly #delivery: DeliveryConfig;
  readonly #exposures: ExposureCache;
  #queue: TrackEvent[] = [];
  #queueBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sending: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: AdeClientOptions) {
    const merged = { ...DEFAULTS, now: () => new Date(), onError: defaultOnError, ...stripUndefined(options) };
    // Wrapped, not passed as is: a browser's fetch called with another `this` throws "Illegal invocation".
    const fetchImpl = options.fetch ?? (typeof fetch === 'function' ? ((u, init) => fetch(u, init)) satisfies FetchLike : undefined);
    checkOptions(merged, fetchImpl);
    this.#options = merged;
    this.#delivery = {
      url: merged.url,
      writeKey: merged.writeKey,
      fetch: fetchImpl!,
      maxRetries: merged.maxRetries,
      retryBaseMs: merged.retryBaseMs,
      retryMaxMs: merged.retryMaxMs,
      maxRetryAfterMs: merged.maxRetryAfterMs,
      timeoutMs: merged.timeoutMs,
    };
    this.#exposures = new ExposureCache(merged.exposureCacheSize);
  }

  /**
   * The unit's variant (see `assign`), logging an exposure the first time
   * this client sees this (experiment, unit, variant) — only for units in
   * the experiment, never for forced, overridden or excluded ones.
   *
   * @example
   * const { variant } = ade.getVariant(checkout, 'user-42', { country: 'NL' });
   */
  getVariant(experiment: Experiment, unitId: string, attributes: Attributes = {}, options: { unitIdentity?: 'userId' | 'anonymousId' } = {}): Assignment {
    const assignment = assign(experiment, unitId, attributes, { overrides: this.#options.overrides });
    if (assignment.inExperiment && this.#exposures.add(experiment.key, unitId, assignment.variant)) {
      const identity = { [options.unitIdentity ?? this.#options.unitIdentity]: unitId };
      this.#enqueue(exposureEvent(experiment.key, identity, assignment, this.#options.now()));
    }
    return assignment;
  }

  /**
   * Queues a Segment `track` call with a random messageId.
   *
   * @example
   * ade.track('Order Completed', { total: 42, currency: 'EUR' }, { userId: 'user-42' });
   */
  track(event: string, properties: Properties = {}, identity: Identity): void {
    identity ??= {}; // called from JavaScript without one: reported as event.invalid, not thrown
    this.#enqueue({
      type: 'track',
      event,
      ...(identity.userId !== undefined ? { userId: identity.userId } : {}),
      ...(identity.anonymousId !== undefined ? { anonymousId: identity.anonymousId } : {}),
      properties,
      messageId: randomMessageId(),
      timestamp: this.#options.now().toISOString(),
      context: { library: { name: '@ade/sdk', version: SDK_VERSION } },
    });
  }

  /** Sends everything queued; resolves when every batch is delivered or reported to `onError`. Never rejects. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const events = this.#queue;
    this.#queue = [];
    this.#queueBytes = 0;
    for (const batch of splitBatches(events, this.#options.flushAt)) {
      this.#sending = this.#sending.then(async () => {
        const result = await deliverBatch(this.#delivery, batch);
        if (!result.ok) this.#report(result.error);
      });
    }
    return this.#sending;
  }

  /** Flushes and stops: later events are reported to `onError` as `client.closed`. */
  close(): Promise<void> {
    this.#closed = true;
    return this.flush();
  }

  #enqueue(event: TrackEvent): void {
    const fail = (code: 'event.invalid' | 'client.closed', message: string, hint: string) =>
      this.#report(new AdeSdkError(code, message, { hint, details: { messageId: event.messageId, event: event.event } }));
    if (this.#closed) return fail('client.closed', `event ${JSON.stringify(event.event)} tracked after close()`, 'track before closing the client');
    if (typeof event.event !== 'string' || event.event === '') return fail('event.invalid', 'the event name must be a non-empty string', "e.g. track('Order Completed', …)");
    if (!event.userId && !event.anonymousId) return fail('event.invalid', `event ${JSON.stringify(event.event)} has no userId or anonymousId`, 'pass { userId } or { anonymousId }');
    let bytes: number;
    try {
      bytes = encoder.encode(JSON.stringify(event)).length;
    } catch (e) {
      return fail('event.invalid', `event ${JSON.stringify(event.event)} cannot be sent as JSON (${e instanceof Error ? e.message : String(e)})`, 'properties must be JSON values');
    }
    if (bytes > MAX_EVENT_BYTES) return fail('event.invalid', `event ${JSON.stringify(event.event)} is ${bytes} bytes, over ${MAX_EVENT_BYTES}`, 'send smaller properties');
    if (this.#queueBytes + bytes > MAX_BATCH_BYTES) void this.flush();
    this.#queue.push(event);
    this.#queueBytes += bytes;
    if (this.#queue.length >= this.#options.flushAt) void this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.flush(), this.#options.flushIntervalMs);
      // Node: a waiting flush does not keep the process alive (close() sends it).
      (this.#timer as unknown as { unref?: () => void }).unref?.();
    }
  }

  #report(error: AdeSdkError): void {
    try {
      this.#options.onError(error);
    } catch {
      /* an onError that throws must not break the app */
    }
  }
}

/** Events in batches of at most `size` events and {@link MAX_BATCH_BYTES}. */
function splitBatches(events: readonly TrackEvent[], size: number): TrackEvent[][] {
  const batches: TrackEvent[][] = [];
  let current: TrackEvent[] = [];
  let bytes = 0;
  for (const e of events) {
    const n = encoder.encode(JSON.stringify(e)).length + 1;
    if (current.length > 0 && (current.length >= size || bytes + n > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += n;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function defaultOnError(error: AdeSdkError): void {
  console.error(`[@ade/sdk] ${error.code}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`);
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function checkOptions(o: Required<Omit<AdeClientOptions, 'fetch'>>, fetchImpl: FetchLike | undefined): void {
  const fail = (field: string, message: string, hint: string): never => {
    throw new AdeSdkError('client.config', `AdeClient: ${field} ${message}`, { hint, details: { field } });
  };
  if (typeof o.url !== 'string' || !/^https?:\/\//.test(o.url)) fail('url', 'must be an http(s) URL', "e.g. url: 'https://ade.example.com'");
  if (typeof o.writeKey !== 'string' || o.writeKey === '') fail('writeKey', 'is required', 'make one with: ade tokens create --ingest <source>');
  const positive = (field: keyof typeof o, min: number) => {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(field, `must be an integer ≥ ${min}`, 'leave it out for the default');
  };
  positive('flushAt', 1);
  positive('flushIntervalMs', 0);
  positive('maxRetries', 0);
  positive('retryBaseMs', 0);
  positive('retryMaxMs', 0);
  positive('maxRetryAfterMs', 0);
  positive('timeoutMs', 1);
  positive('exposureCacheSize', 1);
  if (o.unitIdentity !== 'userId' && o.unitIdentity !== 'anonymousId') fail('unitIdentity', "must be 'userId' or 'anonymousId'", 'default userId');
  if (fetchImpl === undefined) fail('fetch', 'is not available in this runtime', 'pass options.fetch');
}

import { AdeSdkError } from './errors.js';
import type { TrackEvent } from './segment-event.js';

/** The part of `fetch` the client uses, so tests and other runtimes can pass their own. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal?: AbortSignal; keepalive?: boolean },
) => Promise<{ readonly status: number; readonly headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface DeliveryConfig {
  /** `POST {url}/v1/batch`. */
  readonly url: string;
  readonly writeKey: string;
  readonly fetch: FetchLike;
  /** Attempts after the first. */
  readonly maxRetries: number;
  /** First backoff; doubled each attempt, with jitter (a random 50–100% of it). */
  readonly retryBaseMs: number;
  /** Longest backoff between attempts. */
  readonly retryMaxMs: number;
  /** Longest `Retry-After` honoured; a longer one waits this long. */
  readonly maxRetryAfterMs: number;
  /** A request taking longer is aborted and counts as a network error. */
  readonly timeoutMs: number;
}

/** How one batch fared: delivered after `attempts` tries, or dropped with the reason. */
export type DeliveryResult = { readonly ok: true; readonly attempts: number } | { readonly ok: false; readonly attempts: number; readonly error: AdeSdkError };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends `events` as one Segment batch, with basic auth (the write key as the
 * user name, as Segment does). Retries network errors, timeouts, 408, 429
 * (waiting what `Retry-After` says) and 5xx with exponential backoff; never
 * retries other 4xx. Never throws.
 *
 * @example
 * const r = await deliverBatch(config, [event]);
 * if (!r.ok) console.warn(r.error.code, r.error.hint);
 */
export async function deliverBatch(config: DeliveryConfig, events: readonly TrackEvent[]): Promise<DeliveryResult> {
  const url = `${config.url.replace(/\/+$/, '')}/v1/batch`;
  const headers = { 'content-type': 'application/json', authorization: `Basic ${base64(`${config.writeKey}:`)}` };
  const messageIds = events.map((e) => e.messageId);
  for (let attempt = 0; ; attempt++) {
    const body = JSON.stringify({ batch: events, sentAt: new Date().toISOString() });
    let status = 0;
    let retryAfterMs: number | undefined;
    let reason: string;
    try {
      const response = await fetchWithTimeout(config, url, { method: 'POST', headers, body });
      status = response.status;
      if (status >= 200 && status < 300) return { ok: true, attempts: attempt + 1 };
      const text = await response.text().catch(() => '');
      reason = `HTTP ${status}${describeBody(text)}`;
      if (!isRetryable(status)) return { ok: false, attempts: attempt + 1, error: refused(status, reason, messageIds) };
      retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    } catch (e) {
      reason = `network error: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (attempt >= config.maxRetries) {
      return {
        ok: false,
        attempts: attempt + 1,
        error: new AdeSdkError('delivery.failed', `${events.length} events not delivered after ${attempt + 1} attempts (${reason})`, {
          retryable: true,
          hint: 'the collector was unreachable or overloaded; check the url and the server, or raise maxRetries',
          details: { status, attempts: attempt + 1, messageIds },
        }),
      };
    }
    const backoff = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** attempt) * (0.5 + Math.random() / 2);
    await sleep(retryAfterMs === undefined ? backoff : Math.min(retryAfterMs, config.maxRetryAfterMs));
  }
}

/** 408, 429 and 5xx can succeed later; other statuses will not. */
export function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * `Retry-After` in milliseconds: delay-seconds or an HTTP date; undefined
 * when absent or unreadable.
 *
 * @example
 * parseRetryAfter('2'); // 2000
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function refused(status: number, reason: string, messageIds: readonly string[]): AdeSdkError {
  const auth = status === 401 || status === 403;
  return new AdeSdkError(auth ? 'delivery.unauthorized' : 'delivery.rejected', `${messageIds.length} events refused by the collector (${reason})`, {
    hint: auth ? 'use a write key made for this source (ade tokens create --ingest <source>)' : 'the events do not have the shape the collector takes; see the message',
    details: { status, messageIds },
  });
}

async function fetchWithTimeout(config: DeliveryConfig, url: string, init: { method: 'POST'; headers: Record<string, string>; body: string }) {
  const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
  const timer = controller ? setTimeout(() => controller.abort(), config.timeoutMs) : undefined;
  try {
    return await config.fetch(url, controller ? { ...init, signal: controller.signal } : init);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** `: <the collector's error message>` when the body is ade's `{ error: { message } }`, else a short excerpt. */
function describeBody(text: string): string {
  if (text === '') return '';
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return `: ${message}`;
  } catch {
    /* not JSON */
  }
  return `: ${text.slice(0, 200)}`;
}

/** Base64 of `text`'s UTF-8 bytes, with `btoa` (browsers, Node 16+). */
function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

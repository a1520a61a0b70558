/**
 * Sends one alert notice to one sink: retries with capped full-jitter
 * back-off, a timeout per attempt, and a result instead of an exception.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { buildSinkRequest, sinkAccepts, type AlertNotice, type SinkConfig, type SinkRequest } from './alert-sinks.js';

/** How hard to try before handing a notice back (to an outbox, say) as undelivered. */
export interface DeliveryPolicy {
  /** Tries in all, the first included (at least 1). */
  readonly attempts: number;
  /** Back-off ceiling after the first failure (ms); it doubles with each retry. */
  readonly baseDelayMs: number;
  /** Longest wait between tries (ms); also caps a server's Retry-After. */
  readonly maxDelayMs: number;
  /** Limit for one try, reading the response included (ms). */
  readonly timeoutMs: number;
}

export const DEFAULT_DELIVERY: DeliveryPolicy = Object.freeze({ attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, timeoutMs: 5_000 });

export interface DeliveryResult {
  readonly ok: boolean;
  /** HTTP requests made (0 when skipped or the request could not be built). */
  readonly attempts: number;
  /** Status of the last response, when there was one. */
  readonly status?: number;
  /** What went wrong on the last try, with secrets (sink URL, key, header values) redacted. */
  readonly error?: string;
  /** true when retrying later could help (network error, timeout, 408, 429, 5xx) */
  readonly retryable: boolean;
  /** true when the sink does not want the notice (minSeverity): nothing was sent, and nothing needs to be. */
  readonly skipped?: boolean;
  /** The wait the receiver asked for on its last answer (Retry-After, uncapped), for scheduling a later retry. */
  readonly retryAfterMs?: number;
}

export interface DeliveryDeps {
  /** Waits between tries; tests pass a fast one. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetch?: typeof fetch;
  /** Source of jitter in [0, 1); tests pin it. */
  readonly random?: () => number;
}

/**
 * Sends with retries (exponential backoff with full jitter, capped; honours
 * Retry-After on 429/503 up to maxDelayMs), each attempt under timeoutMs.
 * 2xx = ok. Redirects and 4xx other than 408/429 are permanent: no retry.
 * Never throws.
 *
 * @example
 * const r = await deliverNotice(sink, notice, { attempts: 3 });
 * if (!r.ok && r.retryable) outbox.retryLater(notice, r.retryAfterMs);
 */
export async function deliverNotice(
  sink: SinkConfig,
  notice: AlertNotice,
  policy: Partial<DeliveryPolicy> = {},
  deps: DeliveryDeps = {},
): Promise<DeliveryResult> {
  const p = mergePolicy(policy);
  const sleep = deps.sleep ?? ((ms: number) => delay(ms).then(() => undefined));
  const doFetch = deps.fetch ?? globalThis.fetch;
  const random = deps.random ?? Math.random;
  let attempts = 0;
  try {
    if (!sinkAccepts(sink, notice)) return { ok: true, attempts: 0, retryable: false, skipped: true };
    let request: SinkRequest;
    try {
      request = buildSinkRequest(sink, notice);
    } catch (e) {
      return { ok: false, attempts: 0, error: redact(`cannot build the request: ${errorText(e)}`, sink), retryable: false };
    }
    for (;;) {
      attempts++;
      const o = await attemptOnce(doFetch, request, p.timeoutMs);
      if (o.ok || !o.retryable || attempts >= p.attempts) {
        return {
          ok: o.ok,
          attempts,
          retryable: o.retryable,
          ...(o.status === undefined ? {} : { status: o.status }),
          ...(o.error === undefined ? {} : { error: redact(o.error, sink) }),
          ...(o.retryAfterMs === undefined ? {} : { retryAfterMs: o.retryAfterMs }),
        };
      }
      await sleep(backoffMs(attempts, p, random(), o.retryAfterMs));
    }
  } catch (e) {
    // Only an injected sleep/fetch/random misbehaving gets here.
    return { ok: false, attempts, error: redact(errorText(e), sink), retryable: true };
  }
}

/**
 * The wait after the `failures`-th failed try: the receiver's Retry-After
 * when it gave one, else full jitter under an exponential ceiling; both capped
 * at maxDelayMs. `jitter` is in [0, 1).
 */
export function backoffMs(failures: number, policy: DeliveryPolicy, jitter: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - 1));
  return Math.floor(jitter * ceiling);
}

function mergePolicy(policy: Partial<DeliveryPolicy>): DeliveryPolicy {
  const pick = (key: keyof DeliveryPolicy, min: number): number => {
    const v = policy[key];
    return typeof v === 'number' && Number.isFinite(v) ? Math.max(min, Math.floor(v)) : DEFAULT_DELIVERY[key];
  };
  // AbortSignal.timeout wants a whole number of ms that fits in 32 bits.
  return { attempts: pick('attempts', 1), baseDelayMs: pick('baseDelayMs', 0), maxDelayMs: pick('maxDelayMs', 0), timeoutMs: Math.min(pick('timeoutMs', 1), 2 ** 32 - 1) };
}

interface Outcome {
  readonly ok: boolean;
  readonly retryable: boolean;
  readonly status?: number;
  readonly error?: string;
  readonly retryAfterMs?: number;
}

async function attemptOnce(doFetch: typeof fetch, req: SinkRequest, timeoutMs: number): Promise<Outcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    // Redirects are not followed: a POST turned into a GET (or an auth header sent elsewhere) is worse than a clear error.
    res = await doFetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal, redirect: 'manual' });
  } catch (e) {
    return fetchFailure(e, timeoutMs);
  }
  const status = res.status;
  if (status >= 200 && status < 300) {
    res.body?.cancel().catch(() => undefined);
    return { ok: true, retryable: false, status };
  }
  const body = await readSnippet(res);
  const retryable = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(res.headers.get('retry-after')) : undefined;
  const head = `HTTP ${status}${res.statusText ? ` ${res.statusText}` : ''}${body ? `: ${body}` : ''}`;
  return { ok: false, retryable, status, error: head + statusHint(status, res.headers.get('location')), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

function statusHint(status: number, location: string | null): string {
  if (status >= 300 && status < 400) return ` (redirected${location ? ` to ${location}` : ''}; point the sink at the final URL)`;
  if (status === 401 || status === 403) return ' (check the sink credentials: api_key_env or headers)';
  if (status === 404 || status === 410) return ' (check the sink URL; the webhook may have been removed)';
  return '';
}

/** Network failures and timeouts are worth retrying; a request fetch refuses to send (bad URL or header) is not. */
function fetchFailure(e: unknown, timeoutMs: number): Outcome {
  const err = e as { name?: string; message?: string; cause?: unknown };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return { ok: false, retryable: true, error: `timed out after ${timeoutMs} ms` };
  const cause = err?.cause as { code?: unknown; message?: string; errors?: { code?: unknown; message?: string }[] } | undefined;
  const inner = cause?.errors?.[0] ?? cause;
  const code = typeof inner?.code === 'string' ? inner.code : undefined;
  if (code === 'ERR_INVALID_URL' || (e instanceof TypeError && code === undefined && err.message !== 'fetch failed')) {
    return { ok: false, retryable: false, error: `request not sent: ${errorText(e)}` };
  }
  const detail = inner?.message || code || errorText(e);
  return { ok: false, retryable: true, error: code && !detail.includes(code) ? `${code}: ${detail}` : detail };
}

/** The first bytes of an error response, on one line (receivers such as Slack explain in the body: `invalid_payload`, `no_service`). */
async function readSnippet(res: Response, max = 300): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < max) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // timed out or reset mid-body: keep what arrived
  } finally {
    reader.cancel().catch(() => undefined);
  }
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** Retry-After as delay-seconds or an HTTP date, in ms. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Slack webhook URLs, API keys and auth header values are secrets: keep them out of messages that get logged. */
function redact(text: string, sink: SinkConfig): string {
  const secrets = [sink.url, sink.apiKey, ...Object.values(sink.headers ?? {})].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return secrets.reduce((t, s) => t.split(s).join('<redacted>'), text);
}

/**
 * Alert sinks: where ade sends data-quality alert notices, and the HTTP
 * request each kind of sink expects. Pure functions; delivery (retries,
 * timeouts) is in `deliver-alert.ts`.
 */

export type SinkKind = 'slack' | 'opsgenie' | 'webhook';
export const SINK_KINDS: readonly SinkKind[] = ['slack', 'opsgenie', 'webhook'];

export type OpsgeniePriority = 'P1' | 'P2' | 'P3' | 'P4' | 'P5';
const PRIORITIES: readonly OpsgeniePriority[] = ['P1', 'P2', 'P3', 'P4', 'P5'];
const SEVERITIES = ['warn', 'error'] as const;

/** The OpsGenie API base used when an opsgenie sink gives no url. */
export const DEFAULT_OPSGENIE_URL = 'https://api.opsgenie.com';

/** One configured alert destination (`alerts.sinks.<name>` in ade.yaml). */
export interface SinkConfig {
  /** The sink's name in ade.yaml, e.g. 'team-slack'. */
  readonly name: string;
  /** Which payload format the sink speaks. */
  readonly kind: SinkKind;
  /** slack: the incoming-webhook URL; webhook: any http(s) URL; opsgenie: the API base, default 'https://api.opsgenie.com' (EU: https://api.eu.opsgenie.com). */
  readonly url: string;
  /** opsgenie only: the API integration key (sent as `Authorization: GenieKey <key>`). */
  readonly apiKey?: string;
  /** extra headers (webhook only), e.g. an auth header. */
  readonly headers?: Readonly<Record<string, string>>;
  /** opsgenie priority for every alert of this sink; without it P2 for errors, P4 for warnings. */
  readonly priority?: OpsgeniePriority;
  /** only notices with this severity or worse: 'warn' (default, all) or 'error'. */
  readonly minSeverity?: 'warn' | 'error';
}

/** One message about one alert: it opened, or it recovered. */
export interface AlertNotice {
  /** Unique per notice; sent as `Idempotency-Key` so receivers can drop duplicates. */
  readonly id: string;
  /** The alert this notice belongs to (stable from open to recovery). */
  readonly alertId: string;
  readonly kind: 'open' | 'recovered';
  /** Stable check identity, e.g. 'clean.orders/not_null(email)'. */
  readonly checkId: string;
  /** Human check name, e.g. 'not_null(email)'. */
  readonly checkName: string;
  /** The checked table, e.g. 'clean.orders'. */
  readonly table: string;
  readonly severity: 'error' | 'warn';
  readonly status: 'fail' | 'error' | 'pass';
  /** One sentence, e.g. '12 rows have email null'. */
  readonly message: string;
  readonly observed?: unknown;
  /** e.g. { low, high } or a description. */
  readonly expected?: unknown;
  readonly snapshotId?: number;
  /** Set when an error check blocked a write. */
  readonly stagedId?: string;
  readonly project: string;
  /** ISO time. */
  readonly at: string;
}

/** A ready-to-send HTTP request. */
export interface SinkRequest {
  readonly url: string;
  readonly method: 'POST';
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Whether the sink wants this notice (minSeverity). A recovery carries its alert's severity, so it goes where the opening went. */
export function sinkAccepts(sink: SinkConfig, notice: AlertNotice): boolean {
  return (sink.minSeverity ?? 'warn') === 'warn' || notice.severity === 'error';
}

/**
 * The HTTP request a sink expects for a notice.
 *
 * @example
 * const req = buildSinkRequest({ name: 'ops', kind: 'opsgenie', url: DEFAULT_OPSGENIE_URL, apiKey }, notice);
 * // open → POST https://api.opsgenie.com/v2/alerts; recovered → POST …/v2/alerts/<alias>/close?identifierType=alias
 * @throws Error when the sink lacks what its kind needs (an opsgenie sink without apiKey).
 */
export function buildSinkRequest(sink: SinkConfig, notice: AlertNotice): SinkRequest {
  const base = { 'Content-Type': 'application/json', 'Idempotency-Key': notice.id };
  switch (sink.kind) {
    case 'slack':
      return { url: sink.url, method: 'POST', headers: base, body: JSON.stringify(slackPayload(notice)) };
    case 'opsgenie': {
      if (!sink.apiKey) throw new Error(`opsgenie sink ${JSON.stringify(sink.name)} has no API key; set api_key_env`);
      const headers = { ...base, Authorization: `GenieKey ${sink.apiKey}` };
      const root = `${(sink.url || DEFAULT_OPSGENIE_URL).replace(/\/+$/, '')}/v2/alerts`;
      if (notice.kind === 'recovered') {
        const alias = encodeURIComponent(opsgenieAlias(notice));
        return { url: `${root}/${alias}/close?identifierType=alias`, method: 'POST', headers, body: JSON.stringify({ source: 'ade', note: fit(notice.message, 25_000) }) };
      }
      return { url: root, method: 'POST', headers, body: JSON.stringify(opsgenieAlert(sink, notice)) };
    }
    case 'webhook':
      return { url: sink.url, method: 'POST', headers: withHeaders(base, sink.headers), body: JSON.stringify(webhookPayload(notice)) };
  }
}

// ---- Slack incoming webhook: { text, blocks } ----

function slackPayload(n: AlertNotice): { text: string; blocks: unknown[] } {
  const emoji = n.kind === 'recovered' ? ':large_green_circle:' : n.severity === 'error' ? ':red_circle:' : ':large_orange_circle:';
  const what = n.kind === 'recovered' ? 'recovered' : `${verb(n)} (${n.severity})`;
  const message = fit(n.message, 2_000);
  const text = `${emoji} ade · ${n.table} · ${n.checkName} ${what}: ${message}`;
  const lines = [`${emoji} *${esc(n.table)}* · *${esc(n.checkName)}* ${what}`, esc(message)];
  const observed = valueText(n.observed);
  const expected = valueText(n.expected);
  const values = [observed === undefined ? '' : `observed: ${esc(fit(observed, 300))}`, expected === undefined ? '' : `expected: ${esc(fit(expected, 300))}`];
  if (values.some(Boolean)) lines.push(values.filter(Boolean).join(' · '));
  const context = [
    `project *${esc(n.project)}*`,
    n.snapshotId === undefined ? '' : `snapshot ${n.snapshotId}`,
    n.stagedId === undefined ? '' : `staged ${esc(n.stagedId)} (write blocked)`,
    esc(n.at),
  ].filter(Boolean);
  return {
    text: esc(text),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: fit(lines.join('\n'), 3_000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: fit(context.join(' · '), 3_000) }] },
    ],
  };
}

/** Slack reads `&`, `<` and `>` as markup (`<!channel>` pings everyone), so data goes in escaped. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ---- OpsGenie Alert API ----

/** OpsGenie's field limits (characters). */
const OPSGENIE = { message: 130, alias: 512, description: 15_000, tag: 50, entity: 512, detail: 800 } as const;

function opsgenieAlias(n: AlertNotice): string {
  return fit(n.alertId, OPSGENIE.alias);
}

function opsgenieAlert(sink: SinkConfig, n: AlertNotice): Record<string, unknown> {
  const details: Record<string, string> = {};
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) details[key] = fit(value, OPSGENIE.detail);
  };
  put('table', n.table);
  put('check', n.checkId);
  put('severity', n.severity);
  put('status', n.status);
  put('observed', valueText(n.observed));
  put('expected', valueText(n.expected));
  put('snapshot', n.snapshotId === undefined ? undefined : String(n.snapshotId));
  put('staged', n.stagedId);
  put('project', n.project);
  const description = [
    n.message,
    '',
    `check: ${n.checkName} (${n.checkId})`,
    `table: ${n.table}`,
    `status: ${n.status}, severity: ${n.severity}`,
    ...Object.entries(details)
      .filter(([k]) => ['observed', 'expected', 'snapshot', 'staged'].includes(k))
      .map(([k, v]) => `${k}: ${v}${k === 'staged' ? ' (the write was blocked)' : ''}`),
    `project: ${n.project}`,
    `at: ${n.at}`,
  ].join('\n');
  return {
    message: fit(`[ade] ${n.table} · ${n.checkName} ${verb(n)}: ${n.message}`, OPSGENIE.message),
    alias: opsgenieAlias(n),
    description: fit(description, OPSGENIE.description),
    priority: sink.priority ?? (n.severity === 'error' ? 'P2' : 'P4'),
    source: 'ade',
    tags: ['ade', n.table, n.severity].map((t) => fit(t, OPSGENIE.tag)),
    details,
    entity: fit(n.table, OPSGENIE.entity),
  };
}

// ---- generic webhook: the notice itself ----

function webhookPayload(n: AlertNotice): Record<string, unknown> {
  return {
    type: 'ade.alert',
    version: 1,
    id: n.id,
    alertId: n.alertId,
    kind: n.kind,
    checkId: n.checkId,
    checkName: n.checkName,
    table: n.table,
    severity: n.severity,
    status: n.status,
    message: n.message,
    observed: jsonValue(n.observed),
    expected: jsonValue(n.expected),
    snapshotId: n.snapshotId,
    stagedId: n.stagedId,
    project: n.project,
    at: n.at,
  };
}

/** Defaults overlaid by the sink's own headers, names compared case-insensitively (so `content-type` replaces `Content-Type`). */
function withHeaders(base: Record<string, string>, extra: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (!extra) return base;
  const names = new Set(Object.keys(extra).map((k) => k.toLowerCase()));
  return { ...Object.fromEntries(Object.entries(base).filter(([k]) => !names.has(k.toLowerCase()))), ...extra };
}

// ---- shared text helpers ----

function verb(n: AlertNotice): string {
  if (n.kind === 'recovered') return 'recovered';
  return n.status === 'error' ? 'could not run' : 'failed';
}

/** `s` cut to at most `max` UTF-16 units, ending in `…` when cut, never splitting a surrogate pair. */
function fit(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = s.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** JSON with bigints (DuckDB counts) as numbers when exact, else as decimal strings. */
function bigintSafe(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v;
}

/** A value that JSON.stringify accepts: bigints converted, unserialisable values (cycles) as their String(). */
function jsonValue(v: unknown): unknown {
  if (v === undefined) return undefined;
  try {
    const s = JSON.stringify(v, bigintSafe);
    return s === undefined ? undefined : JSON.parse(s);
  } catch {
    return String(v);
  }
}

/** A value as one line of text: strings as they are, anything else as JSON. */
function valueText(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  const j = jsonValue(v);
  return typeof j === 'string' ? j : (JSON.stringify(j) ?? String(v));
}

// ---- ade.yaml ----

const KEYS: Readonly<Record<SinkKind, readonly string[]>> = {
  slack: ['kind', 'url', 'url_env', 'min_severity'],
  opsgenie: ['kind', 'url', 'url_env', 'api_key_env', 'priority', 'min_severity'],
  webhook: ['kind', 'url', 'url_env', 'headers', 'min_severity'],
};
const ALL_KEYS = [...new Set(Object.values(KEYS).flat())];

/**
 * Parses one sink from ade.yaml (the object under `alerts.sinks.<name>`),
 * resolving `url_env` / `api_key_env` through `env`. `fail(path, message,
 * hint?)` reports errors (it throws). Secrets (Slack URLs, API keys, auth
 * headers) can stay out of the file: a webhook header value may be `{ env: VAR }`.
 *
 * @example
 * // alerts:
 * //   sinks:
 * //     team-slack: { kind: slack, url_env: ADE_SLACK_URL, min_severity: error }
 * //     pager: { kind: opsgenie, api_key_env: OPSGENIE_KEY, url: https://api.eu.opsgenie.com, priority: P1 }
 * //     audit: { kind: webhook, url: https://hooks.example.com/ade, headers: { Authorization: { env: AUDIT_TOKEN } } }
 * parseSink('team-slack', raw, process.env, fail);
 */
export function parseSink(
  name: string,
  raw: unknown,
  env: Readonly<Record<string, string | undefined>>,
  fail: (path: string, message: string, hint?: string) => never,
): SinkConfig {
  const path = `alerts.sinks.${name}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail(path, 'must be a mapping', 'e.g. { kind: slack, url_env: ADE_SLACK_URL }');
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key === 'api_key') fail(`${path}.api_key`, 'API keys do not belong in ade.yaml', 'put the key in an environment variable and name it with api_key_env');
    if (!ALL_KEYS.includes(key)) fail(`${path}.${key}`, `unknown key ${JSON.stringify(key)}`, `allowed keys: ${ALL_KEYS.join(', ')}`);
  }
  if (obj.kind === undefined) fail(`${path}.kind`, 'is required', `use one of: ${SINK_KINDS.join(', ')}`);
  const kind = obj.kind;
  if (typeof kind !== 'string' || !(SINK_KINDS as readonly string[]).includes(kind)) {
    return fail(`${path}.kind`, `unknown sink kind ${JSON.stringify(kind)}`, `use one of: ${SINK_KINDS.join(', ')}`);
  }
  const sinkKind = kind as SinkKind;
  for (const key of Object.keys(obj)) {
    if (!KEYS[sinkKind].includes(key)) fail(`${path}.${key}`, `is not used by ${kind} sinks`, `${kind} sinks take: ${KEYS[sinkKind].join(', ')}`);
  }

  const fromEnv = (keyPath: string, varName: unknown): string => {
    if (typeof varName !== 'string' || varName === '') return fail(keyPath, 'must name an environment variable');
    const v = env[varName];
    if (v === undefined || v === '') return fail(keyPath, `environment variable ${varName} is not set`, `export ${varName}, or remove this sink`);
    return v;
  };

  if (obj.url !== undefined && obj.url_env !== undefined) fail(`${path}.url_env`, 'give url or url_env, not both');
  let url: string;
  if (obj.url_env !== undefined) {
    url = fromEnv(`${path}.url_env`, obj.url_env);
    if (!isHttpUrl(url)) fail(`${path}.url_env`, `environment variable ${String(obj.url_env)} does not hold an http(s) URL`);
  } else if (obj.url !== undefined) {
    if (typeof obj.url !== 'string' || !isHttpUrl(obj.url)) fail(`${path}.url`, 'must be an http(s) URL');
    url = obj.url as string;
  } else if (sinkKind === 'opsgenie') {
    url = DEFAULT_OPSGENIE_URL;
  } else {
    const what = sinkKind === 'slack' ? 'the Slack incoming-webhook URL' : 'the URL to POST alerts to';
    return fail(`${path}.url`, 'is required', `set url_env to an environment variable holding ${what} (or url to the URL itself)`);
  }

  let apiKey: string | undefined;
  if (sinkKind === 'opsgenie') {
    if (obj.api_key_env === undefined) fail(`${path}.api_key_env`, 'is required', 'name the environment variable holding the OpsGenie API integration key');
    apiKey = fromEnv(`${path}.api_key_env`, obj.api_key_env);
  }

  let priority: OpsgeniePriority | undefined;
  if (obj.priority !== undefined) {
    if (!(PRIORITIES as readonly unknown[]).includes(obj.priority)) fail(`${path}.priority`, `unknown priority ${JSON.stringify(obj.priority)}`, `use one of: ${PRIORITIES.join(', ')}`);
    priority = obj.priority as OpsgeniePriority;
  }

  let minSeverity: 'warn' | 'error' | undefined;
  if (obj.min_severity !== undefined) {
    if (!(SEVERITIES as readonly unknown[]).includes(obj.min_severity)) fail(`${path}.min_severity`, `unknown severity ${JSON.stringify(obj.min_severity)}`, 'use warn (all alerts) or error');
    minSeverity = obj.min_severity as 'warn' | 'error';
  }

  let headers: Record<string, string> | undefined;
  if (obj.headers !== undefined) {
    const h = obj.headers;
    if (h === null || typeof h !== 'object' || Array.isArray(h)) return fail(`${path}.headers`, 'must be a mapping of header name to value');
    headers = {};
    for (const [header, value] of Object.entries(h as Record<string, unknown>)) {
      const at = `${path}.headers.${header}`;
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) fail(at, `${JSON.stringify(header)} is not a valid header name`);
      let v: string;
      if (typeof value === 'string') v = value;
      else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && 'env' in value) {
        v = fromEnv(`${at}.env`, (value as { env: unknown }).env);
      } else return fail(at, 'must be a string or { env: VARIABLE }', 'keep secrets such as tokens in an environment variable: { env: MY_TOKEN }');
      if (/[\r\n\0]/.test(v)) fail(at, 'must not contain line breaks');
      headers[header] = v;
    }
    Object.freeze(headers);
  }

  return Object.freeze({
    name,
    kind: sinkKind,
    url,
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(headers === undefined ? {} : { headers }),
    ...(priority === undefined ? {} : { priority }),
    ...(minSeverity === undefined ? {} : { minSeverity }),
  });
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { buildSinkRequest, parseSink, sinkAccepts, type AlertNotice, type SinkConfig } from './alert-sinks.js';
import { backoffMs, DEFAULT_DELIVERY, deliverNotice, parseRetryAfter } from './deliver-alert.js';

const notice: AlertNotice = {
  id: 'ntc_01',
  alertId: 'alr_01',
  kind: 'open',
  checkId: 'clean.orders/not_null(email)',
  checkName: 'not_null(email)',
  table: 'clean.orders',
  severity: 'error',
  status: 'fail',
  message: '12 rows have email null',
  observed: 12n,
  expected: { low: 0, high: 0 },
  snapshotId: 42,
  stagedId: 'stg_7',
  project: 'shop',
  at: '2026-11-05T10:00:00.000Z',
};
const recovered: AlertNotice = { ...notice, id: 'ntc_02', kind: 'recovered', status: 'pass', message: '0 rows have email null', observed: 0 };

const slack: SinkConfig = { name: 'team-slack', kind: 'slack', url: 'https://hooks.slack.com/services/T0/B0/secret' };
const opsgenie: SinkConfig = { name: 'pager', kind: 'opsgenie', url: 'https://api.eu.opsgenie.com/', apiKey: 'k-123' };
const webhook: SinkConfig = { name: 'audit', kind: 'webhook', url: 'https://example.com/hook', headers: { Authorization: 'Bearer t0k', 'content-type': 'application/vnd.ade+json' } };

const body = (s: SinkConfig, n: AlertNotice) => JSON.parse(buildSinkRequest(s, n).body) as Record<string, any>;

describe('buildSinkRequest', () => {
  it('should send Slack a fallback line and a section plus a context block', () => {
    const req = buildSinkRequest(slack, notice);
    assert.equal(req.url, slack.url);
    assert.equal(req.method, 'POST');
    assert.equal(req.headers['Content-Type'], 'application/json');
    assert.equal(req.headers['Idempotency-Key'], 'ntc_01');
    const b = body(slack, notice);
    assert.equal(b.text, ':red_circle: ade · clean.orders · not_null(email) failed (error): 12 rows have email null');
    assert.equal(b.blocks[0].type, 'section');
    assert.equal(b.blocks[0].text.type, 'mrkdwn');
    assert.match(b.blocks[0].text.text, /\*clean\.orders\*.*not_null\(email\).*failed/);
    assert.match(b.blocks[0].text.text, /observed: 12 · expected: \{"low":0,"high":0\}/);
    assert.equal(b.blocks[1].type, 'context');
    const ctx = b.blocks[1].elements[0].text as string;
    for (const part of ['shop', 'snapshot 42', 'staged stg_7', notice.at]) assert.ok(ctx.includes(part), `${part} in ${ctx}`);
  });

  it('should mark Slack recoveries green and warnings orange', () => {
    assert.equal(body(slack, recovered).text, ':large_green_circle: ade · clean.orders · not_null(email) recovered: 0 rows have email null');
    assert.match(body(slack, { ...notice, severity: 'warn' }).text, /^:large_orange_circle: .* failed \(warn\)/);
    assert.match(body(slack, { ...notice, status: 'error', message: 'query failed' }).text, /could not run \(error\)/);
  });

  it('should escape Slack markup so data cannot ping a channel', () => {
    const b = body(slack, { ...notice, message: 'value <!channel> & more' });
    assert.ok(!JSON.stringify(b).includes('<!channel>'));
    assert.match(b.blocks[0].text.text, /&lt;!channel&gt; &amp; more/);
  });

  it('should open an OpsGenie alert with the alert id as alias and a flat string details map', () => {
    const req = buildSinkRequest(opsgenie, notice);
    assert.equal(req.url, 'https://api.eu.opsgenie.com/v2/alerts');
    assert.equal(req.headers.Authorization, 'GenieKey k-123');
    assert.equal(req.headers['Idempotency-Key'], 'ntc_01');
    const b = body(opsgenie, notice);
    assert.equal(b.alias, 'alr_01');
    assert.equal(b.source, 'ade');
    assert.equal(b.priority, 'P2');
    assert.equal(b.entity, 'clean.orders');
    assert.deepEqual(b.tags, ['ade', 'clean.orders', 'error']);
    assert.equal(b.message, '[ade] clean.orders · not_null(email) failed: 12 rows have email null');
    assert.match(b.description, /12 rows have email null/);
    assert.deepEqual(b.details, {
      table: 'clean.orders',
      check: 'clean.orders/not_null(email)',
      severity: 'error',
      status: 'fail',
      observed: '12',
      expected: '{"low":0,"high":0}',
      snapshot: '42',
      staged: 'stg_7',
      project: 'shop',
    });
    for (const v of Object.values(b.details)) assert.equal(typeof v, 'string');
  });

  it('should keep the OpsGenie message within 130 characters and pick priorities', () => {
    const long = { ...notice, message: 'x'.repeat(500) + '😀'.repeat(100) };
    const b = body(opsgenie, long);
    assert.ok(b.message.length <= 130, `length ${b.message.length}`);
    assert.ok(b.message.endsWith('…'));
    assert.equal(body({ ...opsgenie, url: 'https://api.opsgenie.com' }, { ...notice, severity: 'warn', message: '😀'.repeat(100) }).message.length <= 130, true);
    assert.equal(body(opsgenie, { ...notice, severity: 'warn' }).priority, 'P4');
    assert.equal(body({ ...opsgenie, priority: 'P1' }, { ...notice, severity: 'warn' }).priority, 'P1');
    assert.ok(!('snapshot' in body(opsgenie, { ...notice, snapshotId: undefined, stagedId: undefined }).details));
  });

  it('should close an OpsGenie alert by its url-encoded alias', () => {
    const n = { ...recovered, alertId: 'clean.orders/not_null(email) #1?' };
    const req = buildSinkRequest(opsgenie, n);
    assert.equal(req.url, 'https://api.eu.opsgenie.com/v2/alerts/clean.orders%2Fnot_null(email)%20%231%3F/close?identifierType=alias');
    assert.deepEqual(JSON.parse(req.body), { source: 'ade', note: '0 rows have email null' });
    assert.equal(req.headers.Authorization, 'GenieKey k-123');
  });

  it('should refuse an OpsGenie sink without an API key', () => {
    assert.throws(() => buildSinkRequest({ ...opsgenie, apiKey: undefined }, notice), /no API key/);
  });

  it('should post the notice itself to a webhook, with type, version and the sink headers', () => {
    const req = buildSinkRequest(webhook, notice);
    assert.equal(req.url, 'https://example.com/hook');
    assert.equal(req.headers.Authorization, 'Bearer t0k');
    assert.equal(req.headers['content-type'], 'application/vnd.ade+json');
    assert.ok(!('Content-Type' in req.headers), 'the sink header replaces the default case-insensitively');
    assert.equal(req.headers['Idempotency-Key'], 'ntc_01');
    const b = body(webhook, notice);
    assert.deepEqual(b, { ...notice, type: 'ade.alert', version: 1, observed: 12 });
  });

  it('should survive values JSON cannot encode', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const n = { ...notice, observed: cyclic, expected: 2n ** 70n };
    assert.equal(body(webhook, n).expected, '1180591620717411303424');
    assert.equal(body(webhook, n).observed, '[object Object]');
    assert.equal(body(opsgenie, n).details.expected, '1180591620717411303424');
  });
});

describe('sinkAccepts', () => {
  it('should take every notice by default and only errors with min_severity error', () => {
    assert.equal(sinkAccepts(slack, { ...notice, severity: 'warn' }), true);
    assert.equal(sinkAccepts({ ...slack, minSeverity: 'error' }, { ...notice, severity: 'warn' }), false);
    assert.equal(sinkAccepts({ ...slack, minSeverity: 'error' }, notice), true);
  });
});

describe('parseSink', () => {
  const fail = (path: string, message: string, hint?: string): never => {
    throw new Error(`${path}: ${message}${hint ? ` (${hint})` : ''}`);
  };
  const env = { SLACK_URL: 'https://hooks.slack.com/services/T/B/x', OG_KEY: 'key-1', TOKEN: 'Bearer z' };

  it('should resolve url_env, api_key_env and header env values', () => {
    assert.deepEqual(parseSink('team-slack', { kind: 'slack', url_env: 'SLACK_URL', min_severity: 'error' }, env, fail), {
      name: 'team-slack',
      kind: 'slack',
      url: env.SLACK_URL,
      minSeverity: 'error',
    });
    assert.deepEqual(parseSink('pager', { kind: 'opsgenie', api_key_env: 'OG_KEY', priority: 'P1' }, env, fail), {
      name: 'pager',
      kind: 'opsgenie',
      url: 'https://api.opsgenie.com',
      apiKey: 'key-1',
      priority: 'P1',
    });
    const hook = parseSink('audit', { kind: 'webhook', url: 'http://10.0.0.1/x', headers: { Authorization: { env: 'TOKEN' }, 'X-Team': 'data' } }, env, fail);
    assert.deepEqual(hook.headers, { Authorization: 'Bearer z', 'X-Team': 'data' });
    assert.ok(Object.isFrozen(hook));
  });

  it('should name the path of an unknown key', () => {
    assert.throws(() => parseSink('s', { kind: 'slack', url: 'https://x.test', colour: 'red' }, env, fail), /^Error: alerts\.sinks\.s\.colour: unknown key "colour"/);
    assert.throws(() => parseSink('s', { kind: 'slack', url: 'https://x.test', headers: {} }, env, fail), /alerts\.sinks\.s\.headers: is not used by slack sinks/);
    assert.throws(() => parseSink('p', { kind: 'opsgenie', api_key: 'k' }, env, fail), /alerts\.sinks\.p\.api_key: API keys do not belong.*api_key_env/);
  });

  it('should require a url for slack and webhook sinks', () => {
    assert.throws(() => parseSink('s', { kind: 'slack' }, env, fail), /alerts\.sinks\.s\.url: is required/);
    assert.throws(() => parseSink('w', { kind: 'webhook', url: 'ftp://x' }, env, fail), /alerts\.sinks\.w\.url: must be an http\(s\) URL/);
  });

  it('should reject an unknown or missing kind', () => {
    assert.throws(() => parseSink('s', { kind: 'teams', url: 'https://x.test' }, env, fail), /alerts\.sinks\.s\.kind: unknown sink kind "teams" \(use one of: slack, opsgenie, webhook\)/);
    assert.throws(() => parseSink('s', { url: 'https://x.test' }, env, fail), /alerts\.sinks\.s\.kind: is required/);
    assert.throws(() => parseSink('s', 'slack', env, fail), /alerts\.sinks\.s: must be a mapping/);
  });

  it('should report an environment variable that is not set, without leaking values', () => {
    assert.throws(() => parseSink('s', { kind: 'slack', url_env: 'NOPE' }, env, fail), /alerts\.sinks\.s\.url_env: environment variable NOPE is not set/);
    assert.throws(() => parseSink('p', { kind: 'opsgenie', api_key_env: 'NOPE' }, env, fail), /alerts\.sinks\.p\.api_key_env: environment variable NOPE is not set/);
    assert.throws(() => parseSink('p', { kind: 'opsgenie' }, env, fail), /alerts\.sinks\.p\.api_key_env: is required/);
    assert.throws(() => parseSink('w', { kind: 'webhook', url: 'https://x.test', headers: { A: { env: 'NOPE' } } }, env, fail), /alerts\.sinks\.w\.headers\.A\.env: environment variable NOPE/);
    assert.throws(
      () => parseSink('s', { kind: 'slack', url_env: 'OG_KEY' }, env, fail),
      (e: Error) => /does not hold an http\(s\) URL/.test(e.message) && !e.message.includes('key-1'),
    );
  });

  it('should reject bad priorities, severities and header values', () => {
    assert.throws(() => parseSink('p', { kind: 'opsgenie', api_key_env: 'OG_KEY', priority: 'high' }, env, fail), /alerts\.sinks\.p\.priority: unknown priority "high"/);
    assert.throws(() => parseSink('s', { kind: 'slack', url: 'https://x.test', min_severity: 'info' }, env, fail), /alerts\.sinks\.s\.min_severity/);
    assert.throws(() => parseSink('w', { kind: 'webhook', url: 'https://x.test', headers: { A: 1 } }, env, fail), /alerts\.sinks\.w\.headers\.A: must be a string/);
    assert.throws(() => parseSink('w', { kind: 'webhook', url: 'https://x.test', headers: { 'A B': 'x' } }, env, fail), /not a valid header name/);
  });
});

describe('backoff', () => {
  const policy = { ...DEFAULT_DELIVERY, baseDelayMs: 100, maxDelayMs: 1_000 };
  it('should double the jitter ceiling per failure and cap it', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((f) => backoffMs(f, policy, 0.999999)), [99, 199, 399, 799, 999, 999]);
    assert.equal(backoffMs(3, policy, 0), 0);
  });
  it('should follow Retry-After, capped', () => {
    assert.equal(backoffMs(1, policy, 0.5, 700), 700);
    assert.equal(backoffMs(1, policy, 0.5, 120_000), 1_000);
    assert.equal(parseRetryAfter('2'), 2_000);
    assert.equal(parseRetryAfter('Thu, 05 Nov 2026 10:00:30 GMT', Date.parse('2026-11-05T10:00:00Z')), 30_000);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

describe('deliverNotice against a real HTTP receiver', () => {
  let server: Server;
  let base: string;
  let seen: Seen[];
  let respond: (n: number, res: ServerResponse) => void;
  const sleeps: number[] = [];
  const fast = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 };

  before(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: text });
        respond(seen.length, res);
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });
  beforeEach(() => {
    seen = [];
    sleeps.length = 0;
  });

  const hook = (): SinkConfig => ({ name: 'hook', kind: 'webhook', url: `${base}/hook` });

  it('should retry 503s and succeed on the third try, with the same idempotency key each time', async () => {
    respond = (n, res) => res.writeHead(n <= 2 ? 503 : 204).end();
    const r = await deliverNotice(hook(), notice, { baseDelayMs: 100 }, fast);
    assert.deepEqual(r, { ok: true, attempts: 3, retryable: false, status: 204 });
    assert.equal(seen.length, 3);
    assert.deepEqual(new Set(seen.map((s) => s.headers['idempotency-key'])), new Set(['ntc_01']));
    assert.equal(new Set(seen.map((s) => s.body)).size, 1);
    assert.equal(JSON.parse(seen[0]!.body).type, 'ade.alert');
    assert.deepEqual(sleeps, [50, 100]);
  });

  it('should work with the real sleep and a small base delay', async () => {
    respond = (n, res) => res.writeHead(n <= 2 ? 503 : 200).end('ok');
    const r = await deliverNotice(hook(), notice, { baseDelayMs: 5, maxDelayMs: 20 });
    assert.equal(r.ok, true);
    assert.equal(r.attempts, 3);
  });

  it('should not retry a 400 and report the receiver explanation', async () => {
    respond = (_n, res) => res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
    const r = await deliverNotice(hook(), notice, {}, fast);
    assert.equal(r.ok, false);
    assert.equal(r.attempts, 1);
    assert.equal(r.status, 400);
    assert.equal(r.retryable, false);
    assert.match(r.error!, /HTTP 400 Bad Request: invalid_payload/);
    assert.equal(seen.length, 1);
  });

  it('should honour Retry-After on 429, capped at maxDelayMs', async () => {
    respond = (n, res) => (n === 1 ? res.writeHead(429, { 'retry-after': '2' }).end() : n === 2 ? res.writeHead(429, { 'retry-after': '3600' }).end() : res.writeHead(202).end());
    const r = await deliverNotice(hook(), notice, { maxDelayMs: 10_000 }, fast);
    assert.equal(r.ok, true);
    assert.equal(r.attempts, 3);
    assert.deepEqual(sleeps, [2_000, 10_000]);
  });

  it('should hand back Retry-After when it runs out of attempts on 429', async () => {
    respond = (_n, res) => res.writeHead(429, { 'retry-after': '60' }).end();
    const r = await deliverNotice(hook(), notice, { attempts: 2 }, fast);
    assert.deepEqual({ ok: r.ok, attempts: r.attempts, status: r.status, retryable: r.retryable, retryAfterMs: r.retryAfterMs }, { ok: false, attempts: 2, status: 429, retryable: true, retryAfterMs: 60_000 });
  });

  it('should not follow redirects', async () => {
    respond = (_n, res) => res.writeHead(302, { location: 'https://elsewhere.test/' }).end();
    const r = await deliverNotice(hook(), notice, {}, fast);
    assert.equal(r.attempts, 1);
    assert.equal(r.retryable, false);
    assert.match(r.error!, /redirected to https:\/\/elsewhere\.test\//);
  });

  it('should close an OpsGenie alert at the path OpsGenie expects', async () => {
    respond = (_n, res) => res.writeHead(202, { 'content-type': 'application/json' }).end('{"result":"Request will be processed"}');
    const sink: SinkConfig = { name: 'pager', kind: 'opsgenie', url: base, apiKey: 'k-9' };
    const r = await deliverNotice(sink, { ...recovered, alertId: 'a/b c' }, {}, fast);
    assert.equal(r.ok, true);
    assert.equal(seen[0]!.url, '/v2/alerts/a%2Fb%20c/close?identifierType=alias');
    assert.equal(seen[0]!.headers.authorization, 'GenieKey k-9');
    assert.equal(seen[0]!.headers['content-type'], 'application/json');
  });

  it('should time out a receiver that never answers, after every attempt, in bounded time', async () => {
    respond = () => undefined; // hold the request open
    const started = Date.now();
    const r = await deliverNotice(hook(), notice, { attempts: 3, timeoutMs: 150 }, fast);
    const elapsed = Date.now() - started;
    assert.equal(r.ok, false);
    assert.equal(r.attempts, 3);
    assert.equal(r.retryable, true);
    assert.equal(r.status, undefined);
    assert.match(r.error!, /timed out after 150 ms/);
    assert.equal(seen.length, 3);
    assert.ok(elapsed >= 400 && elapsed < 2_000, `took ${elapsed} ms`);
  });

  it('should fail fast and retryably when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    const started = Date.now();
    const r = await deliverNotice({ name: 'gone', kind: 'webhook', url: `http://127.0.0.1:${port}/` }, notice, { attempts: 3 }, fast);
    assert.equal(r.ok, false);
    assert.equal(r.attempts, 3);
    assert.equal(r.retryable, true);
    assert.match(r.error!, /ECONNREFUSED/);
    assert.ok(Date.now() - started < 1_000);
  });
});

describe('deliverNotice never throws', () => {
  it('should skip a notice the sink does not want', async () => {
    const r = await deliverNotice({ ...slack, minSeverity: 'error' }, { ...notice, severity: 'warn' }, {}, { fetch: () => assert.fail('no request') });
    assert.deepEqual(r, { ok: true, attempts: 0, retryable: false, skipped: true });
  });

  it('should report a sink it cannot build a request for, without retrying', async () => {
    const r = await deliverNotice({ ...opsgenie, apiKey: undefined }, notice);
    assert.deepEqual({ ok: r.ok, attempts: r.attempts, retryable: r.retryable }, { ok: false, attempts: 0, retryable: false });
  });

  it('should not retry a request fetch refuses to send, and redact secrets from the error', async () => {
    const r = await deliverNotice({ name: 'bad', kind: 'webhook', url: 'https://x.test/', headers: { Authorization: 'Bearer s3cret\nx' } }, notice, {}, { sleep: async () => {} });
    assert.equal(r.ok, false);
    assert.equal(r.attempts, 1);
    assert.equal(r.retryable, false);
    assert.ok(!r.error!.includes('s3cret'), r.error);
    const slackBad = await deliverNotice({ ...slack, url: 'hooks.slack.com/services/T0/B0/secret' }, notice);
    assert.equal(slackBad.retryable, false);
    assert.ok(!slackBad.error!.includes('secret'), slackBad.error);
  });

  it('should turn a throwing fetch or sleep into a result', async () => {
    const r = await deliverNotice(slack, notice, { attempts: 2 }, {
      fetch: async () => {
        throw new Error('boom');
      },
      sleep: async () => {
        throw new Error('no sleep');
      },
    });
    assert.deepEqual({ ok: r.ok, attempts: r.attempts, retryable: r.retryable, error: r.error }, { ok: false, attempts: 1, retryable: true, error: 'no sleep' });
  });
});

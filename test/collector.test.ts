// The event collector end to end: Segment's own Node client and raw HTTP
// against `ade serve` on 127.0.0.1; events acknowledged with 200 survive a
// SIGKILL of the server (flushed when it starts again), land once each (by
// messageId) in clean.<source> through the privacy path, and a SIGTERM
// flushes what is buffered.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analytics } from '@segment/analytics-node';
import { adeAsync, createToken, initServerProject, type Ran, serverEnv, startServer } from './support/cli.js';

describe('the event collector', () => {
  let dir: string;
  let project: string;
  let server: ChildProcess | undefined;
  let url: string;
  let writeKey: string;
  let apiToken: string;
  const env = serverEnv();

  const run = (...args: string[]): Promise<Ran> => adeAsync(project, args, env);
  const start = async () => {
    ({ server, url } = await startServer(project, env));
  };
  const stop = async (signal: NodeJS.Signals) => {
    const exited = new Promise<number | null>((r) => server!.on('exit', (code) => r(code)));
    server!.kill(signal);
    return exited;
  };
  const post = (path: string, body: unknown, key = writeKey, type = 'application/json') =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': type, authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const rows = async (sql: string) => {
    const r = await run('--json', 'sql', sql);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as any[];
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ade-collector-'));
    project = await initServerProject(
      dir,
      env,
      `
collector:
  flush_interval: 1h        # flushed only when the server stops or starts: the test decides when
sources:
  web:
    format: ndjson
    location: data/web/*.ndjson
    event_id: messageId
    event_time: timestamp
    undeclared: tokenize
    fields:
      context.ip: { generalize: ip }
      traits.email: tokenize
`,
    );
    writeKey = await createToken(project, env, 'web-site', { ingest: 'web' });
    apiToken = await createToken(project, env, 'reader', { role: 'analyst' });
    await start();
  });
  after(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('should take Segment calls from the official client and raw HTTP, and refuse bad ones with the field', async () => {
    const analytics = new Analytics({ writeKey, host: url, flushAt: 10, maxRetries: 2 });
    for (let i = 0; i < 25; i++) analytics.track({ userId: `u${i % 5}`, event: 'Order Completed', properties: { total: i, currency: 'EUR' }, context: { ip: '203.0.113.7' } });
    analytics.identify({ userId: 'u1', traits: { email: 'ana@example.com', plan: 'pro' } });
    await analytics.closeAndFlush({ timeout: 20_000 });

    const single = await post('/v1/track', { anonymousId: 'a1', event: 'Signed Up', messageId: 'm-fixed-1', timestamp: '2026-11-20T10:00:00Z' });
    assert.equal(single.status, 200, await single.clone().text());
    // A retry of the same message (same messageId) lands once.
    assert.equal((await post('/v1/track', { anonymousId: 'a1', event: 'Signed Up', messageId: 'm-fixed-1', timestamp: '2026-11-20T10:00:00Z' })).status, 200);
    const batch = await post('/v1/batch', { batch: [{ type: 'page', userId: 'u2', name: 'Pricing' }, { type: 'group', userId: 'u2', groupId: 'g1' }, { type: 'alias', previousId: 'a1', userId: 'u9' }] });
    assert.equal(batch.status, 200);
    const ndjson = await post('/v1/events/web', '{"messageId":"n1","type":"track","event":"Raw","anonymousId":"z"}\n{"messageId":"n2","type":"track","event":"Raw","anonymousId":"z"}\n', writeKey, 'application/x-ndjson');
    assert.equal(ndjson.status, 200);

    const missingEvent = await post('/v1/track', { userId: 'u1' });
    assert.equal(missingEvent.status, 400);
    assert.match(((await missingEvent.json()) as any).error.message, /body\.event: is required/);
    const badType = await post('/v1/batch', { batch: [{ type: 'track', userId: 'u', event: 'x' }, { type: 'nonsense' }] });
    assert.equal(badType.status, 400);
    assert.match(((await badType.json()) as any).error.message, /batch\[1\]\.type/);
    const bigEvent = await post('/v1/track', { userId: 'u', event: 'x', properties: { blob: 'x'.repeat(40_000) } });
    assert.equal(bigEvent.status, 400);
    const bigRequest = await post('/v1/batch', { batch: Array.from({ length: 30 }, () => ({ type: 'track', userId: 'u', event: 'x', properties: { blob: 'x'.repeat(20_000) } })) });
    assert.equal(bigRequest.status, 413);
    assert.equal((await post('/v1/track', { userId: 'u', event: 'x' }, apiToken)).status, 401, 'an API token is not a write key');
    const asReader = await fetch(`${url}/v1/tables`, { headers: { authorization: `Bearer ${writeKey}` } });
    assert.equal(asReader.status, 401, 'a write key reads nothing');
    assert.equal((await post('/v1/events/other', '[]')).status, 403);
  });

  it('should keep every acknowledged event through a SIGKILL and land each once when the server starts again', async () => {
    assert.notEqual(await stop('SIGKILL'), 0);
    await start(); // the new server flushes what the killed one acknowledged
    const expected = 25 + 1 + 1 + 3 + 2; // the retried message once
    let n = 0;
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      const r = await fetch(`${url}/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT count(*) AS n FROM clean.web' }) });
      if (r.status === 200) n = Number(((await r.json()) as any[])[0].n);
      if (n >= expected) break;
      await new Promise((r2) => setTimeout(r2, 250));
    }
    assert.equal(n, expected);
    const [once] = await rows('SELECT count(*) AS n, count(DISTINCT message_id) AS ids FROM clean.web');
    assert.equal(once.n, once.ids, 'each messageId once');
    // Through the privacy path: the IP generalised, the email tokenised.
    const [ip] = await rows("SELECT DISTINCT context_ip AS ip FROM clean.web WHERE context_ip IS NOT NULL");
    assert.equal(ip.ip, '203.0.113.0/24');
    const [email] = await rows('SELECT traits_email AS e FROM clean.web WHERE traits_email IS NOT NULL');
    assert.match(email.e, /^tok_/);
  });

  it('should flush what it holds when stopped with SIGTERM', async () => {
    assert.equal((await post('/v1/track', { userId: 'late', event: 'Last Call', messageId: 'late-1' })).status, 200);
    assert.equal(await stop('SIGTERM'), 0);
    const [late] = await rows(`SELECT count(*) AS n FROM clean.web WHERE message_id = 'late-1'`);
    assert.equal(late.n, 1);
  });

  it('should answer 429 with Retry-After past the disk budget, and still land every event it acknowledged', async () => {
    const yaml = join(project, 'ade.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('flush_interval: 1h', 'flush_interval: 1h\n  max_disk: 64KB'));
    await start();
    const acked: string[] = [];
    let full: { retryAfter: number; body: { error: { code: string; hint: string } } } | undefined;
    for (let i = 0; i < 200 && !full; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => ({ type: 'track', userId: `bp-${i}`, event: 'Pressure', messageId: `bp-${i}-${j}`, properties: { pad: 'x'.repeat(300) } }));
      const res = await post('/v1/batch', { batch });
      const text = await res.text();
      if (res.status === 200) acked.push(...batch.map((e) => e.messageId));
      else if (res.status === 429) full = { retryAfter: Number(res.headers.get('retry-after')), body: JSON.parse(text) };
      else assert.fail(`unexpected ${res.status}: ${text}`);
    }
    assert.ok(full, 'the buffer filled up and said so');
    assert.ok(full.retryAfter >= 1, 'with a Retry-After');
    const body = full.body;
    assert.equal(body.error.code, 'collector.buffer_full');
    assert.ok(acked.length > 0 && acked.length < 2000, `some batches were taken before the budget ran out (${acked.length} events)`);
    assert.equal(await stop('SIGTERM'), 0);
    const [landed] = await rows(`SELECT count(DISTINCT message_id) AS n FROM clean.web WHERE message_id LIKE 'bp-%'`);
    assert.equal(landed.n, acked.length, 'every acknowledged event landed, once');
  });
});

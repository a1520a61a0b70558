// The authorization matrix of `ade serve`, end to end: every route × every
// kind of caller (no token, a bad token, a write key, and an API token of
// each role) gets the answer its role allows — deny by default — and every
// denial is in the hash-chained audit log with who, what and why.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adeAsync, createToken, initServerProject, type Ran, serverEnv, startServer } from './support/cli.js';

const ROLES = ['viewer', 'analyst', 'engineer', 'admin'] as const;
type Caller = 'anonymous' | 'forged' | 'ingest' | (typeof ROLES)[number];
const CALLERS: readonly Caller[] = ['anonymous', 'forged', 'ingest', ...ROLES];

interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  /** Who may: 'open' (anyone), 'ingest' (the source's write key only) or the weakest role allowed. */
  readonly allow: 'open' | 'ingest' | (typeof ROLES)[number];
  /** The status an allowed caller gets. */
  readonly ok?: number;
}

const event = { userId: 'u1', event: 'Signed Up', messageId: 'authz-1', timestamp: '2026-11-01T10:00:00Z' };

/** Every route of the server (GET /openapi.json lists them; the test checks none is missing). */
const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/health', allow: 'open' },
  { method: 'GET', path: '/ready', allow: 'open' },
  { method: 'GET', path: '/openapi.json', allow: 'viewer' },
  { method: 'GET', path: '/v1/whoami', allow: 'viewer' },
  { method: 'GET', path: '/v1/queries', allow: 'viewer' },
  { method: 'PUT', path: '/v1/queries/orders_n', body: { sql: 'SELECT count(*) AS n FROM clean.orders', title: 'Orders' }, allow: 'analyst' },
  { method: 'GET', path: '/v1/queries/orders_n', allow: 'viewer' },
  { method: 'GET', path: '/v1/dashboards', allow: 'viewer' },
  { method: 'PUT', path: '/v1/dashboards/main', body: { title: 'Main', tiles: [{ query: 'orders_n', chart: { type: 'bar', x: 'n', y: 'n' } }] }, allow: 'analyst' },
  { method: 'GET', path: '/v1/dashboards/main', allow: 'viewer' },
  // Deleted once by the analyst: stronger roles then learn it is gone (404), weaker ones are denied first.
  { method: 'DELETE', path: '/v1/dashboards/main', allow: 'analyst', ok: 200 },
  { method: 'DELETE', path: '/v1/queries/orders_n', allow: 'analyst', ok: 200 },
  { method: 'GET', path: '/v1/tables', allow: 'viewer' },
  { method: 'GET', path: '/v1/tables/clean.orders', allow: 'viewer' },
  { method: 'GET', path: '/v1/tables/raw.contacts', allow: 'engineer' },
  { method: 'GET', path: '/v1/tables/clean.orders/profile', allow: 'viewer' },
  { method: 'GET', path: '/v1/tables/raw.contacts/profile', allow: 'engineer' },
  { method: 'GET', path: '/v1/checks', allow: 'viewer' },
  { method: 'GET', path: '/v1/checks/history?table=clean.orders', allow: 'viewer' },
  { method: 'GET', path: '/v1/tables/clean.orders/profile/history', allow: 'viewer' },
  { method: 'GET', path: '/v1/tables/raw.contacts/profile/history', allow: 'engineer' },
  { method: 'GET', path: '/v1/quality/staged', allow: 'viewer' },
  { method: 'GET', path: '/v1/alerts', allow: 'viewer' },
  { method: 'GET', path: '/v1/search?q=orders', allow: 'viewer' },
  { method: 'GET', path: '/v1/lineage/report.order_total', allow: 'viewer' },
  { method: 'GET', path: '/v1/lineage/raw.contacts', allow: 'engineer' },
  { method: 'GET', path: '/v1/runs', allow: 'viewer' },
  { method: 'GET', path: '/v1/runs/0190f5a0-0000-7000-8000-000000000000', allow: 'viewer', ok: 404 },
  { method: 'POST', path: '/v1/runs', body: { select: ['report.order_total'] }, allow: 'engineer', ok: 202 },
  { method: 'GET', path: '/v1/audit', allow: 'admin' },
  { method: 'POST', path: '/v1/query', body: { sql: 'SELECT count(*) AS n FROM clean.orders' }, allow: 'viewer' },
  // Raw-zone SQL through the API: refused by name below engineer, audited as a restricted read above.
  { method: 'POST', path: '/v1/query', body: { sql: 'SELECT count(*) AS n FROM raw.contacts' }, allow: 'engineer' },
  { method: 'POST', path: '/v1/query', body: { sql: 'SELECT * FROM "raw"."contacts"' }, allow: 'engineer' },
  { method: 'POST', path: '/v1/track', body: event, allow: 'ingest' },
  { method: 'POST', path: '/v1/identify', body: { userId: 'u1', traits: { plan: 'pro' }, messageId: 'authz-2' }, allow: 'ingest' },
  { method: 'POST', path: '/v1/page', body: { userId: 'u1', name: 'Home', messageId: 'authz-3' }, allow: 'ingest' },
  { method: 'POST', path: '/v1/screen', body: { userId: 'u1', name: 'Home', messageId: 'authz-4' }, allow: 'ingest' },
  { method: 'POST', path: '/v1/group', body: { userId: 'u1', groupId: 'g1', messageId: 'authz-5' }, allow: 'ingest' },
  { method: 'POST', path: '/v1/alias', body: { userId: 'u1', previousId: 'a1', messageId: 'authz-6' }, allow: 'ingest' },
  { method: 'POST', path: '/v1/batch', body: { batch: [{ ...event, type: 'track', messageId: 'authz-7' }] }, allow: 'ingest' },
  { method: 'POST', path: '/v1/events/web', body: [{ ...event, messageId: 'authz-8' }], allow: 'ingest' },
  // web is not a cdc source: its write key gets past auth and is told so (400); every other caller is denied first.
  { method: 'POST', path: '/v1/cdc/web', body: [], allow: 'ingest', ok: 400 },
  { method: 'GET', path: '/v1/schedules', allow: 'analyst' },
  { method: 'GET', path: '/v1/experiments', allow: 'viewer' },
  // This project declares no experiment: allowed callers learn that (404), the rest are denied first.
  { method: 'GET', path: '/v1/experiments/checkout', allow: 'viewer', ok: 404 },
  { method: 'POST', path: '/v1/experiments/checkout/analyze', body: {}, allow: 'analyst', ok: 404 },
  { method: 'GET', path: '/v1/experiments/checkout/timeline', allow: 'viewer', ok: 404 },
  { method: 'POST', path: '/v1/experiments/checkout/timeline', body: {}, allow: 'analyst', ok: 404 },
  { method: 'GET', path: '/v1/models', allow: 'viewer' },
  // No model is registered here: allowed callers learn that (404), the rest are denied first.
  { method: 'GET', path: '/v1/models/churn', allow: 'viewer', ok: 404 },
  { method: 'GET', path: '/v1/models/churn@champion/artifact', allow: 'viewer', ok: 404 },
  { method: 'POST', path: '/v1/models/churn/predict', body: { rows: [{ tenure: 3 }] }, allow: 'viewer', ok: 404 },
  { method: 'POST', path: '/v1/models/churn@v1/promote', body: { alias: 'champion' }, allow: 'admin', ok: 404 },
  { method: 'POST', path: '/v1/models/churn/rollback', body: { alias: 'champion' }, allow: 'admin', ok: 404 },
];

/** What `caller` should get on `route`: its success status, or the denial (401 who are you, 403 you may not). */
function expected(route: Route, caller: Caller): number {
  const ok = route.ok ?? 200;
  if (route.allow === 'open') return ok;
  if (caller === 'anonymous' || caller === 'forged') return 401;
  if (route.allow === 'ingest') return caller === 'ingest' ? ok : 401;
  if (caller === 'ingest') return 401;
  return ROLES.indexOf(caller) >= ROLES.indexOf(route.allow) ? ok : 403;
}

describe('ade serve: the authorization matrix', () => {
  let dir: string;
  let project: string;
  let server: ChildProcess;
  let url: string;
  const tokens: Partial<Record<Caller, string>> = {};
  const env = serverEnv();
  const run = (...args: string[]): Promise<Ran> => adeAsync(project, args, env);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ade-authz-'));
    project = await initServerProject(dir, env, '\ncollector:\n  flush_interval: 1h\nsources:\n  web:\n    format: ndjson\n    event_id: messageId\n    event_time: timestamp\n    undeclared: tokenize\n');
    writeFileSync(join(dir, 'orders.csv'), 'order_id,amount\n1,10\n2,20\n');
    writeFileSync(join(dir, 'contacts.csv'), 'id,email\n1,a@example.com\n');
    mkdirSync(join(project, 'models', 'report'), { recursive: true });
    writeFileSync(join(project, 'models', 'report', 'order_total.sql'), "SELECT sum(amount) AS total FROM ref('clean.orders')\n");
    assert.equal((await run('--as', 'engineer', 'load', join(dir, 'orders.csv'), '--table', 'clean.orders')).code, 0);
    assert.equal((await run('--as', 'engineer', 'load', join(dir, 'contacts.csv'), '--table', 'raw.contacts')).code, 0);
    for (const role of ROLES) tokens[role] = await createToken(project, env, `authz-${role}`, { role });
    tokens.ingest = await createToken(project, env, 'authz-ingest', { ingest: 'web' });
    // Well formed, but signed with nothing the server knows.
    tokens.forged = `ade_${'0'.repeat(32)}_${randomBytes(32).toString('base64url')}`;
    ({ server, url } = await startServer(project, env));
  });

  after(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('should cover every route the server describes', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`, { headers: { authorization: `Bearer ${tokens.viewer}` } })).json()) as { paths: Record<string, Record<string, unknown>> };
    const covered = new Set(ROUTES.map((r) => `${r.method} ${r.path.split('?')[0]!.replace(/\/(clean|raw|report)\.[a-z_]+/, '/{table}').replace(/\/(events|cdc)\/web$/, '/$1/{stream}').replace(/\/runs\/[0-9a-f-]{36}$/, '/runs/{id}').replace(/\/experiments\/checkout/, '/experiments/{key}').replace(/\/models\/[a-z0-9_@]+/, '/models/{model}').replace(/\/(queries|dashboards)\/[a-z0-9_]+$/, '/$1/{name}')}`));
    const missing = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).filter((r) => !covered.has(r));
    assert.deepEqual(missing, [], 'routes in /openapi.json that the matrix does not test');
  });

  it('should give every caller exactly what its role allows, and audit every denial', async () => {
    const denials: { caller: Caller; target: string }[] = [];
    const wrong: string[] = [];
    for (const route of ROUTES) {
      for (const caller of CALLERS) {
        const token = tokens[caller as Exclude<Caller, 'anonymous'>];
        // Write keys go as Segment sends them (basic auth); API tokens as bearer tokens.
        const authorization = !token ? undefined : caller === 'ingest' ? `Basic ${Buffer.from(`${token}:`).toString('base64')}` : `Bearer ${token}`;
        const res = await fetch(`${url}${route.path}`, {
          method: route.method,
          headers: { ...(authorization ? { authorization } : {}), ...(route.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(route.body !== undefined ? { body: JSON.stringify(route.body) } : {}),
        });
        const text = await res.text();
        // A DELETE succeeds once (the analyst's): the stronger roles after it find nothing left.
        const want = route.method === 'DELETE' && (caller === 'engineer' || caller === 'admin') ? 404 : expected(route, caller);
        if (res.status !== want) wrong.push(`${route.method} ${route.path} as ${caller}: ${res.status} (expected ${want}) ${text.slice(0, 200)}`);
        if (res.status === 401 || res.status === 403) {
          const body = JSON.parse(text) as { error: { code: string; message: string } };
          assert.ok(body.error.code && body.error.message, `a denial has a code and a message: ${text}`);
          denials.push({ caller, target: `${route.method} ${route.path.split('?')[0]}` });
        }
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(denials.length > 100, `the matrix denies many calls (${denials.length})`);

    const audit = await run('--json', '--as', 'admin', 'audit', 'list', '--limit', '10000');
    assert.equal(audit.code, 0, audit.stderr);
    const events = JSON.parse(audit.stdout) as { actor: string; action: string; target: string; details: { code?: string } }[];
    const logged = events.filter((e) => e.action === 'api.denied');
    const actorOf = (c: Caller) => (c === 'anonymous' || c === 'forged' ? 'anonymous' : `token:authz-${c}`);
    const unaudited = denials.filter((d) => {
      const i = logged.findIndex((e) => e.target === d.target && e.actor === actorOf(d.caller));
      if (i < 0) return true;
      logged.splice(i, 1);
      return false;
    });
    assert.deepEqual(unaudited, [], 'every denial is in the audit log');

    // Raw-zone reads that were allowed are audited too, with the reader and the table.
    const reads = events.filter((e) => e.action === 'query.restricted_read' && e.target === 'raw.contacts');
    assert.ok(reads.some((e) => e.actor === 'token:authz-engineer') && reads.some((e) => e.actor === 'token:authz-admin'), 'raw reads by engineer and admin are audited');
    assert.ok(!reads.some((e) => /viewer|analyst/.test(e.actor)), 'refused reads are denials, not reads');

    const verify = await run('--json', '--as', 'admin', 'audit', 'verify');
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(JSON.parse(verify.stdout).ok, true);
  });

  it('should refuse hostile SQL whatever the role, and say why', async () => {
    const hostile = [
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_text('/etc/hostname')",
      "COPY (SELECT 1) TO '/tmp/ade-authz-out.csv'",
      "ATTACH '/tmp/x.duckdb' AS x",
      'INSTALL httpfs',
      'LOAD httpfs',
      "SET enable_external_access = true",
      'PRAGMA version',
      'SELECT 1; DROP TABLE clean.orders',
      "SELECT * FROM read_parquet('../../**/*.parquet')",
    ];
    for (const sql of hostile) {
      const res = await fetch(`${url}/v1/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sql }),
      });
      const text = await res.text();
      assert.ok(res.status === 400 || res.status === 403, `${sql}: ${res.status} ${text}`);
      assert.match(JSON.parse(text).error.message, /./);
    }
    const after = await fetch(`${url}/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT count(*) AS n FROM clean.orders' }),
    });
    assert.deepEqual(await after.json(), [{ n: 2 }]);
  });
});

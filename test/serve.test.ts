// `ade serve` end to end: a real server process on 127.0.0.1, real tokens,
// real HTTP. Health is open; everything else needs a token and follows its
// role; errors have one shape; a SIGTERM stops the server cleanly.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import Database from 'better-sqlite3';
import { adeAsync, createToken, initServerProject, type Ran, serverEnv, startServer } from './support/cli.js';

describe('ade serve', () => {
  let dir: string;
  let project: string;
  let server: ChildProcess;
  let url: string;
  const tokens: Record<string, string> = {};
  const env = serverEnv();

  const run = (...args: string[]): Promise<Ran> => adeAsync(project, args, env);
  const call = (path: string, opts: { token?: string; body?: unknown; method?: string } = {}) =>
    fetch(`${url}${path}`, {
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
    });
  const query = (token: string, body: unknown) => call('/v1/query', { token, body });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ade-serve-'));
    project = await initServerProject(dir, env);
    writeFileSync(join(dir, 'orders.csv'), 'order_id,amount\n1,10\n2,20\n3,30\n');
    mkdirSync(join(project, 'models', 'report'), { recursive: true });
    writeFileSync(join(project, 'models', 'report', 'order_total.sql'), "SELECT sum(amount) AS total, count(*) AS orders FROM ref('clean.orders')\n");
    writeFileSync(join(dir, 'contacts.csv'), 'id,email\n1,a@example.com\n');
    assert.equal((await run('--as', 'engineer', 'load', join(dir, 'orders.csv'), '--table', 'clean.orders')).code, 0);
    assert.equal((await run('--as', 'engineer', 'load', join(dir, 'contacts.csv'), '--table', 'raw.contacts')).code, 0);
    for (const role of ['viewer', 'analyst', 'engineer']) tokens[role] = await createToken(project, env, `${role}-test`, { role });
    ({ server, url } = await startServer(project, env));
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  after(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('should refuse to start or make tokens without a strong secret, and only admins make tokens', async () => {
    const saved = env.ADE_SERVER_SECRET;
    try {
      delete (env as Record<string, string | undefined>).ADE_SERVER_SECRET;
      const none = await run('serve', '--port', '0');
      assert.equal(none.code, 3, none.stderr);
      assert.match(none.stderr, /needs a secret/);
      env.ADE_SERVER_SECRET = 'changeme';
      const weak = await run('serve', '--port', '0');
      assert.equal(weak.code, 3);
      assert.match(weak.stderr, /too short or too well known/);
    } finally {
      env.ADE_SERVER_SECRET = saved;
    }
    const analyst = await run('tokens', 'create', '--role', 'admin', '--name', 'sneaky');
    assert.equal(analyst.code, 4, analyst.stderr);
  });

  it('should answer health openly and nothing else without a valid token', async () => {
    const health = await call('/health');
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as any).status, 'ok');
    assert.equal((await call('/ready')).status, 200);
    for (const [path, token] of [
      ['/v1/tables', undefined],
      ['/openapi.json', undefined],
      ['/v1/tables', 'ade_0123_abc'],
      ['/v1/tables', `ade_${'0'.repeat(32)}_${'A'.repeat(43)}`],
      ['/v1/tables', tokens.analyst!.slice(0, -1) + (tokens.analyst!.endsWith('A') ? 'B' : 'A')],
    ] as const) {
      const r = await call(path, token ? { token } : {});
      assert.equal(r.status, 401, `${path} with ${token}`);
      const body = (await r.json()) as any;
      assert.equal(body.error.code, 'auth.unauthenticated');
      assert.ok(body.error.hint);
    }
    const missing = await call('/v1/nothing', { token: tokens.analyst! });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as any).error.code, 'http.not_found');
  });

  it('should scope tables and queries to the token\'s role, stream every format, and audit restricted reads', async () => {
    const analystTables = ((await (await call('/v1/tables', { token: tokens.analyst! })).json()) as any[]).map((t) => t.table);
    assert.deepEqual(analystTables, ['clean.orders']);
    const engineerTables = ((await (await call('/v1/tables', { token: tokens.engineer! })).json()) as any[]).map((t) => t.table).sort();
    assert.deepEqual(engineerTables, ['clean.orders', 'raw.contacts']);

    const asJson = await query(tokens.analyst!, { sql: 'SELECT order_id, amount FROM clean.orders ORDER BY order_id' });
    assert.equal(asJson.status, 200);
    assert.match(asJson.headers.get('content-type')!, /application\/json/);
    assert.deepEqual(await asJson.json(), [
      { order_id: 1, amount: 10 },
      { order_id: 2, amount: 20 },
      { order_id: 3, amount: 30 },
    ]);
    const ndjson = await (await query(tokens.analyst!, { sql: 'SELECT order_id FROM clean.orders ORDER BY 1', format: 'ndjson', limit: 2 })).text();
    assert.deepEqual(ndjson.trim().split('\n').map((l) => JSON.parse(l).order_id), [1, 2]);
    const csv = await (await query(tokens.analyst!, { sql: 'SELECT order_id, amount FROM clean.orders ORDER BY 1', format: 'csv' })).text();
    assert.equal(csv.trim().split('\n')[0], 'order_id,amount');
    assert.equal(csv.trim().split('\n').length, 4);
    const arrow = await query(tokens.analyst!, { sql: 'SELECT sum(amount) AS total FROM clean.orders', format: 'arrow' });
    assert.equal(Number(tableFromIPC(new Uint8Array(await arrow.arrayBuffer())).getChild('total')!.get(0)), 60);

    // Raw data: refused to an analyst (403, audited), allowed to an engineer (audited as a restricted read).
    const refused = await query(tokens.analyst!, { sql: 'SELECT email FROM raw.contacts' });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as any).error.code, 'permission.denied');
    const allowed = await query(tokens.engineer!, { sql: 'SELECT count(*) AS n FROM raw.contacts' });
    assert.equal(allowed.status, 200);
    assert.deepEqual(await allowed.json(), [{ n: 1 }]);
    // Hostile SQL never runs.
    for (const sql of ["SELECT * FROM read_csv('/etc/passwd')", "COPY clean.orders TO '/tmp/x.csv'", "ATTACH '/tmp/x.db'", 'SELECT 1; SELECT 2', "INSTALL httpfs"]) {
      const r = await query(tokens.engineer!, { sql });
      assert.ok(r.status === 400 || r.status === 403, `${sql}: ${r.status}`);
      assert.ok(((await r.json()) as any).error.code, sql);
    }
    const bad = await query(tokens.analyst!, { sql: 'SELEC 1' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as any).error.code, 'engine.syntax_error');
    const noSql = await query(tokens.analyst!, { format: 'json' });
    assert.equal(noSql.status, 400);
    const huge = await query(tokens.analyst!, { sql: `SELECT '${'x'.repeat(2 << 20)}'` });
    assert.equal(huge.status, 413);
    const notJson = await call('/v1/query', { token: tokens.analyst!, body: '{"sql": ' });
    assert.equal(notJson.status, 400);

    // The table page's data, the profile, the checks and search, all role-scoped.
    const table = (await (await call('/v1/tables/clean.orders', { token: tokens.viewer! })).json()) as any;
    assert.deepEqual(table.columns.map((c: any) => c.name), ['order_id', 'amount']);
    assert.equal(table.rows, 3);
    assert.equal((await call('/v1/tables/raw.contacts', { token: tokens.viewer! })).status, 403);
    const profile = (await (await call('/v1/tables/clean.orders/profile', { token: tokens.viewer! })).json()) as any;
    assert.equal(profile.rows, 3);
    const hits = (await (await call('/v1/search?q=order', { token: tokens.viewer! })).json()) as any[];
    assert.ok(hits.length > 0 && hits.every((h) => h.zone !== 'raw'));
    const doc = (await (await call('/openapi.json', { token: tokens.viewer! })).json()) as any;
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/v1/query'].post);

    // The audit log has the denials and the engineer's raw read.
    const db = new Database(join(project, '.ade', 'catalog.db'), { readonly: true });
    try {
      const actions = (db.prepare('SELECT action, actor, target FROM audit_events ORDER BY id').all() as { action: string; actor: string; target: string }[]);
      assert.ok(actions.some((a) => a.action === 'api.denied' && a.actor === 'token:analyst-test' && a.target === 'POST /v1/query'));
      assert.ok(actions.some((a) => a.action === 'api.denied' && a.actor === 'anonymous'));
      assert.ok(actions.some((a) => a.action === 'query.restricted_read' && a.actor === 'token:engineer-test' && a.target === 'raw.contacts'));
      assert.equal(actions.filter((a) => a.action === 'token.create').length, 3);
    } finally {
      db.close();
    }
  });

  it('should build models on request for engineers only, and show runs and lineage', async () => {
    const refused = await call('/v1/runs', { token: tokens.analyst!, body: {} });
    assert.equal(refused.status, 403);
    const accepted = await call('/v1/runs', { token: tokens.engineer!, body: { select: ['report.order_total'] } });
    assert.equal(accepted.status, 202);
    let runs: any[] = [];
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      runs = (await (await call('/v1/runs?kind=model', { token: tokens.analyst! })).json()) as any[];
      if (runs.some((r) => r.target === 'report.order_total' && r.state === 'succeeded')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const run = runs.find((r) => r.target === 'report.order_total');
    assert.equal(run?.state, 'succeeded', JSON.stringify(runs));
    assert.equal(((await (await call(`/v1/runs/${run.id}`, { token: tokens.analyst! })).json()) as any).id, run.id);
    assert.deepEqual(await (await query(tokens.analyst!, { sql: 'SELECT total, orders FROM report.order_total' })).json(), [{ total: 60, orders: 3 }]);
    const lineage = (await (await call('/v1/lineage/report.order_total', { token: tokens.analyst! })).json()) as any;
    assert.deepEqual(lineage.upstream, ['clean.orders']);
    assert.deepEqual(lineage.edges, [['clean.orders', 'report.order_total']]);
    assert.equal(lineage.model.kind, 'report');
    assert.equal((await call('/v1/lineage/raw.contacts', { token: tokens.analyst! })).status, 403);
    // Deeply nested JSON is refused before it is parsed into objects.
    const deep = await call('/v1/query', { token: tokens.analyst!, body: `{"sql": ${'['.repeat(100)}${']'.repeat(100)}}` });
    assert.equal(deep.status, 400);
    assert.equal(((await deep.json()) as any).error.code, 'validation.json_depth');
  });

  it('should verify the audit chain and find tampering', async () => {
    const ok = await run('--json', '--as', 'admin', 'audit', 'verify');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).ok, true);
    assert.equal((await run('audit', 'verify')).code, 4, 'admins only');
    const listed = JSON.parse((await run('--json', '--as', 'admin', 'audit', 'list', '--limit', '500')).stdout) as any[];
    assert.ok(listed.some((e) => e.action === 'models.run' && e.actor === 'token:engineer-test'));
    // Someone edits an event in the catalog: verify says so (exit 7).
    const db = new Database(join(project, '.ade', 'catalog.db'));
    try {
      db.prepare("UPDATE audit_events SET actor = 'someone-else' WHERE action = 'query.restricted_read'").run();
    } finally {
      db.close();
    }
    const tampered = await run('--json', '--as', 'admin', 'audit', 'verify');
    assert.equal(tampered.code, 7);
    assert.equal(JSON.parse(tampered.stdout).ok, false);
  });

  it('should stop accepting a revoked token within the 2 s the server trusts a verified one, and stop cleanly on SIGTERM', async () => {
    const list = JSON.parse((await run('--json', '--as', 'admin', 'tokens', 'list')).stdout) as any[];
    const viewer = list.find((t) => t.name === 'viewer-test');
    assert.ok(!('hash' in viewer), 'the hash never leaves the catalog');
    assert.ok(viewer.lastUsedAt, 'use is recorded');
    assert.equal((await run('--as', 'admin', 'tokens', 'revoke', viewer.id)).code, 0);
    const revoked = Date.now();
    let r = await call('/v1/tables', { token: tokens.viewer! });
    while (r.status === 200 && Date.now() - revoked < 2_500) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      r = await call('/v1/tables', { token: tokens.viewer! });
    }
    assert.equal(r.status, 401);
    assert.match(((await r.json()) as any).error.message, /revoked/);
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
    await assert.rejects(fetch(`${url}/health`));
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { jsonDepth, NotFoundError, PermissionError, ValidationError } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { QualityService } from '../quality/quality-service.js';
import { openTempLake } from '../test-support/temp-lake.js';
import { issueToken } from './api-tokens.js';
import { httpError } from './http-errors.js';
import { createApiServer } from './server.js';

describe('jsonDepth', () => {
  it('should count nesting outside strings only', () => {
    assert.equal(jsonDepth('1'), 0);
    assert.equal(jsonDepth('{"a": [1, {"b": []}]}'), 4);
    assert.equal(jsonDepth('{"a": "[[[[{{{{"}'), 1);
    assert.equal(jsonDepth('{"a": "\\\\\\"[["}'), 1);
    assert.equal(jsonDepth('['.repeat(1000)), 1000);
    assert.equal(jsonDepth('[{"a": "x\\\\"}, [[]]]'), 3, 'an even run of backslashes does not escape the quote');
    assert.equal(jsonDepth('[["unterminated [[[['), 2);
  });
});

describe('httpError', () => {
  it('should map errors to statuses in one place, hiding internal errors', () => {
    assert.equal(httpError(new ValidationError('bad')).status, 400);
    assert.equal(httpError(new PermissionError('no')).status, 403);
    assert.equal(httpError(new NotFoundError('table', 'x.y')).status, 404);
    const internal = httpError(new Error('secret detail at /srv/x'));
    assert.equal(internal.status, 500);
    assert.doesNotMatch(JSON.stringify(internal.body), /secret detail/);
    assert.equal(httpError({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'too large' }).status, 413);
  });
});

describe('createApiServer: rate limits per token', () => {
  let dir: string;
  let lake: Lake;
  let app: FastifyInstance;
  let url: string;
  const secret = randomBytes(32).toString('hex');
  let a: string;
  let b: string;
  before(async () => {
    ({ dir, lake } = await openTempLake('ade-api-'));
    const quality = new QualityService(lake, { project: 't', checks: [], timeColumns: new Map(), sinks: [], profileOnCommit: false });
    app = createApiServer({ lake, quality, secret, version: 'test', limits: { requestsPerSecond: 1, burst: 5 } });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    a = (await issueToken(lake.catalog, secret, { name: 'a', role: 'viewer', createdBy: 'test' })).token;
    b = (await issueToken(lake.catalog, secret, { name: 'b', role: 'viewer', createdBy: 'test' })).token;
  });
  after(async () => {
    await app?.close();
    await lake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should answer 429 with Retry-After past the burst, for that token only', async () => {
    const get = (token: string) => fetch(`${url}/v1/tables`, { headers: { authorization: `Bearer ${token}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await get(a)).status);
    assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
    const limited = await get(a);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'http.rate_limited');
    assert.equal((await get(b)).status, 200, 'another token has its own bucket');
    assert.equal((await fetch(`${url}/health`)).status, 200, 'health is never limited');
  });
});

describe('createApiServer: POST /v1/query in worker processes', () => {
  let dir: string;
  let lake: Lake;
  let app: FastifyInstance;
  let url: string;
  let token: string;
  const secret = randomBytes(32).toString('hex');
  const query = (body: unknown) =>
    fetch(`${url}/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  before(async () => {
    ({ dir, lake } = await openTempLake('ade-api-query-'));
    await lake.writeSelect({ name: 'eng', role: 'engineer' }, { table: { zone: 'clean', name: 'orders' }, sql: "SELECT range AS id, 'c' || range AS name FROM range(10)", mode: 'replace' });
    const quality = new QualityService(lake, { project: 't', checks: [], timeColumns: new Map(), sinks: [], profileOnCommit: false });
    app = createApiServer({ lake, quality, secret, version: 'test', queryWorkers: { size: 1, maxQueued: 0, timeoutMs: 500 } });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    token = (await issueToken(lake.catalog, secret, { name: 'ana', role: 'analyst', createdBy: 'test' })).token;
  });
  after(async () => {
    await app?.close();
    await lake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should bind params, and answer bad params or SQL with a 400 before any row', async () => {
    const rows = await query({ sql: 'SELECT id FROM clean.orders WHERE name = ? OR id = ? ORDER BY id', params: ['c3', 7] });
    assert.equal(rows.status, 200);
    assert.deepEqual(await rows.json(), [{ id: 3 }, { id: 7 }]);
    const named = await query({ sql: 'SELECT count(*) AS n FROM clean.orders WHERE name = $name', params: { name: "c1' OR '1'='1" }, format: 'csv' });
    assert.equal(await named.text(), 'n\n0\n');
    for (const body of [{ sql: 'SELECT ? AS a', params: [{ x: 1 }] }, { sql: 'SELECT ? AS a', params: 'x' }, { sql: 'SELECT ? AS a' }, { sql: 'SELEC 1' }]) {
      const r = await query(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    }
  });

  it('should answer a timeout with 504 and a full pool with 503 and Retry-After', async () => {
    const slow = query({ sql: 'SELECT count(*) AS n FROM range(2000000000) a, range(100) b WHERE a.range + b.range = -1' });
    let busy: Response | undefined;
    for (let i = 0; i < 100 && !busy; i++) {
      const r = await query({ sql: 'SELECT 1 AS one' });
      if (r.status === 503) busy = r;
      else await r.arrayBuffer();
    }
    assert.ok(busy, 'a query while the only worker is busy and no queue is allowed');
    assert.equal(((await busy.json()) as { error: { code: string } }).error.code, 'query.busy');
    assert.ok(Number(busy.headers.get('retry-after')) >= 1);
    const timedOut = await slow;
    assert.equal(timedOut.status, 504);
    assert.equal(((await timedOut.json()) as { error: { code: string } }).error.code, 'query.timeout');
    assert.deepEqual(await (await query({ sql: 'SELECT 2 AS two' })).json(), [{ two: 2 }]);
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Lake } from '../lake/index.js';
import { QualityService } from '../quality/quality-service.js';
import { openTempLake } from '../test-support/temp-lake.js';
import { issueToken } from './api-tokens.js';
import { createApiServer } from './server.js';
import { UI_CSP } from './ui-routes.js';

describe('createApiServer: the UI, whoami, saved queries and dashboards', () => {
  let dir: string;
  let lake: Lake;
  let app: FastifyInstance;
  let bare: FastifyInstance;
  let url: string;
  let bareUrl: string;
  const tokens: Record<string, string> = {};
  const secret = randomBytes(32).toString('hex');
  const call = (method: string, path: string, who: string, body?: unknown) =>
    fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${tokens[who]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  before(async () => {
    ({ dir, lake } = await openTempLake('ade-api-ui-'));
    const ui = join(dir, 'ui');
    await mkdir(join(ui, 'assets'), { recursive: true });
    await writeFile(join(ui, 'index.html'), '<!doctype html><title>ade ui</title>');
    await writeFile(join(ui, 'assets', 'app-abc123.js'), 'console.log(1)');
    await mkdir(join(dir, 'project'));
    const quality = new QualityService(lake, { project: 't', checks: [], timeColumns: new Map(), sinks: [], profileOnCommit: false });
    app = createApiServer({ lake, quality, secret, version: 'test', uiDir: ui, project: { dir: join(dir, 'project'), timeColumns: new Map() } });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    bare = createApiServer({ lake, quality, secret, version: 'test', uiDir: join(dir, 'nothing') });
    bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    for (const role of ['viewer', 'analyst'] as const) tokens[role] = (await issueToken(lake.catalog, secret, { name: role, role, createdBy: 'test' })).token;
  });
  after(async () => {
    await app?.close();
    await bare?.close();
    await lake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should serve index.html, hashed assets and the SPA fallback without a token, with the CSP', async () => {
    const index = await fetch(`${url}/`);
    assert.equal(index.status, 200);
    assert.match(await index.text(), /ade ui/);
    assert.equal(index.headers.get('content-security-policy'), UI_CSP);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const asset = await fetch(`${url}/assets/app-abc123.js`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    const page = await fetch(`${url}/tables/clean.orders`, { headers: { accept: 'text/html,*/*' } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /ade ui/);
    assert.equal((await fetch(`${url}/assets/missing.js`, { headers: { accept: 'text/html' } })).status, 404);
    const api = await fetch(`${url}/v1/nope`, { headers: { accept: 'text/html', authorization: `Bearer ${tokens.viewer}` } });
    assert.equal(api.status, 404);
    assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'http.not_found');
    assert.equal((await fetch(`${url}/v1/tables`, { headers: { accept: 'text/html' } })).status, 401, 'the API still needs a token');
    const unbuilt = await fetch(`${bareUrl}/`);
    assert.equal(unbuilt.status, 200);
    assert.match(await unbuilt.text(), /npm run build/);
  });

  it('should say who a token is', async () => {
    assert.deepEqual(await (await call('GET', '/v1/whoami', 'analyst')).json(), { name: 'token:analyst', role: 'analyst', kind: 'api' });
  });

  it('should save, read, list and delete queries as files, refusing bad input by field', async () => {
    const body = { sql: 'SELECT 1 AS n', title: 'One', description: 'a number', chart: { type: 'bar', x: 'n', y: 'n' } };
    assert.equal((await call('PUT', '/v1/queries/one', 'viewer', body)).status, 403);
    assert.equal((await call('PUT', '/v1/queries/one', 'analyst', body)).status, 200);
    assert.equal(await readFile(join(dir, 'project', 'queries', 'one.sql'), 'utf8'), '-- title: One\n-- description: a number\n-- chart: {"type":"bar","x":"n","y":"n"}\nSELECT 1 AS n\n');
    assert.deepEqual(await (await call('GET', '/v1/queries/one', 'viewer')).json(), { name: 'one', ...body });
    assert.deepEqual(await (await call('GET', '/v1/queries', 'viewer')).json(), { queries: [{ name: 'one', title: 'One', description: 'a number', chart: body.chart }] });
    const bad: [string, unknown, string][] = [
      ['one', { title: 'x' }, 'sql'],
      ['one', { sql: 'SELECT 1', chart: { type: 'pie' } }, 'chart.type'],
      ['one', { sql: 'SELECT 1', title: 'a\nb' }, 'title'],
      ['one', { sql: 'SELECT 1', colour: 'red' }, 'colour'],
    ];
    for (const [name, b, fieldName] of bad) {
      const r = await call('PUT', `/v1/queries/${name}`, 'analyst', b);
      assert.equal(r.status, 400, JSON.stringify(b));
      assert.ok(((await r.json()) as { error: { message: string } }).error.message.includes(fieldName), `the error names ${fieldName}`);
    }
    for (const name of ['..%2Fescape', 'Bad', '1x']) assert.equal((await call('PUT', `/v1/queries/${name}`, 'analyst', body)).status, 400, name);
    assert.equal((await call('GET', '/v1/queries/nope', 'viewer')).status, 404);
    assert.equal((await call('DELETE', '/v1/queries/one', 'viewer')).status, 403);
    assert.equal((await call('DELETE', '/v1/queries/one', 'analyst')).status, 200);
    assert.equal((await call('DELETE', '/v1/queries/one', 'analyst')).status, 404);
  });

  it('should save, read, list and delete dashboards as YAML, refusing bad input by field', async () => {
    const body = { title: 'Sales', dateRange: { column: 'day', default: '30d' }, tiles: [{ query: 'one', chart: { type: 'line', x: 'day', y: ['n'] }, w: 6, h: 4 }] };
    assert.equal((await call('PUT', '/v1/dashboards/sales', 'analyst', body)).status, 200);
    assert.match(await readFile(join(dir, 'project', 'dashboards', 'sales.yaml'), 'utf8'), /date_range:\n {2}column: day/);
    assert.deepEqual(await (await call('GET', '/v1/dashboards/sales', 'viewer')).json(), { name: 'sales', ...body });
    assert.deepEqual(await (await call('GET', '/v1/dashboards', 'viewer')).json(), { dashboards: [{ name: 'sales', title: 'Sales', tiles: 1 }] });
    for (const [b, fieldName] of [
      [{ tiles: [] }, 'title'],
      [{ title: 'x' }, 'tiles'],
      [{ title: 'x', tiles: [{ query: '../etc' }] }, 'tiles[0].query'],
      [{ title: 'x', tiles: [{ query: 'one', w: 40 }] }, 'tiles[0].w'],
      [{ title: 'x', tiles: [{ query: 'one', chart: { type: 'bar', x: 3 } }] }, 'tiles[0].chart.x'],
    ] as const) {
      const r = await call('PUT', '/v1/dashboards/x', 'analyst', b);
      assert.equal(r.status, 400, JSON.stringify(b));
      assert.ok(((await r.json()) as { error: { message: string } }).error.message.includes(fieldName), `the error names ${fieldName}`);
    }
    assert.equal((await call('DELETE', '/v1/dashboards/sales', 'analyst')).status, 200);
    assert.deepEqual(await (await call('GET', '/v1/dashboards', 'viewer')).json(), { dashboards: [] });
  });
});

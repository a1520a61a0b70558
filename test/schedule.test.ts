// Schedules and triggers end to end: `ade serve` with a project whose models
// read its sources. A file ingested by another process (`ade ingest`) is seen
// by polling the catalog and builds the model downstream; a cron schedule
// ingests a source every second and its commit builds the model over it; no
// one calls `ade run`. Real processes, real HTTP on 127.0.0.1.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adeAsync, createToken, initServerProject, type Ran, serverEnv, startServer } from './support/cli.js';

const PROJECT = `
sources:
  orders:
    format: csv
    location: landing/orders/*.csv
    fields: { order_id: keep, amount: keep }
  clicks:
    format: csv
    location: landing/clicks/*.csv
    fields: { click_id: keep, page: keep }

schedules:
  - name: pull_clicks
    cron: "* * * * * *"
    ingest: clicks

triggers:
  on_commit: true
  debounce: 200ms
  poll: 300ms
`;

describe('ade serve: schedules and commit triggers', () => {
  let dir: string;
  let project: string;
  let server: ChildProcess;
  let url: string;
  const tokens: Record<string, string> = {};
  const env = serverEnv();

  const run = (...args: string[]): Promise<Ran> => adeAsync(project, args, env);
  const get = async (path: string, token = tokens.analyst!) => {
    const r = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, body: (await r.json()) as any };
  };
  const query = async (sql: string): Promise<any[]> => {
    const r = await fetch(`${url}/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${tokens.analyst!}`, 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
    return r.status === 200 ? ((await r.json()) as any[]) : [];
  };
  /** Polls `probe` until it returns something truthy, failing after a generous deadline. */
  const eventually = async <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 90_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const got = await probe();
      if (got) return got;
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  /** Drops a file into a landing folder in one step (written beside it, then renamed), as an uploader should. */
  const land = (folder: string, name: string, text: string) => {
    const target = join(project, 'landing', folder);
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, `.${name}.part`), text);
    renameSync(join(target, `.${name}.part`), join(target, name));
  };
  const succeededRuns = async (table: string) => ((await get('/v1/runs?kind=model&limit=1000')).body as any[]).filter((r) => r.target === table && r.state === 'succeeded');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ade-schedule-'));
    project = await initServerProject(dir, env, PROJECT);
    mkdirSync(join(project, 'models', 'report'), { recursive: true });
    writeFileSync(join(project, 'models', 'report', 'order_total.sql'), "SELECT sum(amount) AS total, count(*) AS orders FROM ref('clean.orders')\n");
    writeFileSync(join(project, 'models', 'report', 'click_count.sql'), "SELECT count(*) AS clicks FROM ref('clean.clicks')\n");
    for (const role of ['viewer', 'analyst']) tokens[role] = await createToken(project, env, `${role}-test`, { role });
    ({ server, url } = await startServer(project, env));
  });

  after(() => {
    if (server?.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('should refuse a bad cron pattern when the project loads, naming the line', async () => {
    const copy = join(dir, 'bad');
    mkdirSync(copy);
    writeFileSync(join(copy, 'ade.yaml'), readFileSync(join(project, 'ade.yaml'), 'utf8').replace('cron: "* * * * * *"', 'cron: "61 * * * *"'));
    const r = await adeAsync(copy, ['tables'], env);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ade\.yaml:\d+: schedules\.0\.cron: .*minute: 61/);
  });

  it('should build the model over a source when another process ingests into it, with no `ade run`', { timeout: 180_000 }, async () => {
    land('orders', 'a.csv', 'order_id,amount\n1,10\n2,20\n');
    const first = await run('--as', 'engineer', 'ingest', 'orders');
    assert.equal(first.code, 0, first.stderr);
    await eventually('report.order_total built', async () => (await succeededRuns('report.order_total')).length === 1);
    assert.deepEqual(await query('SELECT total, orders FROM report.order_total'), [{ total: 30, orders: 2 }]);

    land('orders', 'b.csv', 'order_id,amount\n3,30\n');
    assert.equal((await run('--as', 'engineer', 'ingest', 'orders')).code, 0);
    await eventually('report.order_total rebuilt', async () => (await query('SELECT total FROM report.order_total'))[0]?.total === 60);
    assert.equal((await succeededRuns('report.order_total')).length, 2);
  });

  it('should ingest on a cron schedule, and build the model over it on the commit', { timeout: 180_000 }, async () => {
    land('clicks', 'a.csv', 'click_id,page\n1,/home\n2,/pricing\n3,/home\n');
    await eventually('report.click_count built', async () => (await query('SELECT clicks FROM report.click_count'))[0]?.clicks === 3);
    const { status, body } = await get('/v1/schedules');
    assert.equal(status, 200);
    const pull = body.schedules.find((s: any) => s.name === 'pull_clicks');
    assert.deepEqual(pull.action, { kind: 'ingest', source: 'clicks' });
    assert.equal(pull.timezone, 'UTC');
    assert.match(pull.nextRun, /^\d{4}-\d\d-\d\dT/);
    assert.ok(pull.lastRun.startedAt, JSON.stringify(pull));
    assert.equal(body.triggers.onCommit, true);
    assert.equal(body.triggers.pollMs, 300);
    assert.ok(body.triggers.lastBuild, JSON.stringify(body.triggers));
    // The ingest ran as the scheduler, by the schedule; the build says who triggered it.
    const ingests = ((await get('/v1/runs?kind=ingest&limit=1000')).body as any[]).filter((r) => r.target === 'clean.clicks' && r.state === 'succeeded');
    assert.ok(ingests.some((r) => r.info.by === 'scheduler'), JSON.stringify(ingests.slice(0, 3)));
    const audit = JSON.parse((await run('--json', '--as', 'admin', 'audit', 'list', '--limit', '1000')).stdout) as any[];
    const builds = audit.filter((e) => e.action === 'models.run' && e.actor === 'scheduler');
    assert.ok(builds.some((e) => e.target === 'report.click_count' && e.details.by === 'commit' && e.details.tables.includes('clean.clicks')), JSON.stringify(builds));
    assert.ok(audit.some((e) => e.action === 'ingest.run' && e.actor === 'scheduler' && e.details.schedule === 'pull_clicks'));
  });

  it('should show the schedules to analysts and up only, and list the route', async () => {
    assert.equal((await get('/v1/schedules', tokens.viewer!)).status, 403);
    assert.ok((await get('/openapi.json')).body.paths['/v1/schedules']);
  });

  it('should stop cleanly on SIGTERM while schedules tick', { timeout: 60_000 }, async () => {
    const exited = new Promise<number | null>((r) => server.on('exit', (code) => r(code)));
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});

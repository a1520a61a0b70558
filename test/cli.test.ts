// The `ade` command end to end: real processes, a real project folder, the
// embedded default (local files, SQLite catalog, DuckDB).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ade, BIN, json, type Ran } from './support/cli.js';

describe('ade CLI', () => {
  let dir: string;
  let project: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ade-cli-'));
    project = join(dir, 'proj');
    writeFileSync(join(dir, 'orders.csv'), 'order_id,Customer Name,amount,ordered_at\n1,Ann,10.5,2026-01-01 10:00:00\n2,"Bob, Jr.",20.25,2026-01-02 11:00:00\n3,Cy,7,2026-01-03 12:00:00\n');
    writeFileSync(join(dir, 'more.csv'), 'order_id,Customer Name,amount,ordered_at,channel\n4,Di,1.5,2026-01-04 09:00:00,app\n');
    writeFileSync(join(dir, 'bad.csv'), 'order_id,Customer Name,amount,ordered_at\n5,Ed,3,2026-01-05 10:00:00\n6,Flo,x,2026-01-06 10:00:00\n');
    writeFileSync(join(dir, 'ragged.csv'), 'order_id,Customer Name,amount,ordered_at\n7,Gus,3,2026-01-05 10:00:00,extra\n');
    writeFileSync(join(dir, 'bad.ndjson'), '{"order_id": 8, "amount": 1}\n{"order_id": 9, "amount": 2}\n{"order_id" 10}\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should create a project with init and refuse to overwrite it', () => {
    const r = ade(dir, 'init', 'proj');
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['ade.yaml', 'models', '.ade', '.gitignore']) assert.ok(existsSync(join(project, f)), f);
    assert.match(readFileSync(join(project, '.gitignore'), 'utf8'), /^\.ade\/$/m);
    assert.equal(ade(dir, 'init', 'proj').code, 3);
  });

  it('should refuse a load into clean by an analyst and say how to act as engineer', () => {
    const r = ade(project, 'load', join(dir, 'orders.csv'), '--table', 'clean.orders');
    assert.equal(r.code, 4);
    assert.match(r.stderr, /may not write the clean zone/);
    assert.match(r.stderr, /--as engineer/);
  });

  it('should load a CSV in one commit, normalising column names', () => {
    const r = json(ade(project, '--json', '--as', 'engineer', 'load', join(dir, 'orders.csv'), '--table', 'clean.orders'));
    assert.equal(r.rows, 3);
    assert.deepEqual(r.renamedColumns, { 'Customer Name': 'customer_name' });
    const rows = json(ade(project, '--json', 'sql', 'SELECT order_id, customer_name, amount FROM clean.orders ORDER BY 1'));
    assert.deepEqual(rows, [
      { order_id: 1, customer_name: 'Ann', amount: 10.5 },
      { order_id: 2, customer_name: 'Bob, Jr.', amount: 20.25 },
      { order_id: 3, customer_name: 'Cy', amount: 7 },
    ]);
  });

  it('should reject a malformed CSV naming the file, line and field, and commit nothing', () => {
    const before = json<any[]>(ade(project, '--json', 'history', 'clean.orders')).length;
    const r = ade(project, '--as', 'engineer', 'load', join(dir, 'bad.csv'), '--table', 'clean.orders');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /bad\.csv, line 3, field "amount"/);
    const ragged = ade(project, '--as', 'engineer', 'load', join(dir, 'ragged.csv'), '--table', 'clean.orders');
    assert.equal(ragged.code, 3, ragged.stderr);
    assert.match(ragged.stderr, /ragged\.csv, line 2/);
    assert.equal(json<any[]>(ade(project, '--json', 'history', 'clean.orders')).length, before);
    assert.equal(json<any[]>(ade(project, '--json', 'sql', 'SELECT count(*) AS n FROM clean.orders'))[0].n, 3);
    // Both failures are in the run ledger with their reasons.
    const runs = json<any[]>(ade(project, '--json', 'runs', '--kind', 'load', '--limit', '2'));
    assert.deepEqual(runs.map((r) => r.state), ['failed', 'failed']);
    assert.match(runs[1].error, /bad\.csv, line 3/);
  });

  it('should reject malformed NDJSON naming the line and leave no table behind', () => {
    const r = ade(project, '--as', 'engineer', 'load', join(dir, 'bad.ndjson'), '--table', 'clean.bad');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /bad\.ndjson, line 3/);
    const tables = json<any[]>(ade(project, '--json', 'tables')).map((t) => t.table);
    assert.ok(!tables.includes('clean.bad'), 'a failed first load must not leave an empty table');
  });

  it('should print lineage from the SQL models in models/ and name a broken model by file and line', () => {
    mkdirSync(join(project, 'models', 'model'), { recursive: true });
    mkdirSync(join(project, 'models', 'report'), { recursive: true });
    writeFileSync(join(project, 'models', 'model', 'order_f.sql'), "/*\nkind: fact\n*/\nSELECT * FROM ref('clean.orders')\n");
    writeFileSync(join(project, 'models', 'report', 'revenue.sql'), "SELECT sum(amount) AS revenue FROM ref('model.order_f')\n");
    const l = json(ade(project, '--json', 'lineage', 'model.order_f'));
    assert.deepEqual([l.model.kind, l.upstream, l.downstream], ['fact', ['clean.orders'], ['report.revenue']]);
    assert.deepEqual(json(ade(project, '--json', 'lineage', 'clean.orders')).downstream, ['model.order_f', 'report.revenue']);
    writeFileSync(join(project, 'models', 'report', 'broken.sql'), "SELECT 1\nFROM ref('orders')\n");
    const broken = ade(project, 'lineage', 'clean.orders');
    assert.equal(broken.code, 3);
    assert.match(broken.stderr, /models\/report\/broken\.sql:2: ref\("orders"\) does not name a table as zone\.table/);
    rmSync(join(project, 'models'), { recursive: true, force: true });
  });

  it('should plan and run SQL models: build what is stale, then nothing, and exit 1 when a model fails', () => {
    mkdirSync(join(project, 'models', 'model'), { recursive: true });
    mkdirSync(join(project, 'models', 'report'), { recursive: true });
    writeFileSync(join(project, 'models', 'model', 'order_d.sql'), "/*\nkind: dimension\nkey: order_id\n*/\nSELECT order_id, amount FROM ref('clean.orders')\n");
    writeFileSync(join(project, 'models', 'report', 'revenue.sql'), "SELECT round(sum(amount), 2) AS revenue FROM ref('model.order_d')\n");
    const plan = json<any[]>(ade(project, '--json', 'plan'));
    assert.deepEqual(plan.map((p) => [p.table, p.status]), [['model.order_d', 'stale'], ['report.revenue', 'stale']]);
    const first = json<any[]>(ade(project, '--json', '--as', 'engineer', 'run'));
    assert.deepEqual(first.map((r) => r.status), ['built', 'built']);
    const total = json<any[]>(ade(project, '--json', 'sql', 'SELECT sum(amount) AS s FROM clean.orders'))[0].s;
    assert.deepEqual(json(ade(project, '--json', 'sql', 'SELECT revenue FROM report.revenue')), [{ revenue: Math.round(total * 100) / 100 }]);
    assert.match(json<any[]>(ade(project, '--json', 'sql', 'SELECT order_sk FROM model.order_d LIMIT 1'))[0].order_sk, /^[0-9a-f-]{36}$/);
    assert.deepEqual(json<any[]>(ade(project, '--json', '--as', 'engineer', 'run')).map((r) => r.status), ['fresh', 'fresh']);
    writeFileSync(join(project, 'models', 'report', 'revenue.sql'), "SELECT sum(no_such_column) AS revenue FROM ref('model.order_d')\n");
    const failed = ade(project, '--json', '--as', 'engineer', 'run');
    assert.equal(failed.code, 1);
    assert.deepEqual(JSON.parse(failed.stdout).map((r: any) => r.status), ['fresh', 'failed']);
    rmSync(join(project, 'models'), { recursive: true, force: true });
  });

  it('should append with schema evolution and time travel to the earlier snapshot', () => {
    const first = json<any[]>(ade(project, '--json', 'history', 'clean.orders'))[0].id;
    const r = json(ade(project, '--json', '--as', 'engineer', 'load', join(dir, 'more.csv'), '--table', 'clean.orders'));
    assert.deepEqual(r.addedColumns, ['channel']);
    assert.equal(json<any[]>(ade(project, '--json', 'sql', 'SELECT count(*) AS n FROM clean.orders'))[0].n, 4);
    const old = json<any[]>(ade(project, '--json', 'sql', 'SELECT count(*) AS n FROM clean.orders', '--snapshot', `clean.orders=${first}`));
    assert.equal(old[0].n, 3);
    const d = json(ade(project, '--json', 'describe', 'clean.orders'));
    assert.equal(d.rows, 4);
    assert.deepEqual(d.columns.map((c: any) => c.name), ['order_id', 'customer_name', 'amount', 'ordered_at', 'channel']);
    assert.deepEqual(d.columns.map((c: any) => c.id), [1, 2, 3, 4, 5]);
  });

  it('should print CSV and NDJSON and write --out files whole', () => {
    const csv = ade(project, 'sql', 'SELECT order_id, customer_name FROM clean.orders WHERE order_id <= 2 ORDER BY 1', '--format', 'csv');
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.stdout, 'order_id,customer_name\n1,Ann\n2,"Bob, Jr."\n');
    const nd = ade(project, 'sql', 'SELECT order_id FROM clean.orders ORDER BY 1 LIMIT 2', '--format', 'ndjson');
    assert.equal(nd.stdout, '{"order_id":1}\n{"order_id":2}\n');
    const out = join(dir, 'out.csv');
    assert.equal(ade(project, 'sql', 'SELECT * FROM clean.orders', '--format', 'csv', '--out', out).code, 0);
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 5);
  });

  it('should refuse sandbox escapes with a permission error (exit 4)', () => {
    for (const q of ["SELECT * FROM read_csv('/etc/passwd')", "COPY (SELECT 1) TO '/tmp/x.csv'", "ATTACH '/tmp/x.db'", 'INSTALL httpfs', "SET memory_limit='10GB'"]) {
      const r = ade(project, 'sql', q);
      assert.equal(r.code, 4, `${q}: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }
  });

  it('should report usage errors with exit 2 and unknown tables with exit 5', () => {
    assert.equal(ade(project, 'load').code, 2);
    assert.equal(ade(project, 'describe', 'clean.nope').code, 5);
    assert.equal(ade(project, 'describe', 'Bad.Name').code, 3);
    const help = ade(project, 'sql', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--format/);
  });

  it('should verify the lake and garbage-collect replaced files', () => {
    assert.equal(ade(project, 'verify', '--read').code, 0);
    json(ade(project, '--json', '--as', 'engineer', 'load', join(dir, 'orders.csv'), '--table', 'clean.orders', '--mode', 'replace'));
    const dry = json(ade(project, '--json', '--as', 'engineer', 'gc', '--retention', '0s', '--dry-run'));
    assert.equal(dry.dryRun, true);
    const gc = json(ade(project, '--json', '--as', 'engineer', 'gc', '--retention', '0s', '--grace', '0s'));
    assert.ok(gc.expiredSnapshots >= 2, JSON.stringify(gc));
    assert.ok(gc.deletedFiles >= 2, JSON.stringify(gc));
    assert.equal(json<any[]>(ade(project, '--json', 'sql', 'SELECT count(*) AS n FROM clean.orders'))[0].n, 3);
    assert.equal(ade(project, 'verify', '--read').code, 0);
  });
});

describe('ade demo', () => {
  it('should ingest the demo data through the privacy path, build its models and answer the business questions', { timeout: 300_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ade-demo-'));
    const env = { ADE_KEYRING_FILE: join(dir, 'keys', 'demo.json') };
    const run = (cwd: string, ...args: string[]): Ran => {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' } });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    try {
      const report = json(run(dir, '--json', 'demo', 'demo', '--scale', 'small', '--no-serve'));
      const project = join(dir, 'demo');
      assert.equal(report.sandbox.refused, true);
      // Live data went through the server over HTTP: the next day's app events through the collector, and the
      // app's accounts change stream through /v1/cdc, shuffled and with a request sent twice, applied by a current model.
      assert.ok(report.collector.requests >= 1 && report.collector.events === report.quality.events.rows, JSON.stringify(report.collector));
      assert.ok(report.changes.created > 0 && report.changes.updated > 0 && report.changes.deleted > 0, JSON.stringify(report.changes));
      assert.equal(report.changes.accounts, report.changes.expected);
      assert.equal(report.changes.accounts, report.changes.snapshot + report.changes.created - report.changes.deleted);
      assert.deepEqual(report.answers.map((a: any) => a.id), ['monthly_revenue', 'top_products', 'funnel', 'repeat_rate', 'revenue_by_country', 'sessions_by_device', 'support_topics']);
      for (const a of report.answers) assert.ok(a.rows.length > 0, a.id);
      // Every file went through ingest: the truncated event line is in quarantine, resent events were dropped,
      // and personal data was found where nobody declared it.
      const events = report.ingests.find((i: any) => i.source === 'events');
      assert.equal(events.quarantined, 1);
      assert.ok(events.deduplicated > 0);
      const found = report.ingests.flatMap((i: any) => i.detections.map((d: any) => `${i.source}.${d.field}`));
      for (const f of ['orders.gift_message', 'events.properties.receipt_email', 'support.body']) assert.ok(found.includes(f), f);
      // Answers agree with the data, recomputed independently from the raw file as engineer.
      const rawOrders = join(project, '.ade', 'lake', 'raw', 'orders', 'files');
      const rawFile = spawnSync('find', [rawOrders, '-type', 'f', '-name', '*-orders.ndjson'], { encoding: 'utf8' }).stdout.trim();
      const revenue = json<any[]>(run(project, '--json', '--as', 'engineer', 'sql', `SELECT round(sum(total), 2) AS r FROM read_json('${rawFile}') WHERE status = 'completed'`))[0].r;
      const byCountry = report.answers.find((a: any) => a.id === 'revenue_by_country').rows.reduce((s: number, row: any) => s + row.revenue, 0);
      assert.ok(Math.abs(byCountry - revenue) < 0.05, `${byCountry} vs ${revenue}`);
      const tables = json<any[]>(run(project, '--json', 'tables')).map((t) => t.table);
      const models = ['model.account_current', 'model.customer_d', 'model.event_f', 'model.order_f', 'model.order_item_f', 'model.product_d', 'model.session_day_d', 'report.customer_360', 'report.daily_product_revenue'];
      const mlTables = ['ml.churn_current', 'ml.churn_scores', 'ml.churn_training', 'ml.model_serving', 'ml.order_value_training'];
      assert.deepEqual(tables.sort(), ['clean.account_changes', 'clean.customers', 'clean.events', 'clean.orders', 'clean.products', 'clean.support', ...mlTables, ...models].sort());
      // The demo's models, built by `ade run`'s builder: every one built, with row counts that follow from the data.
      const built = new Map<string, any>(report.models.map((m: any) => [m.table, m]));
      assert.deepEqual([...built.keys()].sort(), models);
      for (const m of report.models) assert.equal(m.status, 'built', m.table);
      const cleanRows = new Map<string, number>(report.loads.map((l: any) => [l.table, l.rows]));
      assert.equal(built.get('model.customer_d').rows, report.dataset.customers);
      assert.equal(built.get('model.product_d').rows, report.dataset.products);
      assert.equal(built.get('model.order_f').rows, cleanRows.get('clean.orders'));
      assert.equal(built.get('model.event_f').rows, cleanRows.get('clean.events'));
      assert.equal(built.get('report.customer_360').rows, report.dataset.customers);
      for (const t of ['model.order_item_f', 'model.session_day_d', 'report.daily_product_revenue']) assert.ok(built.get(t).rows > 0, t);
      assert.equal(built.get('model.session_day_d').kind, 'day');
      // Facts carry the dimensions' surrogate keys without a join, and every one finds its row; sessions stay on their day.
      const [keys] = json<any[]>(
        run(
          project,
          '--json',
          'sql',
          `SELECT (SELECT count(*) FROM model.order_f o JOIN model.customer_d c USING (customer_sk)) AS orders_joined,
                  (SELECT count(*) FROM model.order_item_f i JOIN model.product_d p USING (product_sk)) AS items_joined,
                  (SELECT count(*) FROM model.session_day_d WHERE CAST(started_at AS DATE) <> session_day) AS sessions_off_their_day`,
        ),
      );
      assert.deepEqual(keys, { orders_joined: cleanRows.get('clean.orders'), items_joined: built.get('model.order_item_f').rows, sessions_off_their_day: 0 });
      // The next day: the short day of events publishes with a warning; the orders with a negative total are blocked and staged.
      const q = report.quality;
      assert.equal(q.day, '2026-11-01');
      assert.ok(q.events.published && q.events.rows * 3 < q.events.usual, JSON.stringify(q.events));
      assert.equal(q.orders.blocked, true);
      const result = (check: string) => q.results.find((r: any) => r.check === check);
      assert.equal(result('events_per_day').status, 'fail');
      assert.equal(result('events_per_day').severity, 'warn');
      assert.equal(result('range(total)').status, 'fail');
      assert.deepEqual(q.results.filter((r: any) => r.status === 'fail' && r.severity === 'error').map((r: any) => r.check), ['range(total)']);
      assert.deepEqual([...q.rebuilt].sort(), ['model.account_current', 'model.event_f', 'model.session_day_d', 'report.customer_360']);
      assert.ok(q.openAlerts >= 2);
      // The app's experiments, analysed as the analyst as of the dataset's end: checkout_button's green button makes more
      // customers complete an order (an effect built into the orders) and leaves app sessions alone; onboarding_email lost
      // exposures of one variant, a broken sample ratio that opens an alert.
      const experiments = new Map<string, any>(report.experiments.map((e: any) => [e.experiment, e]));
      assert.deepEqual([...experiments.keys()], ['checkout_button', 'onboarding_email']);
      const compared = (e: string, m: string) => {
        const metric = experiments.get(e).metrics.find((x: any) => x.metric === m);
        assert.equal(metric.error, undefined, `${e}.${m}: ${metric.error?.message}`);
        return metric.comparisons[0];
      };
      const checkout = experiments.get('checkout_button');
      assert.equal(checkout.asOf, '2026-11-01T00:00:00.000Z');
      assert.equal(checkout.srm.mismatch, false, JSON.stringify(checkout.srm));
      const purchased = compared('checkout_button', 'purchased_14d');
      assert.ok(purchased.adjustedPValue < 0.05, `purchased_14d: adjusted p ${purchased.adjustedPValue}`);
      for (const ci of [purchased.frequentist.absolute.ci, purchased.frequentist.relative.ci]) assert.ok(ci[0] > 0, `purchased_14d: CI [${ci}] excludes 0`);
      const sessions = compared('checkout_button', 'app_sessions_14d');
      for (const ci of [sessions.frequentist.absolute.ci, sessions.frequentist.relative.ci]) assert.ok(ci[0] < 0 && 0 < ci[1], `app_sessions_14d: CI [${ci}] includes 0`);
      const onboarding = experiments.get('onboarding_email');
      assert.equal(onboarding.srm.mismatch, true, JSON.stringify(onboarding.srm));
      assert.ok(report.dataset.exposures > 0 && report.dataset.experimentOrders > 0, JSON.stringify(report.dataset));
      const alerts = json<any>(run(project, '--json', 'alerts')).alerts.map((x: any) => x.checkId);
      assert.ok(alerts.includes('clean.events/srm(onboarding_email)') && !alerts.includes('clean.events/srm(checkout_button)'), JSON.stringify(alerts));
      const listed = json<any[]>(run(project, '--json', 'exp', 'list'));
      assert.deepEqual(listed.map((e) => [e.key, e.lastAnalysis]), [
        ['checkout_button', '2026-11-01T00:00:00.000Z'],
        ['onboarding_email', '2026-11-01T00:00:00.000Z'],
      ]);
      // Machine learning: a churn classifier and an order-value regressor trained on the model tables, both champions
      // (published in the serving table), and the customers as of the data's end scored with the churn champion.
      assert.deepEqual(report.ml.models.map((m: any) => [m.ref, m.task, m.metric]), [['churn@v1', 'classification', 'accuracy'], ['order_value@v1', 'regression', 'r2']]);
      for (const m of report.ml.models) assert.ok(m.leaderboard.length > 0 && Number.isFinite(m.cvScore) && m.importance.length > 0, m.ref);
      assert.equal(report.ml.scored.rows, report.dataset.customers);
      const serving = json<any[]>(run(project, '--json', 'sql', 'SELECT key FROM ml.model_serving ORDER BY key'));
      assert.deepEqual(serving.map((r) => r.key), ['churn@champion', 'churn@v1', 'order_value@champion', 'order_value@v1']);
      const staged = json<any[]>(run(project, '--json', 'quality', 'staged'));
      assert.deepEqual(staged.map((s) => [s.table, s.id]), [['clean.orders', q.orders.stagedId]]);
      assert.equal(json<any[]>(run(project, '--json', 'sql', "SELECT count(*) AS n FROM clean.orders WHERE ordered_at >= TIMESTAMP '2026-11-01'"))[0].n, 0);
      // On the current data every error check passes (the blocked batch is not in it): exit 0, with the volume warning.
      const checked = json<any>(run(project, '--json', 'check'));
      assert.equal(checked.failed, 0);
      assert.ok(checked.warnings >= 1);
      // Built once, the models are fresh: `ade run` right after builds nothing.
      const rerun = json<any[]>(run(project, '--json', '--as', 'engineer', 'run'));
      assert.deepEqual(rerun.map((r) => r.table).sort(), models);
      for (const r of rerun) assert.equal(r.status, 'fresh', `${r.table}: ${r.reasons}`);
      // Only engineers ingest: an analyst hears about the role (exit 4), not about keys.
      const refused = run(project, 'ingest', 'orders');
      assert.equal(refused.code, 4, refused.stderr);
      assert.match(refused.stderr, /may not write the raw zone/);
      // Re-running ingest finds nothing new.
      const again = json(run(project, '--json', '--as', 'engineer', 'ingest', 'orders'));
      assert.equal(again.filesSkipped, 1);
      assert.equal(again.rowsWritten, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ade in team mode (Postgres catalog, S3 storage)', () => {
  it('should load and query through ade.yaml pointing at Postgres and an S3 endpoint', { timeout: 120_000 }, async (t) => {
    const { freshPostgresDatabase, postgresAvailable } = await import('../packages/ade/src/test-support/postgres.js');
    const { startS3rver } = await import('../packages/ade/src/test-support/s3rver.js');
    if (!(await postgresAvailable())) return t.skip('Postgres not available');
    const dir = mkdtempSync(join(tmpdir(), 'ade-team-'));
    const db = await freshPostgresDatabase('team');
    const s3 = await startS3rver(dir);
    try {
      const project = join(dir, 'team');
      assert.equal(ade(dir, 'init', 'team').code, 0);
      writeFileSync(
        join(project, 'ade.yaml'),
        `name: team
storage:
  kind: s3
  bucket: ade-lake
  prefix: lake
  endpoint: ${s3.endpoint}
  access_key_id_env: TEAM_KEY
  secret_access_key_env: TEAM_SECRET
catalog:
  kind: postgres
  url_env: TEAM_CATALOG_URL
access:
  default_role: analyst
  granted_roles: [analyst, engineer]
sources:
  signups:
    format: ndjson
    event_id: id
    fields:
      email: { tokenize: email }
`,
      );
      writeFileSync(join(dir, 'o.csv'), 'id,amount\n1,2.5\n2,3.5\n');
      writeFileSync(join(dir, 's.ndjson'), '{"id":1,"email":"a@example.com"}\n{"id":1,"email":"a@example.com"}\n{"id":2,"email":"b@example.com"}\n{"id":3,\n');
      const env = { TEAM_KEY: 'S3RVER', TEAM_SECRET: 'S3RVER', TEAM_CATALOG_URL: db.url, ADE_KEYRING_FILE: join(dir, 'keys', 'team.json') };
      // Asynchronous: s3rver answers from this very process, so it must not be blocked.
      const run = (extra: Record<string, string>, ...args: string[]) =>
        new Promise<Ran>((resolve) => {
          execFile(process.execPath, [BIN, ...args], { cwd: project, encoding: 'utf8', env: { ...process.env, ...extra, NO_COLOR: '1' } }, (error, stdout, stderr) =>
            resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
          );
        });
      assert.equal(json(await run(env, '--json', '--as', 'engineer', 'load', join(dir, 'o.csv'), '--table', 'clean.orders')).rows, 2);
      assert.deepEqual(json(await run(env, '--json', 'sql', 'SELECT sum(amount) AS s FROM clean.orders')), [{ s: 6 }]);
      // Ingest in team mode: the ledger in Postgres, the raw copy and clean files in S3.
      assert.equal((await run(env, '--as', 'engineer', 'keys', 'create')).code, 0);
      const ingested = json(await run(env, '--json', '--as', 'engineer', 'ingest', 'signups', join(dir, 's.ndjson')));
      assert.deepEqual([ingested.rowsWritten, ingested.quarantined, ingested.deduplicated], [2, 1, 1]);
      assert.equal(json(await run(env, '--json', '--as', 'engineer', 'ingest', 'signups', join(dir, 's.ndjson'))).filesSkipped, 1);
      const tokens = json<any[]>(await run(env, '--json', 'sql', 'SELECT email FROM clean.signups ORDER BY id'));
      for (const t of tokens) assert.match(t.email, /^tok_[A-Za-z0-9_-]{22}$/);
      assert.deepEqual(json<any[]>(await run(env, '--json', '--as', 'engineer', 'sql', 'SELECT line FROM quarantine.signups')), [{ line: 4 }]);
      assert.equal((await run(env, 'verify', '--read')).code, 0);
      // The secret names an environment variable; without it the CLI says which one is missing.
      const missing = await run({}, 'tables');
      assert.equal(missing.code, 3);
      assert.match(missing.stderr, /ade\.yaml:\d+: storage\.access_key_id_env: environment variable TEAM_KEY is not set/);
    } finally {
      await s3.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

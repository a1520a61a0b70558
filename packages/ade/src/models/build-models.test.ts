import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { ModelLake } from '../test-support/model-lake.js';
import { planModels, runModels } from './build-models.js';
import { surrogateKey } from './surrogate-key.js';

const engineer: Principal = { name: 'eng', role: 'engineer' };

describe('planModels and runModels', () => {
  let t: ModelLake;
  let lake: Lake;
  const model = (zone: string, name: string, text: string) => t.model(zone, name, text);
  const graph = () => t.graph();
  const rows = (sql: string) => t.rows(sql);
  const status = (rs: readonly { table: string; status: string }[]) => Object.fromEntries(rs.map((r) => [r.table, r.status]));

  before(async () => {
    t = await ModelLake.open('ade-models-', engineer);
    lake = t.lake;
    await lake.writeSelect(engineer, { table: { zone: 'clean', name: 'customers' }, mode: 'replace', sql: "SELECT * FROM (VALUES (1, 'pro'), (2, 'free')) t(customer_id, plan)" });
    await lake.writeSelect(engineer, { table: { zone: 'clean', name: 'orders' }, mode: 'replace', sql: 'SELECT * FROM (VALUES (10, 1, 5.0), (11, 2, 7.5), (12, 1, 2.5)) t(order_id, customer_id, amount)' });
    await model('model', 'customer_d', "/*\nkind: dimension\nkey: customer_id\n*/\nSELECT customer_id, plan FROM ref('clean.customers')\n");
    await model('report', 'revenue_by_plan', "SELECT c.plan, sum(o.amount) AS revenue FROM ref('clean.orders') o JOIN ref('model.customer_d') c USING (customer_id) GROUP BY 1\n");
    await model('report', 'order_count', "SELECT count(*) AS n FROM ref('clean.orders')\n");
  });
  after(async () => {
    await t?.close();
  });

  it('should build what is stale in dependency order, with surrogate keys and the batch id on every row (ade_batch_id)', async () => {
    const g = await graph();
    const plan = await planModels(lake, g);
    assert.deepEqual(status(plan), { 'model.customer_d': 'stale', 'report.order_count': 'stale', 'report.revenue_by_plan': 'stale' });
    assert.deepEqual(plan.find((p) => p.table === 'report.revenue_by_plan')!.reasons, ['input model.customer_d is rebuilt first', 'never built']);
    const built = await runModels(lake, engineer, g);
    assert.deepEqual(status(built), { 'model.customer_d': 'built', 'report.order_count': 'built', 'report.revenue_by_plan': 'built' });
    const dims = await rows('SELECT customer_sk, customer_id, plan, ade_batch_id FROM model.customer_d ORDER BY customer_id');
    assert.deepEqual(dims.map((d) => d.customer_sk), [surrogateKey('model.customer_d', [1]), surrogateKey('model.customer_d', [2])]);
    const snapshot = (await lake.catalog.history({ zone: 'model', name: 'customer_d' }, { limit: 1 }))[0]!;
    assert.ok(dims.every((d) => d.ade_batch_id === snapshot.batchId));
    assert.deepEqual(await rows('SELECT plan, revenue FROM report.revenue_by_plan ORDER BY plan'), [
      { plan: 'free', revenue: 7.5 },
      { plan: 'pro', revenue: 7.5 },
    ]);
    const runs = await lake.catalog.listRuns({ kind: 'model' });
    assert.equal(runs.filter((r) => r.state === 'succeeded').length, 3);
  });

  it('should do nothing on a same-input rerun and say so', async () => {
    const g = await graph();
    const before = await Promise.all(g.layers.flat().map(async (t) => (await lake.catalog.getTable(g.models.get(t)!.table))!.currentSnapshotId));
    const again = await runModels(lake, engineer, g);
    assert.deepEqual(status(again), { 'model.customer_d': 'fresh', 'report.order_count': 'fresh', 'report.revenue_by_plan': 'fresh' });
    assert.deepEqual(again[0]!.reasons, ['inputs and code unchanged since the last build']);
    const after = await Promise.all(g.layers.flat().map(async (t) => (await lake.catalog.getTable(g.models.get(t)!.table))!.currentSnapshotId));
    assert.deepEqual(after, before);
  });

  it('should rebuild exactly what an edited model or a new input affects', async () => {
    await model('report', 'order_count', "SELECT count(*) AS n, sum(amount) AS total FROM ref('clean.orders')\n");
    assert.deepEqual(status(await runModels(lake, engineer, await graph())), { 'model.customer_d': 'fresh', 'report.order_count': 'built', 'report.revenue_by_plan': 'fresh' });
    await lake.writeSelect(engineer, { table: { zone: 'clean', name: 'customers' }, mode: 'append', sql: "SELECT 3 AS customer_id, 'pro' AS plan" });
    const r = await runModels(lake, engineer, await graph());
    assert.deepEqual(status(r), { 'model.customer_d': 'built', 'report.order_count': 'fresh', 'report.revenue_by_plan': 'built' });
    assert.match(r.find((x) => x.table === 'model.customer_d')!.reasons.join(), /input clean\.customers is now at snapshot/);
  });

  it('should give identical surrogate keys on a full rebuild', async () => {
    const before = await rows('SELECT customer_id, customer_sk FROM model.customer_d ORDER BY 1');
    const r = await runModels(lake, engineer, await graph(), { fullRefresh: true });
    assert.deepEqual(r.filter((x) => x.status !== 'built'), []);
    assert.deepEqual(await rows('SELECT customer_id, customer_sk FROM model.customer_d ORDER BY 1'), before);
  });

  it('should leave a failing model at its previous snapshot, record the error, skip its downstream and build the rest', async () => {
    const g0 = await graph();
    const dimBefore = (await lake.catalog.getTable(g0.models.get('model.customer_d')!.table))!.currentSnapshotId;
    await model('model', 'customer_d', "/*\nkind: dimension\nkey: customer_id\n*/\nSELECT customer_id, plan, no_such_column FROM ref('clean.customers')\n");
    await model('report', 'order_count', "SELECT count(*) AS n, sum(amount) AS total, 1 AS v2 FROM ref('clean.orders')\n");
    const r = await runModels(lake, engineer, await graph());
    assert.deepEqual(status(r), { 'model.customer_d': 'failed', 'report.order_count': 'built', 'report.revenue_by_plan': 'skipped' });
    assert.match(r.find((x) => x.table === 'model.customer_d')!.error!, /no_such_column/);
    assert.equal((await lake.catalog.getTable({ zone: 'model', name: 'customer_d' }))!.currentSnapshotId, dimBefore);
    const failedRun = (await lake.catalog.listRuns({ kind: 'model' })).find((x) => x.state === 'failed')!;
    assert.match(failedRun.error ?? '', /no_such_column/);
    // A dimension whose key repeats fails with a clear message.
    await model('model', 'customer_d', "/*\nkind: dimension\nkey: plan\n*/\nSELECT customer_id, plan FROM ref('clean.customers')\n");
    const dup = await runModels(lake, engineer, await graph(), { select: ['model.customer_d'] });
    assert.match(dup[0]!.error!, /natural key \(plan\) occur more than once/);
    assert.match(dup[0]!.hint!, /one row per natural key/);
    // A type error at run time (a value that does not convert) fails the same way, with DuckDB's message and ade's hint.
    await model('report', 'order_count', "SELECT CAST('n/a' AS INTEGER) + count(*) AS n FROM ref('clean.orders')\n");
    const orderCount = (await lake.catalog.getTable({ zone: 'report', name: 'order_count' }))!.currentSnapshotId;
    const typed = await runModels(lake, engineer, await graph(), { select: ['report.order_count'] });
    assert.equal(typed[0]!.status, 'failed');
    assert.match(typed[0]!.error!, /Conversion Error/);
    assert.ok(typed[0]!.hint);
    assert.equal((await lake.catalog.getTable({ zone: 'report', name: 'order_count' }))!.currentSnapshotId, orderCount);
  });
});

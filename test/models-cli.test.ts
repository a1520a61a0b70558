// `ade plan` and `ade run` end to end for fact, day, current and TypeScript
// models: real processes, a real project, the embedded default.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ade, json } from './support/cli.js';

describe('ade plan / ade run: incremental models', () => {
  let dir: string;
  let project: string;
  const file = (rel: string, text: string) => {
    mkdirSync(join(project, rel, '..'), { recursive: true });
    writeFileSync(join(project, rel), text);
  };
  const load = (name: string, text: string, table: string) => {
    writeFileSync(join(dir, name), text);
    return json(ade(project, '--json', '--as', 'engineer', 'load', join(dir, name), '--table', table));
  };
  const sql = (q: string) => json<any[]>(ade(project, '--json', '--as', 'engineer', 'sql', q));

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ade-models-cli-'));
    project = join(dir, 'proj');
    assert.equal(ade(dir, 'init', 'proj').code, 0);
    load('o1.csv', 'order_id,customer_id,amount,ordered_at\n1,7,10,2026-11-01 10:00:00\n2,8,20,2026-11-02 11:00:00\n', 'clean.orders');
    file(
      'models/model/order_f.sql',
      "/*\nkind: fact\ntime: ordered_at\n*/\nSELECT order_id, sk('model.customer_d', customer_id) AS customer_sk, amount, ordered_at FROM ref('clean.orders')\n",
    );
    file('models/model/revenue_day_d.sql', "/*\nkind: day\ntime: day\n*/\nSELECT CAST(ordered_at AS DATE) AS day, sum(amount) AS revenue, count(*) AS orders FROM ref('model.order_f') GROUP BY 1\n");
    file(
      'models/report/big_orders.ts',
      "export default {\n  inputs: ['model.order_f'],\n  schema: { order_id: 'BIGINT', label: 'VARCHAR' },\n  async build(ctx: any) {\n    const rows = await ctx.query(`SELECT order_id FROM ${ctx.ref('model.order_f')} WHERE amount >= 20 ORDER BY 1`);\n    return rows.map((r: any) => ({ order_id: Number(r.order_id), label: `big #${r.order_id}` }));\n  },\n};\n",
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should plan, build, and then find everything fresh', () => {
    const plan = json<any[]>(ade(project, '--json', 'plan'));
    assert.deepEqual(
      plan.map((p) => [p.table, p.status]),
      [
        ['model.order_f', 'stale'],
        ['model.revenue_day_d', 'stale'],
        ['report.big_orders', 'stale'],
      ],
    );
    assert.equal(plan[0].batches, 1);
    const human = ade(project, 'plan');
    assert.equal(human.code, 0);
    assert.match(human.stdout, /1 batch\(es\) of clean\.orders to process/);
    const built = json<any[]>(ade(project, '--json', '--as', 'engineer', 'run'));
    assert.deepEqual(
      built.map((r) => [r.table, r.status, r.rows]),
      [
        ['model.order_f', 'built', 2],
        ['model.revenue_day_d', 'built', 2],
        ['report.big_orders', 'built', 1],
      ],
    );
    assert.deepEqual(sql('SELECT order_id, label FROM report.big_orders'), [{ order_id: 2, label: 'big #2' }]);
    assert.deepEqual(json<any[]>(ade(project, '--json', '--as', 'engineer', 'run')).map((r) => r.status), ['fresh', 'fresh', 'fresh']);
  });

  it('should process only a new batch, and rebuild only the day late data lands on', () => {
    load('o2.csv', 'order_id,customer_id,amount,ordered_at\n3,7,5,2026-11-01 18:00:00\n4,9,1,2026-11-03 09:00:00\n', 'clean.orders');
    const plan = json<any[]>(ade(project, '--json', 'plan'));
    assert.equal(plan[0].batches, 1);
    assert.equal(plan[0].keptBatches, 1);
    const built = json<any[]>(ade(project, '--json', '--as', 'engineer', 'run', '--select', 'model.*'));
    assert.deepEqual(
      built.map((r) => [r.table, r.status, r.rows]),
      [
        ['model.order_f', 'built', 2],
        // 2026-11-01 (late order 3) and the new 2026-11-03; 2026-11-02 is kept.
        ['model.revenue_day_d', 'built', 2],
      ],
    );
    assert.deepEqual(sql("SELECT strftime(day, '%Y-%m-%d') AS day, revenue, orders FROM model.revenue_day_d ORDER BY 1"), [
      { day: '2026-11-01', revenue: 15, orders: 2 },
      { day: '2026-11-02', revenue: 20, orders: 1 },
      { day: '2026-11-03', revenue: 1, orders: 1 },
    ]);
  });

  it('should rebuild only the days in --from/--to on a full refresh, and refuse a bad day with exit 3', () => {
    const built = json<any[]>(ade(project, '--json', '--as', 'engineer', 'run', '--select', 'model.revenue_day_d', '--full-refresh', '--from', '2026-11-02', '--to', '2026-11-02'));
    assert.equal(built[0].status, 'built');
    assert.equal(built[0].rows, 1);
    const bad = ade(project, '--as', 'engineer', 'run', '--from', '2026-13-45');
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /--from "2026-13-45" is not a day/);
  });

  it('should profile a model table, --json and human', () => {
    const p = json(ade(project, '--json', 'profile', 'model.order_f'));
    assert.equal(p.rows, 4);
    const amount = p.columns.find((c: any) => c.name === 'amount');
    assert.equal(amount.min, '1');
    assert.equal(amount.max, '20');
    assert.equal(amount.nulls, 0);
    const human = ade(project, 'profile', 'model.order_f');
    assert.equal(human.code, 0);
    assert.match(human.stdout, /model\.order_f · snapshot \d+ · 4 rows/);
    assert.equal(ade(project, 'profile', 'model.order_f', '--snapshot', 'x').code, 3);
  });

  it('should fail a TypeScript model that throws with exit 1 and a hint, keeping its table', () => {
    file('models/report/big_orders.ts', "export default { inputs: ['model.order_f'], build() { throw new TypeError('no such column: label'); } };\n");
    const r = ade(project, '--as', 'engineer', 'run');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /report\.big_orders\s*│?\s*failed/);
    assert.match(r.stdout, /build\(\) threw TypeError: no such column: label/);
    assert.match(r.stdout, /hint \(report\.big_orders\)/);
    assert.deepEqual(sql('SELECT order_id, label FROM report.big_orders'), [{ order_id: 2, label: 'big #2' }]);
  });
});

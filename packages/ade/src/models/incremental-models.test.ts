import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { closeAbandonedRuns, planModels, runModels, type BuildOptions } from './build-models.js';
import { loadModels } from './load-models.js';
import { ModelLake } from '../test-support/model-lake.js';
import { surrogateKey } from './surrogate-key.js';

const engineer: Principal = { name: 'eng', role: 'engineer' };
const events = { zone: 'clean', name: 'events' };
const changes = { zone: 'clean', name: 'changes' };

describe('fact, day and current models', () => {
  let t: ModelLake;
  let lake: Lake;
  const opts: BuildOptions = { timeColumns: new Map([['clean.events', 'ts']]) };
  const model = (zone: string, name: string, text: string) => t.model(zone, name, text);
  const graph = () => t.graph();
  const rows = (sql: string) => t.rows(sql);
  const status = (rs: readonly { table: string; status: string }[]) => Object.fromEntries(rs.map((r) => [r.table, r.status]));
  /** Appends one batch of events: (id, customer, day, amount). */
  const batch = (values: [number, number, string, number][]) =>
    lake.writeSelect(engineer, {
      table: events,
      mode: 'append',
      sql: `SELECT id, customer_id, CAST(ts AS TIMESTAMP) AS ts, amount FROM (VALUES ${values.map(([i, c, d, a]) => `(${i}, ${c}, '${d} 10:00:00', ${a})`).join(', ')}) t(id, customer_id, ts, amount)`,
    });
  const change = (values: string) =>
    lake.writeSelect(engineer, { table: changes, mode: 'append', sql: `SELECT * FROM (VALUES ${values}) t(account_id, pos, op, balance)` });
  const snapshotOf = async (name: string) => (await lake.catalog.getTable({ zone: 'model', name }))?.currentSnapshotId;

  before(async () => {
    t = await ModelLake.open('ade-incr-', engineer);
    lake = t.lake;
    await batch([
      [1, 7, '2026-11-01', 5],
      [2, 8, '2026-11-01', 0],
      [3, 7, '2026-11-02', 1],
    ]);
    await change("(1, 1, 'c', 10), (2, 2, 'c', 20), (1, 3, 'u', 15)");
    await model('model', 'event_f', "/*\nkind: fact\ntime: ts\ncolumns:\n  doubled: twice the amount\n*/\nSELECT id, sk('model.customer_d', customer_id) AS customer_sk, ts, amount * 2 AS doubled FROM ref('clean.events') WHERE amount > 0\n");
    await model('model', 'revenue_day_d', "/*\nkind: day\ntime: day\n*/\nSELECT CAST(ts AS DATE) AS day, count(*) AS n, sum(doubled) AS revenue FROM ref('model.event_f') GROUP BY 1\n");
    await model(
      'model',
      'account_c',
      "/*\nkind: current\nkey: account_id\ntime: pos\n*/\nSELECT account_id, pos, op, balance FROM ref('clean.changes')\n",
    );
  });
  after(async () => {
    await t?.close();
  });

  it('fact: appends each new input batch once, with dimension keys from sk() and the batch id on its rows', async () => {
    const g = await graph();
    const built = await runModels(lake, engineer, g, { ...opts, select: ['model.event_f'] });
    assert.deepEqual(status(built), { 'model.event_f': 'built' });
    const r = await rows('SELECT id, customer_sk, doubled FROM model.event_f ORDER BY id');
    assert.deepEqual(
      r.map((x) => [x.id, x.customer_sk, x.doubled]),
      [
        [1, surrogateKey('model.customer_d', [7]), 10],
        [3, surrogateKey('model.customer_d', [7]), 2],
      ],
    );
    const again = await runModels(lake, engineer, g, { ...opts, select: ['model.event_f'] });
    assert.deepEqual(status(again), { 'model.event_f': 'fresh' });
    const schema = (await lake.catalog.pin({ zone: 'model', name: 'event_f' })).schema.columns;
    assert.equal(schema.find((c) => c.name === 'doubled')?.doc, 'twice the amount');

    await batch([[4, 9, '2026-11-02', 3]]);
    const plan = await planModels(lake, g, { ...opts, select: ['model.event_f'] });
    assert.match(plan[0]!.reasons.join('; '), /1 batch\(es\) of clean\.events to process, 1 kept/);
    const before = (await lake.catalog.pin({ zone: 'model', name: 'event_f' })).files.map((f) => f.path);
    await runModels(lake, engineer, g, { ...opts, select: ['model.event_f'] });
    const afterFiles = (await lake.catalog.pin({ zone: 'model', name: 'event_f' })).files.map((f) => f.path);
    // The first batch's files are kept: only the new batch was processed.
    for (const f of before) assert.ok(afterFiles.includes(f));
    assert.equal(afterFiles.length, before.length + 1);
    assert.deepEqual((await rows('SELECT id FROM model.event_f ORDER BY id')).map((x) => x.id), [1, 3, 4]);
    const ids = await rows('SELECT count(DISTINCT ade_batch_id) AS n FROM model.event_f');
    assert.equal(Number(ids[0]!.n), 2);

    // A batch whose rows the model filters out entirely is processed once, then fresh.
    await batch([[9, 9, '2026-11-02', 0]]);
    assert.deepEqual(status(await runModels(lake, engineer, g, { ...opts, select: ['model.event_f'] })), { 'model.event_f': 'built' });
    assert.deepEqual(status(await runModels(lake, engineer, g, { ...opts, select: ['model.event_f'] })), { 'model.event_f': 'fresh' });
    assert.deepEqual((await rows('SELECT id FROM model.event_f ORDER BY id')).map((x) => x.id), [1, 3, 4]);
  });

  it('fact: an input batch that is removed takes its output rows with it; a code change rebuilds every batch', async () => {
    const g = await graph();
    // Remove the first input batch (as a rebuild of its source would).
    const input = await lake.catalog.pin(events);
    const first = input.files[0]!.batchId!;
    await lake.catalog.commit({ table: events, operation: 'overwrite', added: [], removeBatchIds: [first], committer: 'test' });
    await runModels(lake, engineer, g, { ...opts, select: ['model.event_f'] });
    assert.deepEqual((await rows('SELECT id FROM model.event_f ORDER BY id')).map((x) => x.id), [4]);
    await model('model', 'event_f', "/*\nkind: fact\ntime: ts\n*/\nSELECT id, sk('model.customer_d', customer_id) AS customer_sk, ts, amount * 3 AS doubled FROM ref('clean.events') WHERE amount > 0\n");
    const g2 = await graph();
    const plan = await planModels(lake, g2, { ...opts, select: ['model.event_f'] });
    assert.match(plan[0]!.reasons.join('; '), /every batch is rebuilt/);
    await runModels(lake, engineer, g2, { ...opts, select: ['model.event_f'] });
    assert.deepEqual((await rows('SELECT id, doubled FROM model.event_f ORDER BY id')).map((x) => [x.id, x.doubled]), [[4, 9]]);
  });

  it('day: builds one partition per day, then only the days late data touches; a rerun is a no-op', async () => {
    const g = await graph();
    await batch([
      [5, 7, '2026-11-01', 2],
      [6, 7, '2026-11-03', 4],
    ]);
    let built = await runModels(lake, engineer, g, opts);
    assert.equal(status(built)['model.revenue_day_d'], 'built');
    const days = async () => (await rows('SELECT CAST(day AS VARCHAR) AS day, n, revenue FROM model.revenue_day_d ORDER BY day')).map((x) => [x.day, Number(x.n), x.revenue]);
    assert.deepEqual(await days(), [
      ['2026-11-01', 1, 6],
      ['2026-11-02', 1, 9],
      ['2026-11-03', 1, 12],
    ]);
    const parts = (await lake.catalog.pin({ zone: 'model', name: 'revenue_day_d' })).files.map((f) => f.partition).sort();
    assert.deepEqual(parts, ['2026-11-01', '2026-11-02', '2026-11-03']);
    const snap = await snapshotOf('revenue_day_d');
    built = await runModels(lake, engineer, g, opts);
    assert.deepEqual(status(built), { 'model.account_c': 'fresh', 'model.event_f': 'fresh', 'model.revenue_day_d': 'fresh' });
    assert.equal(await snapshotOf('revenue_day_d'), snap);

    // Late data for 2026-11-01 rebuilds that day only.
    const beforeFiles = new Map((await lake.catalog.pin({ zone: 'model', name: 'revenue_day_d' })).files.map((f) => [f.partition, f.path]));
    await batch([[7, 8, '2026-11-01', 1]]);
    const plan = await planModels(lake, await graph(), opts);
    assert.deepEqual(status(plan)['model.revenue_day_d'], 'stale');
    await runModels(lake, engineer, g, opts);
    const afterFiles = new Map((await lake.catalog.pin({ zone: 'model', name: 'revenue_day_d' })).files.map((f) => [f.partition, f.path]));
    assert.notEqual(afterFiles.get('2026-11-01'), beforeFiles.get('2026-11-01'));
    assert.equal(afterFiles.get('2026-11-02'), beforeFiles.get('2026-11-02'));
    assert.equal(afterFiles.get('2026-11-03'), beforeFiles.get('2026-11-03'));
    assert.deepEqual((await days())[0], ['2026-11-01', 2, 9]);
  });

  it('day: --from/--to limit the days considered; a missing day is detected and built', async () => {
    const g = await graph();
    // Drop the 2026-11-02 partition behind ade's back: the day is missing.
    await lake.catalog.commit({ table: { zone: 'model', name: 'revenue_day_d' }, operation: 'overwrite', added: [], removePartitions: ['2026-11-02'], committer: 'test' });
    const outside = await planModels(lake, g, { ...opts, select: ['model.revenue_day_d'], from: '2026-11-03', to: '2026-11-30' });
    assert.equal(outside[0]!.status, 'fresh');
    const inside = await planModels(lake, g, { ...opts, select: ['model.revenue_day_d'], from: '2026-11-02', to: '2026-11-02' });
    assert.deepEqual(inside[0]!.reasons, ['missing 2026-11-02']);
    await runModels(lake, engineer, g, { ...opts, select: ['model.revenue_day_d'] });
    assert.equal((await rows("SELECT count(*) AS n FROM model.revenue_day_d WHERE day = DATE '2026-11-02'"))[0]!.n, 1);
  });

  it('current: the latest change per key wins, deletes remove the key, and replaying the changes gives the same table', async () => {
    const g = await graph();
    await runModels(lake, engineer, g, { ...opts, select: ['model.account_c'] });
    const state = async () => (await rows('SELECT account_id, balance FROM model.account_c ORDER BY 1')).map((x) => [x.account_id, x.balance]);
    assert.deepEqual(await state(), [
      [1, 15],
      [2, 20],
    ]);
    // A delete, and an older update arriving late: neither resurrects nor overrides.
    await change("(2, 5, 'd', NULL), (1, 2, 'u', 99)");
    await runModels(lake, engineer, g, { ...opts, select: ['model.account_c'] });
    assert.deepEqual(await state(), [[1, 15]]);
    // Replay of the same changes: same table.
    await change("(1, 1, 'c', 10), (2, 2, 'c', 20), (1, 3, 'u', 15)");
    await runModels(lake, engineer, g, { ...opts, select: ['model.account_c'] });
    assert.deepEqual(await state(), [[1, 15]]);
  });
});

describe('abandoned model runs', () => {
  it('should mark failed a run whose process on this host died mid-build, and leave live ones alone', async () => {
    const t = await ModelLake.open('ade-abandoned-', engineer, 1);
    const lake = t.lake;
    try {
      const dead = spawnSync(process.execPath, ['-e', '']).pid!;
      const orphan = await lake.catalog.createRun({ kind: 'model', target: 'model.x', info: { host: hostname(), pid: dead } });
      await lake.catalog.updateRun(orphan.id, { state: 'running', attemptsIncrement: true });
      const live = await lake.catalog.createRun({ kind: 'model', target: 'model.y', info: { host: hostname(), pid: process.ppid } });
      await lake.catalog.updateRun(live.id, { state: 'running', attemptsIncrement: true });
      // Died just after its commit: the table holds its batch.
      const late = await lake.catalog.createRun({ kind: 'model', target: 'model.z', info: { host: hostname(), pid: dead, batch: 'b-late' } });
      await lake.catalog.updateRun(late.id, { state: 'running', attemptsIncrement: true });
      await lake.writeSelect(engineer, { table: { zone: 'model', name: 'z' }, mode: 'replace', sql: 'SELECT 1 AS x', batchId: 'b-late' });
      assert.equal(await closeAbandonedRuns(lake), 2);
      assert.equal((await lake.catalog.listRuns({ kind: 'model' })).find((r) => r.id === late.id)!.state, 'succeeded');
      const runs = new Map((await lake.catalog.listRuns({ kind: 'model' })).map((r) => [r.id, r]));
      assert.equal(runs.get(orphan.id)!.state, 'failed');
      assert.match(runs.get(orphan.id)!.error!, /abandoned/);
      assert.equal(runs.get(live.id)!.state, 'running');
    } finally {
      await t.close();
    }
  });
});

describe('TypeScript models', () => {
  let t: ModelLake;
  let lake: Lake;
  const write = (rel: string, text: string) => t.file(rel, text);
  const graph = () => t.graph();
  const rows = (sql: string) => t.rows(sql);
  const opts: BuildOptions = { timeColumns: new Map([['clean.events', 'ts']]) };

  before(async () => {
    t = await ModelLake.open('ade-tsmodels-', engineer);
    lake = t.lake;
    await lake.writeSelect(engineer, {
      table: events,
      mode: 'append',
      sql: "SELECT * FROM (VALUES (1, 'a', TIMESTAMP '2026-11-01 10:00:00'), (2, 'a', TIMESTAMP '2026-11-01 10:10:00'), (3, 'a', TIMESTAMP '2026-11-01 12:00:00'), (4, 'b', TIMESTAMP '2026-11-02 09:00:00')) t(id, visitor, ts)",
    });
    // A shared function in models/lib/, used by a day model that returns rows.
    await write(
      'models/lib/sessions.ts',
      `export function sessionize(rows: { visitor: string; ts: Date }[], gapMinutes: number) {
  const out: { visitor: string; started_at: string; events: number }[] = [];
  let last: { visitor: string; at: number; row: { visitor: string; started_at: string; events: number } } | undefined;
  for (const r of rows) {
    const at = new Date(r.ts as unknown as string).getTime();
    if (!last || last.visitor !== r.visitor || at - last.at > gapMinutes * 60_000) {
      const row = { visitor: r.visitor, started_at: new Date(at).toISOString(), events: 0 };
      out.push(row);
      last = { visitor: r.visitor, at, row };
    }
    last.row.events++;
    last.at = at;
  }
  return out;
}
`,
    );
    await write(
      'models/model/session_day_d.ts',
      `import { sessionize } from '../lib/sessions';
export default {
  kind: 'day',
  time: 'started_at',
  inputs: ['clean.events'],
  description: 'Visits: events of a visitor less than 30 minutes apart.',
  schema: { visitor: 'VARCHAR', started_at: 'TIMESTAMP', events: 'BIGINT' },
  async build(ctx: { ref(t: string): string; query(sql: string): Promise<Record<string, unknown>[]> }) {
    const rows = await ctx.query(\`SELECT visitor, CAST(ts AS VARCHAR) AS ts FROM \${ctx.ref('clean.events')} ORDER BY visitor, ts\`);
    return sessionize(rows as never, 30);
  },
};
`,
    );
    await write(
      'models/report/visits.ts',
      `export default {
  inputs: ['model.session_day_d'],
  build: (ctx: { ref(t: string): string }) => \`SELECT count(*) AS visits, sum(events) AS events FROM \${ctx.ref('model.session_day_d')}\`,
};
`,
    );
  });
  after(async () => {
    await t?.close();
  });

  it('should build a day model from rows its TypeScript returns (per day, with a shared function), and a report from the SQL it returns', async () => {
    const built = await runModels(lake, engineer, await graph(), opts);
    assert.deepEqual(
      built.map((r) => [r.table, r.status]),
      [
        ['model.session_day_d', 'built'],
        ['report.visits', 'built'],
      ],
    );
    const sessions = await rows("SELECT visitor, strftime(started_at, '%Y-%m-%d %H:%M') AS s, events FROM model.session_day_d ORDER BY 2");
    assert.deepEqual(
      sessions.map((r) => [r.visitor, r.s, Number(r.events)]),
      [
        ['a', '2026-11-01 10:00', 2],
        ['a', '2026-11-01 12:00', 1],
        ['b', '2026-11-02 09:00', 1],
      ],
    );
    assert.deepEqual((await rows('SELECT visits, events FROM report.visits')).map((r) => [Number(r.visits), Number(r.events)]), [[3, 4]]);
    const parts = (await lake.catalog.pin({ zone: 'model', name: 'session_day_d' })).files.map((f) => f.partition).sort();
    assert.deepEqual(parts, ['2026-11-01', '2026-11-02']);
    const again = await runModels(lake, engineer, await graph(), opts);
    assert.deepEqual(again.map((r) => r.status), ['fresh', 'fresh']);
  });

  it('should rebuild the models that import a shared function when it changes, and fail cleanly when build() throws', async () => {
    await write('models/lib/sessions.ts', `export function sessionize(): never { throw new RangeError('gap must be positive'); }\n`);
    const g = await graph();
    const plan = await planModels(lake, g, opts);
    assert.equal(plan[0]!.status, 'stale');
    const snapshot = (await lake.catalog.getTable({ zone: 'model', name: 'session_day_d' }))!.currentSnapshotId;
    const built = await runModels(lake, engineer, g, { ...opts, fullRefresh: true });
    assert.equal(built[0]!.status, 'failed');
    assert.match(built[0]!.error!, /session_day_d\.ts: build\(\) threw RangeError: gap must be positive/);
    assert.ok(built[0]!.hint);
    assert.equal(built[1]!.status, 'skipped');
    assert.equal((await lake.catalog.getTable({ zone: 'model', name: 'session_day_d' }))!.currentSnapshotId, snapshot);
  });

  it('should name the file and line of a TypeScript model that does not compile', async () => {
    await write('models/report/broken.ts', 'export default { inputs: [\'clean.events\'], build() { return 1 +; } };\n');
    await assert.rejects(loadModels(t.dir), (e: Error) => /broken\.ts.*does not compile/.test(e.message) && (e as { details?: { line?: number } }).details?.line === 1);
    await rm(join(t.dir, 'models/report/broken.ts'));
  });
});

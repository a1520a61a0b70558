import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DEFAULT_ENGINE_CONFIG } from '../engine/index.js';
import type { Principal } from '../kernel/index.js';
import { Lake } from '../lake/index.js';
import { ModelLake } from '../test-support/model-lake.js';
import { Scheduler, type SchedulerConfig } from './scheduler.js';

const engineer: Principal = { name: 'eng', role: 'engineer' };
const orders = { zone: 'clean', name: 'orders' };

/** A TypeScript model over clean.orders whose build waits for the test's gate, and fails while the test says so. */
const GATED_MODEL = `export default {
  kind: 'report',
  inputs: ['clean.orders'],
  async build(ctx: { ref(t: string): string }) {
    const g = globalThis as { __adeGate?: () => Promise<void>; __adeFail?: string };
    await g.__adeGate?.();
    if (g.__adeFail) throw new Error(g.__adeFail);
    return \`SELECT count(*) AS n FROM \${ctx.ref('clean.orders')}\`;
  },
};
`;

type Gate = { __adeGate?: () => Promise<void>; __adeFail?: string };

/** Waits until `ready()` holds (checked every 50 ms), failing after a generous deadline. */
async function waitFor(what: string, ready: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Scheduler', () => {
  let t: ModelLake;
  let scheduler: Scheduler | undefined;
  const errors: { e: unknown; what: string }[] = [];
  const logs: string[] = [];
  const gate = globalThis as Gate;

  const append = (...ids: number[]) =>
    t.lake.writeSelect(engineer, { table: orders, mode: 'append', sql: `SELECT * FROM (VALUES ${ids.map((id) => `(${id}, ${id * 10}.0)`).join(', ')}) v(order_id, amount)` });
  const modelRuns = async (table: string) => (await t.lake.catalog.listRuns({ kind: 'model', limit: 1000 })).filter((r) => r.target === table);
  const schedulerAudits = async () => (await t.lake.catalog.listAudit({ limit: 1000 })).filter((a) => a.action === 'models.run' && a.actor === 'scheduler');
  const start = async (config: Partial<SchedulerConfig>) => {
    scheduler = new Scheduler(t.lake, {
      projectDir: t.dir,
      schedules: [],
      sources: [],
      timeColumns: new Map(),
      onError: (e, what) => errors.push({ e, what }),
      onLog: (m) => logs.push(m),
      ...config,
    });
    await scheduler.start();
    return scheduler;
  };
  const triggers = () => scheduler!.status().triggers;

  beforeEach(async () => {
    t = await ModelLake.open('ade-schedule-', engineer);
    errors.length = 0;
    logs.length = 0;
    delete gate.__adeGate;
    delete gate.__adeFail;
    await append(1);
    await t.model('report', 'order_total', "SELECT sum(amount) AS total, count(*) AS orders FROM ref('clean.orders')\n");
    await t.model('report', 'order_label', "SELECT CASE WHEN orders > 2 THEN 'many' ELSE 'few' END AS label FROM ref('report.order_total')\n");
  });
  afterEach(async () => {
    delete gate.__adeGate;
    await scheduler?.stop();
    scheduler = undefined;
    await t.close();
  });

  it('should build the downstream models once for several quick commits, and not be triggered again by its own commits', async () => {
    // A model over a table that is not there yet is skipped, not a reason to build nothing.
    await t.model('report', 'refund_total', "SELECT count(*) AS n FROM ref('clean.refunds')\n");
    await start({ triggers: { onCommit: true, debounceMs: 1500, pollMs: 0 } });
    assert.equal(triggers().state, 'idle');
    await append(2);
    await append(3);
    await append(4);
    await waitFor('the triggered build', () => triggers().lastBuild !== null && triggers().state !== 'building');
    // Its own commits (report.order_total, then report.order_label) queued nothing.
    assert.equal(triggers().state, 'idle');
    assert.deepEqual(triggers().pending, []);
    assert.equal(triggers().lastBuild!.outcome, 'succeeded');
    assert.deepEqual(triggers().lastBuild!.models, { 'report.order_label': 'built', 'report.order_total': 'built' });
    assert.deepEqual(await t.rows('SELECT total, orders FROM report.order_total'), [{ total: 100, orders: 4 }]);
    assert.deepEqual(await t.rows('SELECT label FROM report.order_label'), [{ label: 'many' }]);
    assert.equal((await modelRuns('report.order_total')).length, 1);
    assert.equal((await modelRuns('report.order_label')).length, 1);
    assert.equal((await modelRuns('report.refund_total')).length, 0);
    const audits = await schedulerAudits();
    assert.equal(audits.length, 1);
    assert.deepEqual((audits[0]!.details as { by: string; tables: string[] }).tables, ['clean.orders']);
    assert.equal((audits[0]!.details as { by: string }).by, 'commit');
    assert.deepEqual(errors, []);
  });

  it('should queue exactly one more build for commits made while a build runs', async () => {
    await t.file('models/report/slow_count.ts', GATED_MODEL);
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    gate.__adeGate = () => opened;
    await start({ triggers: { onCommit: true, debounceMs: 200, pollMs: 0 } });
    await append(2);
    await waitFor('the gated build to start', async () => (await modelRuns('report.slow_count')).some((r) => r.state === 'running'));
    await append(3);
    await append(4);
    await append(5);
    assert.deepEqual(triggers().pending, ['clean.orders']);
    assert.equal(triggers().state, 'building');
    open();
    await waitFor('two builds', async () => (await schedulerAudits()).length === 2 && triggers().state === 'idle');
    assert.equal((await modelRuns('report.slow_count')).length, 2);
    assert.equal((await modelRuns('report.order_total')).length, 2);
    assert.deepEqual(await t.rows('SELECT n FROM report.slow_count'), [{ n: 5 }]);
    assert.deepEqual(errors, []);
  });

  it('should run a cron schedule, and skip a tick that comes while the job still runs', async () => {
    await t.file('models/report/slow_count.ts', GATED_MODEL);
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    gate.__adeGate = () => opened;
    await start({
      schedules: [{ name: 'every_second', cron: '* * * * * *', timezone: 'UTC', action: { kind: 'run', select: ['report.slow_count+'], fullRefresh: false } }],
      triggers: { onCommit: false, debounceMs: 0, pollMs: 0 },
    });
    const job = () => scheduler!.status().schedules[0]!;
    assert.match(job().nextRun!, /^\d{4}-\d\d-\d\dT/);
    await waitFor('a skipped tick', () => job().running && job().skippedTicks >= 1);
    assert.equal(job().lastRun!.outcome, 'running');
    assert.ok(logs.some((m) => /schedule every_second: still running at its next tick; the tick is skipped/.test(m)), logs.join('\n'));
    open();
    await waitFor('the scheduled build', () => job().lastRun?.outcome === 'succeeded');
    assert.deepEqual(job().lastRun!.models, { 'report.slow_count': 'built' });
    // Later ticks find it fresh: one run, whatever the number of ticks.
    assert.equal((await modelRuns('report.slow_count')).length, 1);
    assert.equal((await modelRuns('report.order_total')).length, 0, 'only the selected models');
    const audits = await schedulerAudits();
    assert.equal(audits.length, 1);
    assert.deepEqual(audits[0]!.details.schedule, 'every_second');
    assert.deepEqual(scheduler!.status().triggers.state, 'off');
    assert.deepEqual(errors, []);
  });

  it('should log a failing build and build again on the next commit', async () => {
    await t.file('models/report/slow_count.ts', GATED_MODEL);
    gate.__adeFail = 'the model broke';
    await start({ triggers: { onCommit: true, debounceMs: 200, pollMs: 0 } });
    await append(2);
    await waitFor('the failed build', () => triggers().lastBuild !== null && triggers().state === 'idle');
    assert.equal(triggers().lastBuild!.outcome, 'failed');
    assert.match(triggers().lastBuild!.error!, /report\.slow_count: .*the model broke/);
    assert.equal(errors.length, 1);
    assert.equal((errors[0]!.e as { code?: string }).code, 'schedule.build_failed');
    assert.equal((await modelRuns('report.slow_count'))[0]!.state, 'failed');
    // The other models still built.
    assert.deepEqual(await t.rows('SELECT orders FROM report.order_total'), [{ orders: 2 }]);

    delete gate.__adeFail;
    await append(3);
    await waitFor('the next build', () => triggers().lastBuild?.outcome === 'succeeded' && triggers().state === 'idle');
    assert.deepEqual(await t.rows('SELECT n FROM report.slow_count'), [{ n: 3 }]);
    assert.equal(errors.length, 1);
  });

  it("should find other processes' commits by polling the catalog", async () => {
    await start({ triggers: { onCommit: true, debounceMs: 100, pollMs: 200 } });
    // A second lake over the same files and catalog: its commits do not reach this lake's listeners, as another process's.
    const other = await Lake.open({
      storage: { kind: 'local', root: join(t.dir, 'lake') },
      catalog: { kind: 'sqlite', path: join(t.dir, 'catalog.db') },
      engine: { ...DEFAULT_ENGINE_CONFIG, threads: 1, tempDir: join(t.dir, 'tmp-other') },
    });
    try {
      await other.writeSelect(engineer, { table: orders, mode: 'append', sql: 'SELECT 2 AS order_id, 20.0 AS amount' });
    } finally {
      await other.close();
    }
    await waitFor('the build after the polled commit', () => triggers().lastBuild?.outcome === 'succeeded' && triggers().state === 'idle');
    assert.deepEqual(await t.rows('SELECT total, orders FROM report.order_total'), [{ total: 30, orders: 2 }]);
    assert.equal((await modelRuns('report.order_total')).length, 1);
  });
});

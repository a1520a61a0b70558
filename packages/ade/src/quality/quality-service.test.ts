import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CatalogConfig, CheckResult } from '../catalog/index.js';
import type { Clock, Principal, TableRef } from '../kernel/index.js';
import { WriteBlockedError, type Lake, type WritePart } from '../lake/index.js';
import { openTempLake } from '../test-support/temp-lake.js';
import { freshPostgresDatabase, PG_ADMIN_URL, postgresAvailable } from '../test-support/postgres.js';
import type { AlertNotice, SinkConfig } from './alert-sinks.js';
import { parseChecksSection, type CheckFail } from './parse-checks.js';
import type { DayProfile, TableProfile } from './profile-table.js';
import { QualityService, type QualityConfig } from './quality-service.js';
import { rollupProfiles } from './rollup-profiles.js';

const engineer: Principal = { name: 't', role: 'engineer' };
const ORDERS: TableRef = { zone: 'clean', name: 'orders' };
const FRESH: TableRef = { zone: 'clean', name: 'fresh' };
const BROKEN: TableRef = { zone: 'clean', name: 'broken' };
const EVENTS: TableRef = { zone: 'clean', name: 'events' };

const failParse: CheckFail = (path, message) => {
  throw new Error(`${path.join('.')}: ${message}`);
};
const CHECKS = parseChecksSection(
  {
    'clean.orders': [
      { not_null: 'order_id' },
      { range: { column: 'amount', min: 0 } },
      { accepted_values: { column: 'channel', values: ['web', 'app'] }, severity: 'warn' },
      { anomaly: { by: 'batch' } },
    ],
    'clean.fresh': [{ not_null: 'id' }],
    'clean.broken': [{ sql: 'SELECT * FROM clean.broken WHERE amount >', severity: 'warn' }],
  },
  failParse,
);
const RANGE = 'clean.orders/range(amount)';
const ACCEPTED = 'clean.orders/accepted_values(channel)';
const ANOMALY = 'clean.orders/anomaly(rows by batch)';

/** The system clock, moved forward by `skew` ms when a test needs a retry to come due. */
class SkewedClock implements Clock {
  skew = 0;
  now(): Date {
    return new Date(Date.now() + this.skew);
  }
}

/** A webhook receiver on 127.0.0.1 that records requests and answers with `status`. */
class Receiver {
  readonly requests: { key: string; body: Record<string, unknown> }[] = [];
  status = 200;
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<Receiver> {
    const server = createServer();
    const r = new Receiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        r.requests.push({ key: String(req.headers['idempotency-key']), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        res.statusCode = r.status;
        res.end(r.status < 300 ? 'ok' : 'receiver is down');
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((ok) => this.#server.close(() => ok()));
  }
}

const pgUp = await postgresAvailable();
const backends: { name: 'sqlite' | 'postgres'; skip: string | false }[] = [
  { name: 'sqlite', skip: false },
  { name: 'postgres', skip: pgUp ? false : `no Postgres server at ${PG_ADMIN_URL} (set ADE_TEST_PG_URL, or CI=true to make this a failure)` },
];

for (const backend of backends) {
  describe(`QualityService on a ${backend.name} catalog`, { skip: backend.skip }, () => {
    let dir: string;
    let drop: (() => Promise<void>) | undefined;
    let lake: Lake;
    let service: QualityService;
    let receiver: Receiver;
    const clock = new SkewedClock();
    const warnings: string[] = [];
    // Sink h takes every notice; sink e only those of error checks. Neither answers (port 9).
    const sinks: SinkConfig[] = [
      { name: 'h', kind: 'webhook', url: 'http://127.0.0.1:9/x' },
      { name: 'e', kind: 'webhook', url: 'http://127.0.0.1:9/x', minSeverity: 'error' },
    ];
    const config: QualityConfig = {
      project: 'shop',
      checks: CHECKS,
      timeColumns: new Map([['clean.events', 'ts']]),
      sinks,
      profileOnCommit: true,
      delivery: { attempts: 1, timeoutMs: 500, baseDelayMs: 1, maxDelayMs: 1 },
      onWarning: (m) => warnings.push(m),
    };

    before(async () => {
      ({ dir, lake } = await openTempLake(`ade-quality-${backend.name}-`, {
        threads: 2,
        clock,
        catalog: async (folder): Promise<CatalogConfig> => {
          if (backend.name !== 'postgres') return { kind: 'sqlite', path: join(folder, 'catalog.db') };
          const db = await freshPostgresDatabase('adequality');
          drop = db.drop;
          return { kind: 'postgres', url: db.url, poolSize: 4 };
        },
      }));
      service = new QualityService(lake, config).install();
      receiver = await Receiver.start();
    });
    after(async () => {
      await service?.drain();
      await lake?.close();
      await receiver?.close();
      await drop?.();
      await rm(dir, { recursive: true, force: true });
    });

    // ---- helpers ----

    let nextId = 1;
    /** n orders with fresh ids; amounts and channels valid unless overridden (SQL over i). */
    const orders = (n: number, opts: { amount?: string; channel?: string } = {}): string => {
      const from = nextId;
      nextId += n;
      return `SELECT i AS order_id, CAST(${opts.amount ?? 'i * 1.5'} AS DOUBLE) AS amount,
                ${opts.channel ?? `CASE WHEN i % 2 = 0 THEN 'web' ELSE 'app' END`} AS channel
              FROM range(${from}, ${from + n}) t(i)`;
    };
    const write = (sql: string, table: TableRef = ORDERS) => lake.writeSelect(engineer, { table, mode: 'append', sql });
    const blocked = async (sql: string, table: TableRef = ORDERS): Promise<WriteBlockedError> => {
      const e = await write(sql, table).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(e instanceof WriteBlockedError, `expected the write to be blocked, got ${String(e)}`);
      assert.equal(e.code, 'quality.blocked');
      return e;
    };
    const rowsOf = async (ref: TableRef, snapshotId?: number) =>
      (await lake.catalog.pin(ref, snapshotId !== undefined ? { snapshotId } : undefined)).files.reduce((s, f) => s + f.rows, 0);
    const resultsOf = async (where: (r: CheckResult) => boolean) => (await lake.catalog.listCheckResults({ limit: 1000 })).filter(where);
    const openAlert = async (checkId: string) => (await lake.catalog.listAlerts({ state: 'open' })).filter((a) => a.checkId === checkId);
    const noticesOf = async (alertId: string) => (await lake.catalog.listNotices({ limit: 1000 })).filter((n) => n.alertId === alertId);

    // ---- write-audit-publish ----

    it('should publish a batch that passes its checks and record every result with the snapshot', async () => {
      const w = await write(orders(10));
      const latest = await lake.catalog.listCheckResults({ table: 'clean.orders', latest: true });
      assert.deepEqual(
        latest.map((r) => `${r.check} ${r.severity} ${r.status}`).sort(),
        [
          'accepted_values(channel) warn pass',
          'anomaly(rows by batch) warn skipped', // no earlier commit to learn from
          'not_null(order_id) error pass',
          'range(amount) error pass',
        ],
      );
      for (const r of latest) {
        assert.equal(r.snapshotId, w.snapshot.id);
        assert.equal(r.batchId, w.batchId);
        assert.equal(r.stagedId, undefined);
      }
      assert.match(latest.find((r) => r.checkId === RANGE)!.message, /all 10 added rows pass/);
      assert.equal(service.auditedResults.length, 4);
      assert.deepEqual(await lake.catalog.listAlerts(), []);
      assert.deepEqual(await lake.catalog.listNotices(), []);
    });

    it('should block a batch an error check fails: the table keeps its snapshot, the write is kept staged, one alert opens', async () => {
      const table = await lake.catalog.getTable(ORDERS);
      const rows = await rowsOf(ORDERS);
      // Two of ten amounts are negative.
      const e = await blocked(orders(10, { amount: 'CASE WHEN i % 5 = 0 THEN -1 ELSE i END' }));
      assert.match(e.message, /range\(amount\): 2 of 10 added rows have amount outside 0 … ∞/);
      assert.equal((await lake.catalog.getTable(ORDERS))!.currentSnapshotId, table!.currentSnapshotId);
      assert.equal(await rowsOf(ORDERS), rows);

      // The blocked write is a staged snapshot whose files GC keeps.
      const staged = (await lake.catalog.listStagedSnapshots()).find((s) => s.id === e.stagedId);
      assert.ok(staged, 'the blocked write is listed as staged');
      assert.equal(staged.table, 'clean.orders');
      assert.equal(staged.state, 'blocked');
      assert.equal(staged.baseSnapshotId, table!.currentSnapshotId);
      assert.match(staged.reason, /range\(amount\)/);
      assert.ok(staged.files.length > 0);
      assert.equal(staged.files.reduce((s, f) => s + f.rows, 0), 10);
      const kept = await lake.catalog.protectedPaths({ stagedNewerThan: new Date(clock.now().getTime() + 86_400_000) });
      for (const f of staged.files) {
        assert.ok(kept.has(f.path), `${f.path} is protected from GC`);
        assert.ok(await lake.store.stat(f.path), `${f.path} is still stored`);
      }

      // Every check of the write has a result pointing at the staged snapshot.
      const results = await resultsOf((r) => r.stagedId === e.stagedId);
      assert.equal(results.length, 4);
      assert.ok(results.every((r) => r.snapshotId === undefined));
      const range = results.find((r) => r.checkId === RANGE)!;
      assert.equal(range.status, 'fail');
      assert.equal(range.failing, 2);
      assert.deepEqual(
        range.sample!.map((row) => (row as { amount: number }).amount),
        [-1, -1],
      );
      assert.equal(results.find((r) => r.checkId === 'clean.orders/not_null(order_id)')!.status, 'pass');

      // One open alert for the failing error check, with a notice queued for each sink that takes it.
      const [alert, ...more] = await openAlert(RANGE);
      assert.ok(alert);
      assert.deepEqual(more, []);
      assert.equal(alert.openResultId, range.id);
      const notices = await noticesOf(alert.id);
      assert.deepEqual(notices.map((n) => n.sink).sort(), ['e', 'h']);
      for (const n of notices) {
        const notice = n.notice as AlertNotice;
        assert.equal(n.state, 'pending');
        assert.equal(n.attempts, 0);
        assert.equal(notice.kind, 'open');
        assert.equal(notice.checkId, RANGE);
        assert.equal(notice.stagedId, e.stagedId);
        assert.equal(notice.project, 'shop');
      }
    });

    it('should not alert again while the check keeps failing, and recover once it passes', async () => {
      const [alert] = await openAlert(RANGE);
      const second = await blocked(orders(10, { amount: 'CASE WHEN i % 2 = 0 THEN -5 ELSE i END' }));
      assert.notEqual(second.stagedId, undefined);
      assert.equal((await lake.catalog.listStagedSnapshots({ table: 'clean.orders' })).length, 2);
      assert.deepEqual(
        (await openAlert(RANGE)).map((a) => a.id),
        [alert!.id],
      );
      assert.equal((await noticesOf(alert!.id)).length, 2, 'no second notice for a check that is still failing');
      assert.equal((await resultsOf((r) => r.stagedId === second.stagedId && r.checkId === RANGE))[0]!.failing, 5);

      const w = await write(orders(10));
      assert.deepEqual(await openAlert(RANGE), []);
      const closed = (await lake.catalog.listAlerts()).find((a) => a.id === alert!.id)!;
      assert.equal(closed.state, 'closed');
      const passing = (await resultsOf((r) => r.checkId === RANGE && r.snapshotId === w.snapshot.id))[0]!;
      assert.equal(closed.closeResultId, passing.id);
      assert.equal(service.auditedResults.find((r) => r.id === passing.id)!.alert, 'recovered');
      const recovered = (await noticesOf(alert!.id)).filter((n) => (n.notice as AlertNotice).kind === 'recovered');
      assert.deepEqual(recovered.map((n) => n.sink).sort(), ['e', 'h'], 'exactly one recovery notice per sink');
      assert.ok(recovered.every((n) => (n.notice as AlertNotice).status === 'pass' && (n.notice as AlertNotice).snapshotId === w.snapshot.id));
    });

    it('should not create a table whose first write is blocked', async () => {
      const e = await blocked('SELECT CAST(CASE WHEN i = 2 THEN NULL ELSE i END AS BIGINT) AS id FROM range(3) t(i)', FRESH);
      assert.equal(await lake.catalog.getTable(FRESH), undefined);
      assert.ok(!(await lake.tables(engineer)).some((t) => t.name === 'fresh'));
      const [staged] = await lake.catalog.listStagedSnapshots({ table: 'clean.fresh' });
      assert.equal(staged!.id, e.stagedId);
      assert.equal(staged!.baseSnapshotId, undefined);
      // A good first write creates it.
      const w = await write('SELECT i AS id FROM range(3) t(i)', FRESH);
      assert.equal((await lake.catalog.getTable(FRESH))!.currentSnapshotId, w.snapshot.id);
    });

    it('should publish a batch only warn checks fail, and alert only the sinks that take warnings', async () => {
      const before = (await lake.catalog.getTable(ORDERS))!.currentSnapshotId;
      const w = await write(orders(10, { channel: `CASE WHEN i % 2 = 0 THEN 'fax' ELSE 'web' END` }));
      assert.notEqual(w.snapshot.id, before);
      const [result] = await resultsOf((r) => r.checkId === ACCEPTED && r.snapshotId === w.snapshot.id);
      assert.equal(result!.status, 'fail');
      assert.equal(result!.severity, 'warn');
      assert.equal(result!.failing, 5);
      const [alert] = await openAlert(ACCEPTED);
      assert.ok(alert);
      assert.deepEqual(
        (await noticesOf(alert.id)).map((n) => n.sink),
        ['h'],
      );
    });

    it('should flag a batch far larger than the earlier ones (anomaly by batch) without blocking it', async () => {
      // Three earlier commits of 10 rows each; this one writes 200.
      const w = await write(orders(200));
      const [anomaly] = await resultsOf((r) => r.checkId === ANOMALY && r.snapshotId === w.snapshot.id);
      assert.equal(anomaly!.status, 'fail');
      assert.match(anomaly!.message, /rows written 200/);
      assert.deepEqual((anomaly!.observed as { value: number }).value, 200);
      assert.equal((anomaly!.expected as { value: number; training: number }).value, 10);
      assert.equal((anomaly!.expected as { value: number; training: number }).training, 3);
      assert.equal((await openAlert(ANOMALY)).length, 1);
    });

    it('should record a check that cannot run as error, and not block on a warn check', async () => {
      const w = await write('SELECT 1 AS amount', BROKEN);
      const [r] = await resultsOf((x) => x.table === 'clean.broken');
      assert.equal(r!.status, 'error');
      assert.equal(r!.severity, 'warn');
      assert.equal(r!.snapshotId, w.snapshot.id);
      assert.match(r!.message, /the check could not run/);
      assert.equal((await lake.catalog.getTable(BROKEN))!.currentSnapshotId, w.snapshot.id);
    });

    // ---- profiles on commit ----

    it('should profile every commit once, with its rows', async () => {
      await service.drain();
      for (const ref of [ORDERS, FRESH, BROKEN]) {
        const name = `${ref.zone}.${ref.name}`;
        const profiles = await lake.catalog.listProfiles(name, { scope: 'table' });
        const snapshots = await lake.catalog.history(ref);
        assert.deepEqual(
          profiles.map((p) => p.snapshotId).sort((a, b) => a - b),
          snapshots.map((s) => s.id).sort((a, b) => a - b),
          name,
        );
        for (const p of profiles) {
          assert.equal(p.rows, await rowsOf(ref, p.snapshotId));
          assert.equal((p.profile as TableProfile).rows, p.rows);
        }
      }
      // 10 + 10 + 10 + 200 rows published; the blocked 20 never were.
      assert.equal((await lake.catalog.listProfiles('clean.orders', { scope: 'table', limit: 1 }))[0]!.rows, 230);
      assert.deepEqual(warnings, []);
    });

    it('should profile the days a day-partitioned write touched, and roll them up to the table', async () => {
      let attempt = 0;
      /** One part per day: n rows an hour apart, v = first + 0 … n-1. */
      const day = (d: string, n: number, first: number): WritePart => ({
        sql: `SELECT CAST(${first} + i AS DOUBLE) AS v, TIMESTAMP '${d} 00:00:00' + to_hours(i) AS ts FROM range(${n}) t(i)`,
        tables: [],
        partition: d,
      });
      const writeDays = (parts: WritePart[]) => {
        attempt++;
        return lake.writeParts(engineer, { table: EVENTS, mode: 'append', parts, batchId: `days-${attempt}`, filePrefix: `days-${attempt}` });
      };
      const first = await writeDays([day('2026-11-28', 3, 0), day('2026-11-29', 5, 100), day('2026-11-30', 4, 10)]);
      const second = await writeDays([day('2026-12-01', 6, 1), day('2026-11-30', 2, 50)]);
      await service.drain();

      const scopes = async (snapshotId: number) =>
        (await lake.catalog.listProfiles('clean.events', { snapshotId, scopePrefix: 'day:' })).map((p) => `${p.scope} ${p.rows}`).sort();
      assert.deepEqual(await scopes(first.snapshot.id), ['day:2026-11-28 3', 'day:2026-11-29 5', 'day:2026-11-30 4']);
      // The second commit wrote two days: only those are profiled again, each as it stands after the commit.
      assert.deepEqual(await scopes(second.snapshot.id), ['day:2026-11-30 6', 'day:2026-12-01 6']);

      const now = await lake.catalog.listProfiles('clean.events', { scopePrefix: 'day:', latestPerScope: true });
      const days = now.map((p) => p.profile as DayProfile);
      assert.deepEqual(days.map((d) => d.day).sort(), ['2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01']);
      const nov30 = days.find((d) => d.day === '2026-11-30')!.columns.find((c) => c.name === 'v')!;
      assert.equal(nov30.mean, (10 + 11 + 12 + 13 + 50 + 51) / 6);
      assert.equal(nov30.min, '10.0');

      const weeks = rollupProfiles(days, 'week');
      assert.deepEqual(
        weeks.map((w) => [w.period, w.rows]),
        [
          ['2026-W48', 8],
          ['2026-W49', 12],
        ],
      );
      const total = await rowsOf(EVENTS);
      assert.equal(total, 20);
      assert.equal(
        weeks.reduce((s, w) => s + w.rows, 0),
        total,
      );
      const tableProfile = (await lake.catalog.listProfiles('clean.events', { snapshotId: second.snapshot.id, scope: 'table' }))[0]!.profile as TableProfile;
      const v = tableProfile.columns.find((c) => c.name === 'v')!;
      const pooled = weeks.flatMap((w) => w.columns.filter((c) => c.name === 'v'));
      const mean = pooled.reduce((s, c, i) => s + c.mean! * weeks[i]!.rows, 0) / total;
      assert.ok(Math.abs(mean - v.mean!) < 1e-9, `rolled-up mean ${mean} vs the table's ${v.mean}`);
    });

    // ---- delivery through the outbox ----

    it('should keep notices a sink did not take for a later retry, deliver them once, and retry a 500', async () => {
      const pending = await lake.catalog.listNotices({ state: 'pending', limit: 1000 });
      assert.ok(pending.length >= 6, `notices are waiting (${pending.length})`);

      // Nothing listens on port 9: every notice stays pending, due again later.
      const refused = await service.deliver();
      assert.deepEqual(refused, { delivered: 0, retrying: pending.length, failed: 0 });
      for (const n of await lake.catalog.listNotices({ limit: 1000 })) {
        assert.equal(n.state, 'pending');
        assert.equal(n.attempts, 1);
        assert.ok(n.nextAttemptAt > clock.now(), 'the retry is due later');
        assert.ok(n.lastError);
      }
      assert.deepEqual(await service.deliver(), { delivered: 0, retrying: 0, failed: 0 }, 'nothing is due yet');

      // The sinks are fixed (pointed at a receiver that answers); once the retry is due, each notice arrives once.
      const fixed = new QualityService(lake, { ...config, sinks: sinks.map((s) => ({ ...s, url: receiver.url })) });
      clock.skew += 5 * 60_000;
      assert.deepEqual(await fixed.deliver(), { delivered: pending.length, retrying: 0, failed: 0 });
      assert.equal(receiver.requests.length, pending.length);
      assert.deepEqual(
        receiver.requests.map((r) => r.key).sort(),
        pending.map((n) => (n.notice as AlertNotice).id).sort(),
      );
      assert.ok(receiver.requests.every((r) => r.body.type === 'ade.alert' && r.body.project === 'shop'));
      for (const n of await lake.catalog.listNotices({ limit: 1000 })) {
        assert.equal(n.state, 'delivered');
        assert.equal(n.attempts, 2);
        assert.ok(n.deliveredAt);
        assert.equal(n.lastError, undefined);
      }
      assert.deepEqual(await fixed.deliver(), { delivered: 0, retrying: 0, failed: 0 });
      assert.equal(receiver.requests.length, pending.length, 'a delivered notice is not sent again');

      // A receiver answering 500: the new alert's notices stay pending with a later attempt.
      receiver.status = 500;
      const e = await blocked(orders(10, { amount: '-1' }));
      const [alert] = await openAlert(RANGE);
      assert.equal((await noticesOf(alert!.id)).length, 2);
      // (The same batch may also have moved other alerts: every due notice is tried.)
      const due = await lake.catalog.listNotices({ state: 'pending', limit: 1000 });
      const sent = receiver.requests.length;
      assert.deepEqual(await fixed.deliver(), { delivered: 0, retrying: due.length, failed: 0 });
      assert.equal(receiver.requests.length, sent + due.length, 'one try each (attempts: 1)');
      for (const n of await noticesOf(alert!.id)) {
        assert.equal(n.state, 'pending');
        assert.equal(n.attempts, 1);
        assert.match(n.lastError ?? '', /HTTP 500/);
        assert.ok(n.nextAttemptAt.getTime() >= clock.now().getTime() + 20_000, 'backed off');
        assert.equal((n.notice as AlertNotice).stagedId, e.stagedId);
      }
      assert.deepEqual(await fixed.deliver(), { delivered: 0, retrying: 0, failed: 0 });
      assert.equal(receiver.requests.length, sent + due.length);
    });
  });
}

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ENGINE_CONFIG } from '../engine/index.js';
import { fixedClock, PermissionError, type Principal } from '../kernel/index.js';
import type { ObjectStoreConfig } from '../storage/index.js';
import { startS3rver, type LocalS3 } from '../test-support/s3rver.js';
import { collectGarbage, Lake, loadFile, LoadError, mentionsTable, verifyLake } from './index.js';

const engineer: Principal = { name: 'eng', role: 'engineer' };
const analyst: Principal = { name: 'ana', role: 'analyst' };
const orders = { zone: 'clean', name: 'orders' };

async function count(lake: Lake, sql: string, who: Principal = analyst): Promise<number> {
  const s = await lake.session(who);
  try {
    return Number((await s.query(sql)).rows[0]!.n);
  } finally {
    await s.close();
  }
}

async function allObjects(lake: Lake): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of lake.store.list('')) keys.push(o.key);
  return keys;
}

describe('mentionsTable', () => {
  it('should find zone.table written plainly, quoted, spaced or in any case', () => {
    for (const sql of ['select * from clean.orders', 'SELECT 1 FROM "clean"."orders"', 'from CLEAN . ORDERS o', 'join clean.orders)']) {
      assert.ok(mentionsTable(sql, 'clean', 'orders'), sql);
    }
  });
  it('should not match longer names or other zones', () => {
    for (const sql of ['select * from clean.orders_v2', 'select * from model.orders', 'select * from myclean.orders']) {
      assert.ok(!mentionsTable(sql, 'clean', 'orders'), sql);
    }
  });
});

describe('Lake', () => {
  let temp: string;
  let s3: LocalS3;
  before(async () => {
    temp = await mkdtemp(join(tmpdir(), 'ade-lake-test-'));
    s3 = await startS3rver(temp);
  });
  after(async () => {
    await s3?.close();
    await rm(temp, { recursive: true, force: true });
  });

  let n = 0;
  const stores: { name: string; config: () => ObjectStoreConfig }[] = [
    { name: 'local', config: () => ({ kind: 'local', root: join(temp, `lake-${++n}`) }) },
    { name: 's3', config: () => s3.settings(join(temp, `cache-${++n}`)) },
  ];

  for (const store of stores) {
    describe(`on ${store.name} storage`, () => {
      const start = Date.now() + 1000;
      const clock = fixedClock(start);
      let lake: Lake;
      before(async () => {
        const dir = join(temp, `p-${++n}`);
        lake = await Lake.open({
          storage: store.config(),
          catalog: { kind: 'sqlite', path: join(dir, 'catalog.db') },
          engine: { ...DEFAULT_ENGINE_CONFIG, tempDir: join(dir, 'tmp') },
          clock,
        });
      });
      after(async () => lake?.close());

      it('should write a SELECT as Parquet in one commit and read it back through a session', async () => {
        const r = await lake.writeSelect(engineer, { table: orders, sql: 'SELECT range AS id, range * 1.5::DOUBLE AS amount FROM range(1000)', mode: 'replace' });
        assert.equal(r.rows, 1000);
        assert.equal(await count(lake, 'SELECT count(*) AS n FROM clean.orders'), 1000);
        const files = await lake.catalog.files(orders);
        assert.equal(files.length, 1);
        assert.match(files[0]!.path, /^clean\/orders\/data\/_\/.+-0\.parquet$/);
        assert.deepEqual(files[0]!.columnStats.id, { min: 0, max: 999, nulls: 0 });
      });

      it('should cast appends to the table types and add new columns as a new schema version', async () => {
        clock.advance(60_000);
        const r = await lake.writeSelect(engineer, { table: orders, sql: "SELECT 1000::INTEGER AS id, '2.5' AS amount_text, 7.0 AS amount", mode: 'append' });
        assert.deepEqual(r.addedColumns, ['amount_text']);
        const pinned = await lake.catalog.pin(orders);
        assert.deepEqual(pinned.schema.columns.map((c) => [c.id, c.name, c.type]), [
          [1, 'id', 'BIGINT'],
          [2, 'amount', 'DOUBLE'],
          [3, 'amount_text', 'VARCHAR'],
        ]);
        assert.equal(await count(lake, 'SELECT count(*) AS n FROM clean.orders WHERE amount_text IS NULL'), 1000);
      });

      it('should bind only the tables a query names when asked', async () => {
        await lake.writeSelect(engineer, { table: { zone: 'clean', name: 'other' }, sql: 'SELECT 1 AS x', mode: 'replace' });
        const s = await lake.session(analyst, { forSql: 'SELECT count(*) AS n FROM clean.orders' });
        try {
          assert.equal(Number((await s.query('SELECT count(*) AS n FROM clean.orders')).rows[0]!.n), 1001);
          await assert.rejects(s.query('SELECT * FROM clean.other'), /does not exist/);
        } finally {
          await s.close();
        }
      });

      it('should time-travel by timestamp and by snapshot id', async () => {
        const history = await lake.catalog.history(orders);
        const s = await lake.session(analyst, { asOf: new Date(start + 30_000) });
        try {
          assert.equal(Number((await s.query('SELECT count(*) AS n FROM clean.orders')).rows[0]!.n), 1000);
        } finally {
          await s.close();
        }
        const t = await lake.session(analyst, { snapshots: { 'clean.orders': history.at(-1)!.id } });
        try {
          assert.equal(Number((await t.query('SELECT count(*) AS n FROM clean.orders')).rows[0]!.n), 1000);
        } finally {
          await t.close();
        }
      });

      it('should leave the table and the store untouched when a write fails', async () => {
        const before = await lake.catalog.history(orders);
        const objects = await allObjects(lake);
        await assert.rejects(lake.writeSelect(engineer, { table: orders, sql: "SELECT 'not a number'::VARCHAR AS id", mode: 'append' }));
        assert.deepEqual(await lake.catalog.history(orders), before);
        assert.deepEqual(await allObjects(lake), objects);
        await assert.rejects(lake.writeSelect(engineer, { table: { zone: 'clean', name: 'never' }, sql: 'SELECT error(\'boom\') AS x', mode: 'replace' }));
        assert.equal(await lake.catalog.getTable({ zone: 'clean', name: 'never' }), undefined);
      });

      it('should refuse writes and reads beyond the role', async () => {
        await assert.rejects(lake.writeSelect(analyst, { table: { zone: 'clean', name: 'x' }, sql: 'SELECT 1 AS a', mode: 'replace' }), PermissionError);
        await lake.writeSelect(engineer, { table: { zone: 'raw', name: 'secrets' }, sql: "SELECT 'a@b.c' AS email", mode: 'replace' });
        const s = await lake.session(analyst);
        try {
          await assert.rejects(s.query('SELECT * FROM raw.secrets'));
        } finally {
          await s.close();
        }
        assert.equal(await count(lake, 'SELECT count(*) AS n FROM raw.secrets', engineer), 1);
      });

      it('should load files and reject malformed ones with file and line, committing nothing', async () => {
        const csv = join(temp, `ok-${store.name}.csv`);
        await writeFile(csv, 'a,b\n1,x\n2,y\n');
        const r = await loadFile(lake, engineer, { file: csv, table: { zone: 'clean', name: 'loaded' }, mode: 'replace' });
        assert.equal(r.rows, 2);
        const bad = join(temp, `bad-${store.name}.json`);
        await writeFile(bad, '[\n{"a": 1},\n{"a": }\n]\n');
        const err = await loadFile(lake, engineer, { file: bad, table: { zone: 'clean', name: 'loaded' }, mode: 'append' }).catch((e) => e);
        assert.ok(err instanceof LoadError, String(err));
        assert.equal(err.details.line, 3);
        assert.equal(await count(lake, 'SELECT count(*) AS n FROM clean.loaded'), 2);
        // Both loads are runs in the ledger, with their outcome.
        const ok = await lake.catalog.getRun(r.runId);
        assert.equal(ok?.state, 'succeeded');
        assert.equal(ok?.info.rows, 2);
        const [failed] = await lake.catalog.listRuns({ kind: 'load', limit: 1 });
        assert.equal(failed?.state, 'failed');
        assert.match(failed?.error ?? '', /line 3/);
      });

      it('should garbage-collect replaced files but never files of retained snapshots or staged ones', async () => {
        clock.advance(60_000);
        await lake.writeSelect(engineer, { table: orders, sql: 'SELECT 1 AS id, 1.0::DOUBLE AS amount', mode: 'replace' });
        const staged = 'clean/orders/data/_/in-flight-0.parquet';
        await lake.catalog.registerStaged([staged]);
        await lake.store.put(staged, 'not yet committed');
        const orphan = 'clean/orders/data/_/abandoned-0.parquet';
        await lake.store.put(orphan, 'left by a crashed writer');
        // Retention keeps everything: nothing referenced goes.
        const kept = await collectGarbage(lake, { retentionMs: 365 * 86_400_000, graceMs: 0 });
        assert.equal(kept.deletedFiles, 0);
        assert.ok(await lake.store.stat(staged), 'a staged file survives gc');
        assert.equal(await lake.store.stat(orphan), undefined, 'an abandoned orphan past the grace is removed');
        clock.advance(86_400_000);
        const report = await collectGarbage(lake, { retentionMs: 0, graceMs: 0 });
        assert.ok(report.expiredSnapshots >= 2);
        assert.equal(report.deletedFiles, 2);
        assert.equal(await lake.store.stat(staged), undefined, 'a stage older than the stage timeout counts as abandoned');
        assert.equal(await count(lake, 'SELECT count(*) AS n FROM clean.orders'), 1);
        assert.deepEqual((await verifyLake(lake, { readFiles: true })).problems, []);
      });
    });
  }
});

// One suite, run against every backend: SQLite in a temp dir and Postgres in
// fresh databases of their own (skipped, saying so, only when no server answers
// and CI is not 'true').
import { MIGRATIONS } from './migrations.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { AdeError, NotFoundError, ValidationError, fixedClock, type Clock, type TableRef } from '../kernel/index.js';
import { freshPostgresDatabase, postgresAvailable, PG_ADMIN_URL } from '../test-support/postgres.js';
import {
  CatalogError,
  CommitConflictError,
  openCatalog,
  type CatalogConfig,
  type CatalogStore,
  type DataFileInput,
  type SqliteCatalogConfig,
} from './index.js';
import { openCatalogDriver } from './open-catalog.js';

interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** Config of a fresh, empty catalog (cleaned up after the run). */
  fresh(): Promise<CatalogConfig>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'ade-catalog-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return { name: 'sqlite', fresh: async () => ({ kind: 'sqlite', path: join(dir, `catalog-${++n}`, 'catalog.db') }) };
}

function postgresBackend(): Backend {
  const drops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const drop of drops) await drop();
  });
  return {
    name: 'postgres',
    fresh: async () => {
      const db = await freshPostgresDatabase('ade_catalog');
      drops.push(db.drop);
      return { kind: 'postgres', url: db.url, poolSize: 4 };
    },
  };
}

const pgUp = await postgresAvailable();
const backends: { name: Backend['name']; make: () => Backend; skip: string | false }[] = [
  { name: 'sqlite', make: sqliteBackend, skip: false },
  {
    name: 'postgres',
    make: postgresBackend,
    skip: pgUp ? false : `no Postgres server at ${PG_ADMIN_URL} (set ADE_TEST_PG_URL, or CI=true to make this a failure)`,
  },
];

const T0 = '2026-01-01T00:00:00.000Z';
const orders: TableRef = { zone: 'clean', name: 'orders' };
const columns = [
  { name: 'id', type: 'BIGINT', nullable: false },
  { name: 'amount', type: 'DOUBLE' },
];

function file(path: string, rows = 10, extra: Partial<DataFileInput> = {}): DataFileInput {
  return { path, rows, bytes: rows * 100, columnStats: { id: { min: 1, max: rows, nulls: 0 } }, ...extra };
}

async function rejectsWith(p: Promise<unknown>, check: (e: AdeError) => void): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AdeError, `expected an AdeError, got ${String(e)}`);
    check(e);
    return true;
  });
}

for (const { name, make, skip } of backends) {
  describe(`CatalogStore on ${name}`, { skip }, () => {
    const backend = skip ? undefined : make();
    const opened: CatalogStore[] = [];
    after(async () => {
      await Promise.allSettled(opened.map((c) => c.close()));
    });

    /** A fresh catalog with a pinned clock; `more` opens further stores on the same database. */
    async function setup(clock: Clock & { advance(ms: number): void } = fixedClock(T0)) {
      const config = await backend!.fresh();
      const open = async () => {
        const c = await openCatalog({ ...config, clock });
        opened.push(c);
        return c;
      };
      const catalog = await open();
      const raw = async (sql: string, params: (string | number | null)[] = []) => {
        const driver = await openCatalogDriver(config);
        try {
          return await driver.run(sql, params);
        } finally {
          await driver.close();
        }
      };
      return { catalog, clock, config, open, raw };
    }

    it('creates, ensures, lists, updates and drops tables', async () => {
      const { catalog } = await setup();
      const created = await catalog.createTable({ table: orders, columns, owner: 'ana', tags: ['sales'], description: 'Orders' });
      assert.equal(created.zone, 'clean');
      assert.equal(created.name, 'orders');
      assert.equal(created.kind, 'table');
      assert.equal(created.currentSnapshotId, undefined);
      assert.deepEqual(created.tags, ['sales']);
      assert.equal(created.createdAt.toISOString(), T0);

      await rejectsWith(catalog.createTable({ table: orders, columns }), (e) => {
        assert.ok(e instanceof CatalogError);
        assert.equal(e.code, 'catalog.table_exists');
        assert.match(e.message, /clean\.orders/);
      });
      const ensured = await catalog.ensureTable({ table: orders, columns: [{ name: 'other', type: 'VARCHAR' }] });
      assert.equal(ensured.id, created.id);
      assert.equal((await catalog.getSchema(ensured.currentSchemaId)).columns.length, 2, 'ensureTable leaves the schema alone');

      await catalog.ensureTable({ table: { zone: 'raw', name: 'orders' }, columns });
      await catalog.createTable({ table: { zone: 'model', name: 'customer_d' }, columns, kind: 'dimension' });
      assert.deepEqual(
        (await catalog.listTables()).map((t) => `${t.zone}.${t.name}`),
        ['raw.orders', 'clean.orders', 'model.customer_d'],
        'zone order, then name',
      );
      assert.deepEqual((await catalog.listTables({ zones: ['model'] })).map((t) => t.name), ['customer_d']);
      assert.deepEqual(await catalog.listTables({ zones: [] }), []);

      const updated = await catalog.updateTable(orders, { description: 'All orders', tags: ['sales', 'core'] });
      assert.equal(updated.description, 'All orders');
      assert.equal(updated.owner, 'ana');
      assert.deepEqual(updated.tags, ['sales', 'core']);

      await catalog.dropTable(orders, 'ana');
      assert.equal(await catalog.getTable(orders), undefined);
      await rejectsWith(catalog.pin(orders), (e) => assert.equal(e.code, 'table.not_found'));
      await rejectsWith(catalog.dropTable(orders, 'ana'), (e) => assert.equal(e.code, 'table.not_found'));
      const again = await catalog.createTable({ table: orders, columns });
      assert.notEqual(again.id, created.id, 'a dropped name can be used again');
      assert.deepEqual(
        (await catalog.listAudit()).map((a) => a.action),
        ['table.create', 'table.drop', 'table.create', 'table.create', 'table.create'],
      );
    });

    it('creates a table once when several stores ensure it at the same moment', async () => {
      const { open } = await setup();
      const stores = await Promise.all([1, 2, 3, 4].map(() => open()));
      const tables = await Promise.all(stores.map((s) => s.ensureTable({ table: orders, columns })));
      assert.equal(new Set(tables.map((t) => t.id)).size, 1);
      assert.equal((await stores[0]!.listTables()).length, 1);
      assert.deepEqual(await stores[0]!.checkIntegrity(), []);
    });

    it('rejects invalid names, zones and columns with validation errors', async () => {
      const { catalog } = await setup();
      await rejectsWith(catalog.createTable({ table: { zone: 'clean', name: 'Orders' }, columns }), (e) => {
        assert.ok(e instanceof ValidationError);
        assert.equal(e.code, 'validation.name');
        assert.ok(e.hint);
      });
      await rejectsWith(catalog.createTable({ table: { zone: 'lake', name: 'orders' }, columns }), (e) => assert.equal(e.code, 'validation.zone'));
      await rejectsWith(catalog.createTable({ table: orders, columns: [{ name: 'bad name', type: 'INT' }] }), (e) =>
        assert.equal(e.code, 'validation.name'),
      );
      await rejectsWith(catalog.createTable({ table: orders, columns: [{ name: 'a', type: 'INT' }, { name: 'a', type: 'INT' }] }), (e) =>
        assert.equal(e.code, 'validation.columns'),
      );
      await rejectsWith(catalog.createTable({ table: orders, columns: [] }), (e) => assert.equal(e.code, 'validation.columns'));
      await rejectsWith(catalog.getTable({ zone: 'clean', name: 'x;drop' }), (e) => assert.equal(e.code, 'validation.name'));
      await catalog.createTable({ table: orders, columns });
      await rejectsWith(catalog.commit({ table: orders, operation: 'append', added: [file('a'), file('a')], committer: 'me' }), (e) =>
        assert.equal(e.code, 'validation.commit'),
      );
      await rejectsWith(catalog.commit({ table: orders, operation: 'append', added: [file('a', -1)], committer: 'me' }), (e) =>
        assert.equal(e.code, 'validation.commit'),
      );
      await rejectsWith(catalog.commit({ table: orders, operation: 'append', added: [], committer: '' }), (e) =>
        assert.equal(e.code, 'validation.invalid'),
      );
      assert.deepEqual(await catalog.history(orders), [], 'nothing was committed');
    });

    it('evolves the schema with stable column ids', async () => {
      const { catalog } = await setup();
      const t = await catalog.createTable({ table: orders, columns });
      const v1 = await catalog.getSchema(t.currentSchemaId);
      assert.deepEqual(v1.columns.map((c) => [c.id, c.name, c.type, c.nullable]), [
        [1, 'id', 'BIGINT', false],
        [2, 'amount', 'DOUBLE', true],
      ]);
      const commit = (path: string, cols: { name: string; type: string; nullable?: boolean }[]) =>
        catalog.commit({ table: orders, operation: 'append', added: [file(path)], columns: cols, committer: 'me' });

      const s1 = await commit('f1', columns); // same columns: no new version
      assert.equal(s1.snapshot.schemaId, v1.id);
      const s2 = await commit('f2', [...columns, { name: 'currency', type: 'varchar' }]);
      const v2 = await catalog.getSchema(s2.snapshot.schemaId);
      assert.equal(v2.version, 2);
      assert.deepEqual(v2.columns.map((c) => [c.id, c.name, c.type]), [
        [1, 'id', 'BIGINT'],
        [2, 'amount', 'DOUBLE'],
        [3, 'currency', 'VARCHAR'],
      ]);
      const s3 = await commit('f3', [columns[0]!, { name: 'currency', type: 'VARCHAR' }]); // amount dropped
      const s4 = await commit('f4', [columns[0]!, { name: 'currency', type: 'VARCHAR' }, { name: 'amount', type: 'DECIMAL(10, 2)' }]);
      const v4 = await catalog.getSchema(s4.snapshot.schemaId);
      assert.deepEqual(v4.columns.map((c) => [c.id, c.name, c.type]), [
        [1, 'id', 'BIGINT'],
        [3, 'currency', 'VARCHAR'],
        [4, 'amount', 'DECIMAL(10,2)'],
      ], 'a column that comes back gets a new id; old files are never misread');
      const s5 = await commit('f5', [{ name: 'id', type: 'BIGINT', nullable: true }, { name: 'currency', type: 'VARCHAR' }, { name: 'amount', type: 'DECIMAL(10,2)' }]);
      const v5 = await catalog.getSchema(s5.snapshot.schemaId);
      assert.equal(v5.columns[0]!.id, 1, 'a nullability change keeps the id');
      assert.deepEqual((await catalog.listSchemas(orders)).map((s) => s.version), [1, 2, 3, 4, 5]);
      assert.equal((await catalog.getTable(orders))!.currentSchemaId, v5.id);
      assert.equal((await catalog.pin(orders, { snapshotId: s3.snapshot.id })).schema.columns.length, 2, 'old snapshots keep their schema');
      await rejectsWith(catalog.getSchema(999_999), (e) => assert.equal(e.code, 'schema.not_found'));
    });

    it('builds a linear history from append commits', async () => {
      const { catalog, clock } = await setup();
      await catalog.createTable({ table: orders, columns });
      const results = [];
      for (let i = 1; i <= 3; i++) {
        clock.advance(1000);
        results.push(
          await catalog.commit({
            table: orders,
            operation: 'append',
            added: [file(`clean/orders/data/_/b${i}-0.parquet`, i * 10)],
            batchId: `b${i}`,
            batchSource: 'shop',
            committer: 'ingest',
            summary: { note: `batch ${i}` },
          }),
        );
      }
      assert.deepEqual(results.map((r) => [r.snapshot.seq, r.addedFiles, r.removedFiles, r.retries]), [
        [1, 1, 0, 0],
        [2, 1, 0, 0],
        [3, 1, 0, 0],
      ]);
      assert.equal(results[0]!.snapshot.parentId, undefined);
      assert.equal(results[1]!.snapshot.parentId, results[0]!.snapshot.id);
      assert.equal(results[2]!.snapshot.parentId, results[1]!.snapshot.id);
      assert.ok(results[1]!.snapshot.id > results[0]!.snapshot.id);
      assert.deepEqual(results[2]!.snapshot.summary, {
        note: 'batch 3',
        addedFiles: 1,
        addedRows: 30,
        addedBytes: 3000,
        removedFiles: 0,
        removedRows: 0,
        removedBytes: 0,
        totalFiles: 3,
        totalRows: 60,
        totalBytes: 6000,
      });
      const history = await catalog.history(orders);
      assert.deepEqual(history.map((s) => s.seq), [3, 2, 1], 'newest first');
      assert.deepEqual((await catalog.history(orders, { limit: 1 })).map((s) => s.seq), [3]);
      const pinned = await catalog.pin(orders);
      assert.equal(pinned.snapshot!.id, results[2]!.snapshot.id);
      assert.deepEqual(pinned.files.map((f) => [f.path, f.addedSeq, f.removedSeq, f.batchId]), [
        ['clean/orders/data/_/b1-0.parquet', 1, undefined, 'b1'],
        ['clean/orders/data/_/b2-0.parquet', 2, undefined, 'b2'],
        ['clean/orders/data/_/b3-0.parquet', 3, undefined, 'b3'],
      ]);
      assert.deepEqual(pinned.files[0]!.columnStats, { id: { min: 1, max: 10, nulls: 0 } });
      assert.equal((await catalog.getTable(orders))!.currentSnapshotId, results[2]!.snapshot.id);
      const batch = await catalog.getBatch(orders, 'b2');
      assert.equal(batch?.source, 'shop');
      assert.equal(await catalog.getBatch(orders, 'nope'), undefined);
      assert.deepEqual((await catalog.listBatches(orders)).map((b) => b.id), ['b3', 'b2', 'b1']);

      // An append whose base went stale just builds on the current snapshot.
      const stale = await catalog.commit({ table: orders, operation: 'append', baseSnapshotId: results[0]!.snapshot.id, added: [file('late')], committer: 'me' });
      assert.equal(stale.snapshot.seq, 4);
      assert.equal(stale.snapshot.parentId, results[2]!.snapshot.id);
    });

    it('fails a replace built on a stale base with CommitConflictError', async () => {
      const { catalog } = await setup();
      await catalog.createTable({ table: orders, columns });
      const first = await catalog.commit({ table: orders, operation: 'append', added: [file('a')], committer: 'me' });
      await catalog.commit({ table: orders, operation: 'append', added: [file('b')], committer: 'me' });
      await rejectsWith(
        catalog.commit({ table: orders, operation: 'replace', baseSnapshotId: first.snapshot.id, added: [file('c')], committer: 'me' }),
        (e) => {
          assert.ok(e instanceof CommitConflictError);
          assert.equal(e.code, 'catalog.commit_conflict');
          assert.equal(e.retryable, true);
          assert.deepEqual(e.details, { table: 'clean.orders', expected: first.snapshot.id, actual: first.snapshot.id + 1 });
          assert.match(e.message, /clean\.orders/);
          assert.ok(e.hint);
        },
      );
      await rejectsWith(catalog.commit({ table: orders, operation: 'overwrite', baseSnapshotId: null, added: [file('c')], committer: 'me' }), (e) =>
        assert.equal(e.code, 'catalog.commit_conflict'),
      );
      assert.deepEqual((await catalog.files(orders)).map((f) => f.path), ['a', 'b'], 'the table did not change');
      await assert.rejects(catalog.registerStaged(['a']), (e: unknown) => e instanceof CatalogError && e.code === 'catalog.file_exists');
      await rejectsWith(catalog.commit({ table: orders, operation: 'append', added: [file('b')], committer: 'me' }), (e) => {
        assert.equal(e.code, 'catalog.file_exists');
        assert.equal(e.retryable, false);
      });
    });

    it('replaces every current file, also on a stale base with retryOnConflict', async () => {
      const { catalog } = await setup();
      await catalog.createTable({ table: orders, columns, kind: 'dimension' });
      const first = await catalog.commit({ table: orders, operation: 'replace', baseSnapshotId: null, added: [file('a'), file('b')], committer: 'me' });
      await catalog.commit({ table: orders, operation: 'append', added: [file('c')], committer: 'me' });
      const replaced = await catalog.commit({
        table: orders,
        operation: 'replace',
        baseSnapshotId: first.snapshot.id,
        retryOnConflict: true,
        added: [file('d')],
        committer: 'me',
      });
      assert.equal(replaced.removedFiles, 3);
      assert.equal(replaced.snapshot.seq, 3);
      assert.equal(replaced.snapshot.summary.totalFiles, 1);
      assert.deepEqual((await catalog.files(orders)).map((f) => f.path), ['d']);
      const empty = await catalog.commit({ table: orders, operation: 'replace', added: [], committer: 'me' });
      assert.equal(empty.removedFiles, 1);
      assert.deepEqual(await catalog.files(orders), [], 'a replace with nothing truncates');
    });

    it('removes files by batch id, partition and file id', async () => {
      const { catalog } = await setup();
      await catalog.createTable({ table: orders, columns, kind: 'day' });
      const day = (d: string, b: string, n: number) => file(`clean/orders/data/${d}/${b}-${n}.parquet`, 5, { partition: d });
      await catalog.commit({ table: orders, operation: 'append', added: [day('2026-01-01', 'b1', 0), day('2026-01-02', 'b1', 1)], batchId: 'b1', committer: 'me' });
      await catalog.commit({ table: orders, operation: 'append', added: [day('2026-01-02', 'b2', 0), day('2026-01-03', 'b2', 1)], batchId: 'b2', committer: 'me' });

      // Rerun of batch b1: its own files are replaced.
      const rerun = await catalog.commit({ table: orders, operation: 'overwrite', removeBatchIds: ['b1'], added: [day('2026-01-01', 'b1r', 0)], batchId: 'b1', committer: 'me' });
      assert.equal(rerun.removedFiles, 2);
      // Rerun of a day: that partition is replaced.
      const redo = await catalog.commit({ table: orders, operation: 'overwrite', removePartitions: ['2026-01-03'], added: [day('2026-01-03', 'b3', 0)], committer: 'me' });
      assert.equal(redo.removedFiles, 1);
      const current = await catalog.files(orders);
      assert.deepEqual(current.map((f) => f.path).sort(), [
        'clean/orders/data/2026-01-01/b1r-0.parquet',
        'clean/orders/data/2026-01-02/b2-0.parquet',
        'clean/orders/data/2026-01-03/b3-0.parquet',
      ]);
      assert.deepEqual(current.map((f) => f.partition).sort(), ['2026-01-01', '2026-01-02', '2026-01-03']);

      const target = current.find((f) => f.partition === '2026-01-02')!;
      const deleted = await catalog.commit({ table: orders, operation: 'delete', removedFileIds: [target.id], added: [], committer: 'me' });
      assert.equal(deleted.removedFiles, 1);
      await rejectsWith(catalog.commit({ table: orders, operation: 'delete', removedFileIds: [target.id], added: [], committer: 'me' }), (e) =>
        assert.equal(e.code, 'catalog.commit_conflict', 'the file is gone already'),
      );
      await catalog.createTable({ table: { zone: 'clean', name: 'other' }, columns });
      await rejectsWith(
        catalog.commit({ table: { zone: 'clean', name: 'other' }, operation: 'delete', removedFileIds: [current[0]!.id], added: [], committer: 'me' }),
        (e) => assert.equal(e.code, 'validation.commit'),
      );
      assert.equal((await catalog.files(orders)).length, 2);
    });

    it('time travels by snapshot id and by timestamp', async () => {
      const { catalog, clock } = await setup();
      await catalog.createTable({ table: orders, columns });
      clock.advance(60_000); // 00:01
      const s1 = await catalog.commit({ table: orders, operation: 'append', added: [file('a')], committer: 'me' });
      clock.advance(60_000); // 00:02
      const s2 = await catalog.commit({ table: orders, operation: 'append', added: [file('b')], committer: 'me' });
      clock.advance(60_000); // 00:03
      await catalog.commit({ table: orders, operation: 'replace', added: [file('c')], committer: 'me' });

      const byId = await catalog.pin(orders, { snapshotId: s1.snapshot.id });
      assert.deepEqual(byId.files.map((f) => f.path), ['a']);
      const at = (iso: string) => catalog.pin(orders, { asOf: new Date(iso) });
      assert.equal((await at('2026-01-01T00:02:00.000Z')).snapshot!.id, s2.snapshot.id, 'at the commit instant');
      assert.deepEqual((await at('2026-01-01T00:02:30.000Z')).files.map((f) => f.path), ['a', 'b']);
      assert.deepEqual((await at('2026-01-01T00:01:59.999Z')).files.map((f) => f.path), ['a']);
      assert.deepEqual((await at('2027-01-01T00:00:00.000Z')).files.map((f) => f.path), ['c']);
      await rejectsWith(at('2026-01-01T00:00:30.000Z'), (e) => {
        assert.ok(e instanceof NotFoundError);
        assert.equal(e.code, 'snapshot.not_found');
        assert.match(e.hint!, /2026-01-01T00:01:00\.000Z/);
      });
      await rejectsWith(catalog.pin(orders, { snapshotId: 987_654 }), (e) => assert.equal(e.code, 'snapshot.not_found'));
      await catalog.createTable({ table: { zone: 'clean', name: 'other' }, columns });
      await rejectsWith(catalog.pin({ zone: 'clean', name: 'other' }, { snapshotId: s1.snapshot.id }), (e) =>
        assert.equal(e.code, 'snapshot.not_found', "another table's snapshot is not this table's"),
      );
      const never = await catalog.pin({ zone: 'clean', name: 'other' });
      assert.equal(never.snapshot, undefined, 'a never-committed table reads as empty');
      assert.deepEqual(never.files, []);
      assert.equal(never.schema.columns.length, 2);
    });

    it('keeps a pinned snapshot at exactly its files after later commits', async () => {
      const { catalog } = await setup();
      await catalog.createTable({ table: orders, columns });
      await catalog.commit({ table: orders, operation: 'append', added: [file('a'), file('b')], committer: 'me' });
      const pinned = await catalog.pin(orders);
      await catalog.commit({ table: orders, operation: 'append', added: [file('c')], committer: 'me' });
      await catalog.commit({ table: orders, operation: 'overwrite', removedFileIds: [pinned.files[0]!.id], added: [file('d')], committer: 'me' });
      await catalog.commit({ table: orders, operation: 'replace', added: [file('e')], committer: 'me' });
      const again = await catalog.pin(orders, { snapshotId: pinned.snapshot!.id });
      assert.deepEqual(again.files.map((f) => f.path), ['a', 'b']);
      assert.deepEqual(
        (await Promise.all([2, 3, 4].map(async (i) => (await catalog.pin(orders, { snapshotId: pinned.snapshot!.id + i - 1 })).files.map((f) => f.path)))),
        [['a', 'b', 'c'], ['b', 'c', 'd'], ['e']],
      );
    });

    it('lands concurrent appends from several stores exactly once, in one linear history', async () => {
      const { catalog, open } = await setup();
      await catalog.createTable({ table: orders, columns });
      const stores = [catalog, await open(), await open(), await open()];
      const perStore = 6;
      await Promise.all(
        stores.map(async (store, s) => {
          for (let i = 0; i < perStore; i++) {
            await store.commit({ table: orders, operation: 'append', added: [file(`s${s}-${i}`)], batchId: `s${s}-${i}`, committer: `w${s}` });
          }
        }),
      );
      const history = await catalog.history(orders);
      const n = stores.length * perStore;
      assert.deepEqual(history.map((h) => h.seq), Array.from({ length: n }, (_, i) => n - i));
      for (let i = 0; i < history.length - 1; i++) assert.equal(history[i]!.parentId, history[i + 1]!.id);
      const files = await catalog.files(orders);
      assert.equal(files.length, n);
      assert.equal(new Set(files.map((f) => f.path)).size, n);
      assert.equal(history[0]!.summary.totalFiles, n);
      assert.deepEqual(await catalog.checkIntegrity(), []);
    });

    it('lets exactly one of two concurrent replaces on the same base win', async () => {
      const { catalog, open } = await setup();
      await catalog.createTable({ table: orders, columns });
      const base = await catalog.commit({ table: orders, operation: 'append', added: [file('a')], committer: 'me' });
      const other = await open();
      const outcomes = await Promise.allSettled([
        catalog.commit({ table: orders, operation: 'replace', baseSnapshotId: base.snapshot.id, added: [file('x')], committer: 'one' }),
        other.commit({ table: orders, operation: 'replace', baseSnapshotId: base.snapshot.id, added: [file('y')], committer: 'two' }),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(lost[0]!.reason instanceof CommitConflictError);
      const files = await catalog.files(orders);
      assert.equal(files.length, 1);
      assert.ok(['x', 'y'].includes(files[0]!.path));
      assert.deepEqual((await catalog.history(orders)).map((s) => s.seq), [2, 1]);
    });

    it('expires old snapshots and tells GC what to delete and what to keep', async () => {
      const { catalog, clock, raw } = await setup();
      await catalog.createTable({ table: orders, columns });
      const s1 = await catalog.commit({ table: orders, operation: 'append', added: [file('a')], committer: 'me' });
      clock.advance(1000);
      await catalog.commit({ table: orders, operation: 'append', added: [file('b')], committer: 'me' });
      clock.advance(1000);
      const s3 = await catalog.commit({ table: orders, operation: 'replace', added: [file('c')], committer: 'me' }); // removes a, b
      clock.advance(1000);
      const c = (await catalog.files(orders))[0]!;
      await catalog.commit({ table: orders, operation: 'overwrite', removedFileIds: [c.id], added: [file('d')], committer: 'me' }); // s4 removes c
      clock.advance(1000);

      assert.deepEqual(await catalog.unreferencedFiles(), [], 'every file is still readable in some snapshot');
      const keptAll = await catalog.expireSnapshots({ before: new Date(clock.now().getTime() + 1), keepLast: 4 });
      assert.equal(keptAll, 0, 'keepLast keeps the last four');

      // Expire what was committed before s3 (s1, s2): s3 and s4 stay readable.
      const expired = await catalog.expireSnapshots({ before: s3.snapshot.committedAt, keepLast: 1 });
      assert.equal(expired, 2);
      assert.equal(await catalog.expireSnapshots({ before: s3.snapshot.committedAt, keepLast: 1 }), 0, 'idempotent');
      await rejectsWith(catalog.pin(orders, { snapshotId: s1.snapshot.id }), (e) => {
        assert.equal(e.code, 'snapshot.not_found');
        assert.match(e.hint!, /gc retention/);
      });
      await rejectsWith(catalog.pin(orders, { asOf: s1.snapshot.committedAt }), (e) => assert.equal(e.code, 'snapshot.not_found'));
      const history = await catalog.history(orders);
      assert.deepEqual(history.map((s) => s.expiredAt !== undefined), [false, false, true, true]);
      assert.deepEqual((await catalog.unreferencedFiles()).map((f) => f.path), ['a', 'b'], 'c is still seen by s3');

      // Staged paths: a fresh one is protected, an old one is not.
      await catalog.registerStaged(['staged-old']);
      clock.advance(60_000);
      await catalog.registerStaged(['staged-new', 'e']);
      const cutoff = new Date(clock.now().getTime() - 30_000);
      assert.deepEqual([...(await catalog.protectedPaths({ stagedNewerThan: cutoff }))].sort(), ['c', 'd', 'e', 'staged-new']);

      // Expire everything but the current snapshot: c becomes unreferenced too.
      assert.equal(await catalog.expireSnapshots({ before: new Date(clock.now().getTime() + 1), keepLast: 0 }), 1);
      const unreferenced = await catalog.unreferencedFiles();
      assert.deepEqual(unreferenced.map((f) => f.path), ['a', 'b', 'c']);
      const d = (await catalog.files(orders))[0]!;
      await rejectsWith(catalog.forgetFiles([d.id]), (e) => assert.equal(e.code, 'catalog.file_referenced'));
      await catalog.forgetFiles(unreferenced.map((f) => f.id));
      assert.deepEqual(await catalog.unreferencedFiles(), []);
      assert.deepEqual((await catalog.files(orders)).map((f) => f.path), ['d'], 'the current snapshot is untouched');

      // Committing a staged path forgets the stage; unregisterStaged forgets abandoned ones.
      await catalog.commit({ table: orders, operation: 'append', added: [file('e')], committer: 'me' });
      await catalog.unregisterStaged(['staged-new']);
      assert.equal((await raw('DELETE FROM staged_files WHERE path IN (?, ?)', ['e', 'staged-new'])).changes, 0);

      // A dropped table's files are all unreferenced.
      await catalog.dropTable(orders, 'me');
      assert.deepEqual((await catalog.unreferencedFiles()).map((f) => f.path), ['d', 'e']);
      assert.deepEqual([...(await catalog.protectedPaths({ stagedNewerThan: new Date(0) }))], ['staged-old']);
      assert.deepEqual(await catalog.checkIntegrity(), []);
    });

    it('moves runs through their lifecycle with leases', async () => {
      const { catalog, clock } = await setup();
      const run = await catalog.createRun({ kind: 'flush', target: 'clean.orders', info: { source: 'shop' } });
      assert.equal(run.state, 'queued');
      assert.equal(run.attempts, 0);
      assert.match(run.id, /^[0-9a-f-]{36}$/);
      clock.advance(10);
      const later = await catalog.createRun({ kind: 'build', target: 'model.orders_f' });

      assert.equal(await catalog.claimRun({ owner: 'w1', leaseMs: 1000, kinds: ['train'] }), undefined);
      const claimed = await catalog.claimRun({ owner: 'w1', leaseMs: 1000 });
      assert.equal(claimed?.id, run.id, 'oldest first');
      assert.equal(claimed.state, 'running');
      assert.equal(claimed.attempts, 1);
      assert.equal(claimed.leaseOwner, 'w1');
      assert.equal(claimed.startedAt?.getTime(), clock.now().getTime());
      assert.equal((await catalog.claimRun({ owner: 'w2', leaseMs: 1000, kinds: ['flush'] })), undefined, 'held by w1');

      clock.advance(500);
      const beat = await catalog.heartbeatRun(run.id, 'w1', 1000);
      assert.equal(beat.leaseExpiresAt?.getTime(), clock.now().getTime() + 1000);
      clock.advance(1001); // w1 died
      const taken = await catalog.claimRun({ owner: 'w2', leaseMs: 1000, kinds: ['flush'] });
      assert.equal(taken?.id, run.id);
      assert.equal(taken.attempts, 2);
      await rejectsWith(catalog.heartbeatRun(run.id, 'w1', 1000), (e) => assert.equal(e.code, 'catalog.lease_lost'));

      const done = await catalog.updateRun(run.id, { state: 'succeeded', info: { rows: 42 } });
      assert.equal(done.state, 'succeeded');
      assert.equal(done.finishedAt?.getTime(), clock.now().getTime());
      assert.equal(done.leaseOwner, undefined);
      assert.deepEqual(done.info, { source: 'shop', rows: 42 });
      await rejectsWith(catalog.updateRun(run.id, { state: 'running' }), (e) => assert.equal(e.code, 'catalog.run_state'));

      const started = await catalog.updateRun(later.id, { state: 'running', attemptsIncrement: true });
      const failed = await catalog.updateRun(later.id, { state: 'failed', error: 'boom' });
      assert.equal(started.attempts, 1);
      assert.equal(failed.error, 'boom');
      assert.deepEqual((await catalog.listRuns()).map((r) => r.id), [later.id, run.id], 'newest first');
      assert.deepEqual((await catalog.listRuns({ kind: 'flush' })).map((r) => r.id), [run.id]);
      assert.equal(await catalog.getRun('00000000-0000-7000-8000-000000000000'), undefined);
      await rejectsWith(catalog.updateRun('nope', { state: 'failed' }), (e) => assert.equal(e.code, 'run.not_found'));
    });

    it('hash-chains the audit log and detects tampering', async () => {
      const { catalog, raw } = await setup();
      const first = await catalog.audit({ actor: 'ana', action: 'grant', target: 'clean', details: { role: 'analyst', at: new Date(T0) } });
      const second = await catalog.audit({ actor: 'bob', action: 'query', target: 'clean.orders' });
      await catalog.audit({ actor: 'gc', action: 'gc', target: 'lake', details: { freed: 10 } });
      assert.equal(first.prevHash, '');
      assert.equal(second.prevHash, first.hash);
      assert.match(first.hash, /^[0-9a-f]{64}$/);
      assert.deepEqual(first.details, { at: T0, role: 'analyst' });
      assert.deepEqual((await catalog.listAudit({ limit: 2 })).map((a) => a.action), ['gc', 'query']);
      assert.deepEqual(await catalog.checkIntegrity(), []);

      await raw('UPDATE audit_events SET actor = ? WHERE id = ?', ['mallory', second.id]);
      const problems = await catalog.checkIntegrity();
      assert.equal(problems.length, 1);
      assert.match(problems[0]!.problem, new RegExp(`event ${second.id} was modified`));
      await raw('UPDATE audit_events SET actor = ? WHERE id = ?', ['bob', second.id]);
      assert.deepEqual(await catalog.checkIntegrity(), [], 'restored');

      await raw('DELETE FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events)');
      assert.match((await catalog.checkIntegrity()).map((p) => p.problem).join('\n'), /events were removed/);
    });

    it('reports no problems on a healthy catalog and finds broken ones', async () => {
      const { catalog, raw } = await setup();
      await catalog.createTable({ table: orders, columns });
      await catalog.commit({ table: orders, operation: 'append', added: [file('a')], committer: 'me' });
      await catalog.commit({ table: orders, operation: 'replace', added: [file('b')], committer: 'me', columns: [...columns, { name: 'x', type: 'INT' }] });
      await catalog.createTable({ table: { zone: 'raw', name: 'events' }, columns });
      await catalog.audit({ actor: 'me', action: 'note', target: 'x' });
      assert.deepEqual(await catalog.checkIntegrity(), []);

      await raw("UPDATE data_files SET removed_seq = added_seq WHERE path = 'b'");
      await raw('UPDATE tables SET current_snapshot_id = NULL WHERE name = ?', ['orders']);
      const problems = await catalog.checkIntegrity();
      assert.deepEqual(problems.map((p) => p.table), ['clean.orders', 'clean.orders']);
      assert.match(problems[0]!.problem, /no current snapshot/);
      assert.match(problems[1]!.problem, /file \d+ \(b\) is removed at seq 2/);
    });

    it('migrates once when several stores open a fresh catalog at once', async () => {
      const { config } = await setup();
      const stores = await Promise.all([1, 2, 3].map(() => openCatalog(config)));
      opened.push(...stores);
      await stores[0]!.createTable({ table: orders, columns });
      assert.equal((await stores[2]!.getTable(orders))?.name, 'orders');
      const driver = await openCatalogDriver(config);
      try {
        assert.deepEqual(
          (await driver.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => Number(r.version)),
          MIGRATIONS.map((m) => m.version),
        );
      } finally {
        await driver.close();
      }
    });

    it('survives a writer killed mid-commit', async () => {
      const { catalog, config } = await setup();
      await catalog.createTable({ table: orders, columns });
      const child = spawnWriter(config, { filesPerCommit: 4, prefix: 'killed' });
      await child.committed(12);
      child.kill();
      await child.exited;
      const history = await catalog.history(orders);
      assert.ok(history.length >= 12);
      assert.deepEqual(history.map((h) => h.seq), Array.from({ length: history.length }, (_, i) => history.length - i));
      assert.equal((await catalog.files(orders)).length, history.length * 4);
      assert.deepEqual(await catalog.checkIntegrity(), []);
      await catalog.commit({ table: orders, operation: 'append', added: [file('after-crash')], committer: 'me' });
    });

    it('lands concurrent appends from several processes exactly once', async () => {
      const { catalog, config } = await setup();
      await catalog.createTable({ table: orders, columns });
      const writers = [1, 2, 3].map((w) => spawnWriter(config, { filesPerCommit: 2, commits: 10, prefix: `p${w}` }));
      for (let i = 0; i < 10; i++) await catalog.commit({ table: orders, operation: 'append', added: [file(`parent-${i}`)], committer: 'parent' });
      for (const w of writers) assert.equal(await w.exited, 0, w.stderr());
      const history = await catalog.history(orders);
      assert.equal(history.length, 40);
      assert.deepEqual(history.map((h) => h.seq), Array.from({ length: 40 }, (_, i) => 40 - i));
      assert.equal((await catalog.files(orders)).length, 70);
      assert.deepEqual(await catalog.checkIntegrity(), []);
    });

    if (name === 'sqlite') {
      it('waits for another process holding the SQLite write lock, then fails retryably', async () => {
        const { catalog, config } = await setup();
        await catalog.createTable({ table: orders, columns });
        const holder = new Database((config as { path: string }).path);
        holder.exec('BEGIN IMMEDIATE');
        const pending = catalog.commit({ table: orders, operation: 'append', added: [file('a')], committer: 'me' });
        await new Promise((r) => setTimeout(r, 150));
        holder.exec('COMMIT');
        assert.equal((await pending).snapshot.seq, 1, 'the commit went through once the lock was released');

        const impatient = await openCatalog({ ...(config as SqliteCatalogConfig), busyTimeoutMs: 100, maxRetries: 0 });
        opened.push(impatient);
        holder.exec('BEGIN IMMEDIATE');
        try {
          await rejectsWith(impatient.commit({ table: orders, operation: 'append', added: [file('b')], committer: 'me' }), (e) => {
            assert.equal(e.code, 'catalog.busy');
            assert.equal(e.retryable, true);
          });
        } finally {
          holder.exec('ROLLBACK');
          holder.close();
        }
        assert.deepEqual((await catalog.files(orders)).map((f) => f.path), ['a']);
      });
    }
  });
}

const catalogIndex = fileURLToPath(new URL('./index.ts', import.meta.url));

/**
 * A child process appending `filesPerCommit` files per commit, `commits` times
 * (or until killed); it prints a dot per commit.
 */
function spawnWriter(config: CatalogConfig, opts: { filesPerCommit: number; commits?: number; prefix: string }) {
  const code = `
    const { openCatalog } = await import(${JSON.stringify(catalogIndex)});
    const catalog = await openCatalog(${JSON.stringify(config)});
    for (let i = 0; i < ${opts.commits ?? 'Infinity'}; i++) {
      const added = Array.from({ length: ${opts.filesPerCommit} }, (_, j) => ({ path: '${opts.prefix}/' + i + '-' + j, rows: 1, bytes: 1, columnStats: {} }));
      await catalog.commit({ table: { zone: 'clean', name: 'orders' }, operation: 'append', added, committer: '${opts.prefix}' });
      process.stdout.write('.');
    }
    await catalog.close();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let dots = 0;
  let stderr = '';
  const waiters: { n: number; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    dots += chunk.toString().length;
    for (const w of waiters.filter((w) => dots >= w.n)) w.resolve();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    committed: (n: number) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ n, resolve });
        child.on('exit', () => (dots >= n ? resolve() : reject(new Error(`writer exited early: ${stderr}`))));
        setTimeout(() => reject(new Error(`writer too slow (${dots} commits): ${stderr}`)), 30_000).unref();
      }),
    kill: () => child.kill('SIGKILL'),
    exited,
    stderr: () => stderr,
  };
}

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PermissionError, isAdeError } from '../kernel/index.js';
import type { Session, TableBinding } from './index.js';
import { openTestLake, type TestLake } from './test-support/test-lake.js';

/** Asserts that `run` rejects with a PermissionError (and so returned nothing). */
async function assertDenied(run: () => Promise<unknown>, message?: RegExp): Promise<void> {
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof PermissionError, `expected a PermissionError, got ${String(e)}`);
    assert.equal(e.code, 'permission.denied');
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('Engine access', () => {
  let lake: TestLake;
  let orders: TableBinding;
  let customers: TableBinding;
  let analyst: Session;
  let rawFile: string;
  let rawCsv: string;

  before(async () => {
    lake = await openTestLake();
    orders = await lake.table('clean', 'orders', 'SELECT range::BIGINT AS id, range * 10 AS amount FROM range(5)');
    customers = await lake.table('raw', 'customers', "SELECT 1::BIGINT AS id, 'ann@example.com' AS email");
    rawFile = customers.files[0]!;
    rawCsv = join(lake.dir('raw'), 'customers.csv');
    await writeFile(rawCsv, 'id,email\n1,ann@example.com\n');
    analyst = await lake.engine.openSession(lake.as('analyst', [orders]));
  });

  after(async () => {
    await lake.close();
  });

  it('should read the tables bound to the session', async () => {
    const result = await analyst.query('SELECT id, amount FROM clean.orders ORDER BY id');
    assert.deepEqual(result.rows, [0, 1, 2, 3, 4].map((i) => ({ id: i, amount: i * 10 })));
  });

  describe('as an analyst (clean, model, report, ml only)', () => {
    it('should refuse read_parquet, read_csv and glob on the raw zone', async () => {
      await assertDenied(() => analyst.query(`SELECT * FROM read_parquet('${rawFile}')`), /file system operations are disabled/);
      await assertDenied(() => analyst.query(`SELECT * FROM read_csv('${rawCsv}')`));
      await assertDenied(() => analyst.query(`SELECT * FROM glob('${lake.dir('raw')}/*')`));
      await assertDenied(() => analyst.query(`SELECT * FROM read_parquet('${lake.dir('raw')}/**/*.parquet')`));
    });

    it('should refuse a path that climbs out of an allowed directory', async () => {
      const climbing = rawFile.replace(lake.dir('raw'), `${lake.dir('clean')}/../raw`);
      assert.notEqual(climbing, rawFile);
      await assertDenied(() => analyst.query(`SELECT * FROM read_parquet('${climbing}')`));
    });

    it('should refuse files outside the lake such as /etc/passwd', async () => {
      await assertDenied(() => analyst.query("SELECT * FROM read_csv('/etc/passwd')"));
      await assertDenied(() => analyst.query("SELECT * FROM read_text('/etc/passwd')"));
      await assertDenied(() => analyst.query("SELECT * FROM read_parquet('/etc/passwd')"));
      await assertDenied(() => analyst.query("SELECT * FROM glob('/etc/*')"));
      // A path as a table name is not even looked up as a file once external access is off.
      await assert.rejects(() => analyst.query("SELECT * FROM '/etc/passwd'"), { code: 'engine.query_failed' });
    });

    it('should refuse COPY … TO, even into an allowed directory, and write no file', async () => {
      const target = join(lake.dir('clean'), 'leak.csv');
      await assertDenied(() => analyst.query(`COPY (SELECT * FROM clean.orders) TO '${target}'`), /^COPY statements are not allowed/);
      await assertDenied(() => analyst.query(`COPY clean.orders TO '/tmp/ade-leak.csv'`));
      await assertDenied(() => analyst.query(`EXPLAIN ANALYZE COPY (SELECT 1) TO '${target}'`));
      assert.equal(existsSync(target), false);
      assert.equal(existsSync('/tmp/ade-leak.csv'), false);
    });

    it('should refuse ATTACH and create no database file', async () => {
      const db = join(lake.dir('clean'), 'smuggled.db');
      await assertDenied(() => analyst.query(`ATTACH '${db}' AS smuggled`), /^ATTACH statements are not allowed/);
      assert.equal(existsSync(db), false);
    });

    it('should refuse INSTALL and LOAD of extensions', async () => {
      await assertDenied(() => analyst.query('INSTALL httpfs'));
      await assertDenied(() => analyst.query('LOAD httpfs'));
      await assertDenied(() => analyst.query("SELECT * FROM read_parquet('https://example.com/x.parquet')"));
    });

    it('should refuse SET and RESET of locked settings and keep them', async () => {
      await assertDenied(() => analyst.query("SET memory_limit = '64GB'"), /^SET statements are not allowed/);
      await assertDenied(() => analyst.query('SET enable_external_access = true'));
      await assertDenied(() => analyst.query("SET allowed_directories = ['/']"));
      await assertDenied(() => analyst.query('RESET lock_configuration'));
      const { rows } = await analyst.query(
        "SELECT current_setting('enable_external_access') AS external, current_setting('lock_configuration') AS locked",
      );
      assert.deepEqual(rows, [{ external: false, locked: true }]);
    });

    it('should allow exactly the role\'s zones and its own spill directory', async () => {
      const { rows } = await analyst.query(
        "SELECT current_setting('allowed_directories') AS dirs, current_setting('allowed_paths') AS paths, current_setting('temp_directory') AS temp",
      );
      const temp = String(rows[0]!['temp']);
      assert.ok(temp.startsWith(join(lake.root, 'tmp', 'sandbox-')), temp);
      const expected = [...['clean', 'model', 'report', 'ml'].map((z) => `${lake.dir(z)}/`), `${temp}/`];
      assert.deepEqual([...(rows[0]!['dirs'] as string[])].sort(), expected.sort());
      assert.deepEqual(rows[0]!['paths'], []);
    });

    it('should refuse every statement that is not a read', async () => {
      const statements = [
        'CREATE TABLE t AS SELECT 1',
        'CREATE MACRO m() AS 1',
        'INSERT INTO clean.orders VALUES (1, 1)',
        'DROP VIEW clean.orders',
        'PRAGMA version',
        'CALL pragma_version()',
        'BEGIN TRANSACTION',
        'CHECKPOINT',
        'DETACH memory',
        'USE system',
        'PREPARE p AS SELECT 1',
      ];
      for (const sql of statements) await assertDenied(() => analyst.query(sql));
    });

    it('should refuse functions that write files or run SQL text from inside a SELECT', async () => {
      const logs = join(lake.dir('clean'), 'logs');
      const profile = join(lake.dir('clean'), 'profile.json');
      await assertDenied(
        () => analyst.query(`SELECT * FROM enable_logging(level = 'debug', storage = 'file', storage_path = '${logs}')`),
        /enable_logging/,
      );
      await assertDenied(() => analyst.query(`SELECT * FROM Enable_Profiling(format = 'json', save_location = '${profile}')`));
      await assertDenied(() => analyst.query(`SELECT 1 WHERE 1 IN (SELECT 1 FROM system.main.enable_logging())`));
      await assertDenied(() => analyst.query(`EXPLAIN ANALYZE SELECT * FROM enable_profiling()`));
      await assertDenied(() => analyst.query(`SELECT * FROM query('SELECT * FROM enable_logging()')`), /query/);
      await assertDenied(() => analyst.query(`SELECT json_serialize_plan('SELECT 1')`));
      await assertDenied(() => analyst.query(`SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))`));
      await assertDenied(() => analyst.query('SELECT sleep_ms(60000)'));
      assert.equal(existsSync(logs), false);
      assert.equal(existsSync(profile), false);
      const allowed = await analyst.query(
        "SELECT count(*) AS n FROM range(3) JOIN generate_series(0, 2) g ON true, (SELECT * FROM duckdb_settings() LIMIT 1)",
      );
      assert.deepEqual(allowed.rows, [{ n: 9 }]);
    });

    it('should refuse EXPORT DATABASE without creating its directory', async () => {
      const target = join(lake.dir('clean'), 'export');
      await assertDenied(() => analyst.query(`EXPORT DATABASE '${target}'`));
      assert.equal(existsSync(target), false);
    });

    it('should refuse a write smuggled after a SELECT, running neither', async () => {
      const db = join(lake.dir('clean'), 'after.db');
      await assertDenied(() => analyst.query(`SELECT 1; ATTACH '${db}'`), /^ATTACH statements are not allowed/);
      await assertDenied(() => analyst.query(`SELECT 1; COPY (SELECT 1) TO '${db}'`), /^COPY/);
      await assertDenied(() => analyst.query(`SELECT 1 /* ; */; SET threads = 64`), /^SET/);
      assert.equal(existsSync(db), false);
    });

    it('should refuse the same attacks through stream and writeTo', async () => {
      const rows = analyst.stream(`SELECT * FROM read_parquet('${rawFile}')`);
      await assertDenied(() => rows.columns());
      const chunks = analyst.stream('INSTALL httpfs');
      await assertDenied(async () => {
        for await (const _ of chunks) assert.fail('no rows expected');
      });
      await assertDenied(() => analyst.writeTo(`SELECT * FROM read_csv('${rawCsv}')`, 'csv', process.stderr));
    });

    it('should not have raw-zone views when raw tables are not bound', async () => {
      await assert.rejects(
        () => analyst.query('SELECT * FROM raw.customers'),
        (e: unknown) => isAdeError(e) && e.code === 'engine.query_failed' && /does not exist/.test(e.message),
      );
    });

    it('should refuse to open a session that binds a zone the role may not read', async () => {
      await assertDenied(() => lake.engine.openSession(lake.as('analyst', [orders, customers])), /may not read the raw zone/);
    });

    it('should refuse to bind files outside the allowed directories', async () => {
      const disguised = { ...customers, zone: 'clean', name: 'customers' };
      await assertDenied(() => lake.engine.openSession(lake.as('analyst', [disguised])));
    });
  });

  describe('as an engineer (raw allowed and bound)', () => {
    it('should read the raw zone through its view and by path', async () => {
      const engineer = await lake.engine.openSession(lake.as('engineer', [orders, customers]));
      try {
        const view = await engineer.query('SELECT id, email FROM raw.customers');
        assert.deepEqual(view.rows, [{ id: 1, email: 'ann@example.com' }]);
        const csv = await engineer.query(`SELECT email FROM read_csv('${rawCsv}')`);
        assert.deepEqual(csv.rows, [{ email: 'ann@example.com' }]);
      } finally {
        await engineer.close();
      }
    });

    it('should still refuse writes and settings', async () => {
      const engineer = await lake.engine.openSession(lake.as('engineer', [customers]));
      try {
        await assertDenied(() => engineer.query(`COPY raw.customers TO '${join(lake.dir('raw'), 'x.csv')}'`));
        await assertDenied(() => engineer.query("SET memory_limit = '64GB'"));
        await assertDenied(() => engineer.query("SELECT * FROM read_text('/etc/passwd')"));
      } finally {
        await engineer.close();
      }
    });
  });

  describe('warm sandboxes', () => {
    const tempOf = async (session: Session) =>
      String((await session.query("SELECT current_setting('temp_directory') AS t")).rows[0]!['t']);

    it('should lend a closed session\'s instance to the next session with the same access only', async () => {
      const warm = await openTestLake();
      try {
        const open = (tables: TableBinding[]) => warm.engine.openSession(warm.as('analyst', tables));
        const items = await warm.table('clean', 'items', 'SELECT range AS id FROM range(4)');
        const first = await open([items]);
        const firstTemp = await tempOf(first);
        await first.close();

        const second = await open([items]);
        assert.equal(await tempOf(second), firstTemp, 'the warm instance is lent again');
        assert.deepEqual((await second.query('SELECT count(*) AS n FROM clean.items')).rows, [{ n: 4 }]);
        const concurrent = await open([items]);
        assert.notEqual(await tempOf(concurrent), firstTemp, 'an instance serves one session at a time');
        const other = await open([]);
        assert.notEqual(await tempOf(other), firstTemp, 'other tables, other instance');
        await assert.rejects(() => other.query('SELECT * FROM clean.items'), { code: 'engine.query_failed' });
        await Promise.all([second.close(), concurrent.close(), other.close()]);
      } finally {
        await warm.close();
      }
    });

    it('should keep no instance when warmSandboxes is 0', async () => {
      const cold = await openTestLake({ warmSandboxes: 0 });
      try {
        const a = await cold.engine.openSession(cold.as('viewer', []));
        const tempA = await tempOf(a);
        await a.close();
        const b = await cold.engine.openSession(cold.as('viewer', []));
        assert.notEqual(await tempOf(b), tempA);
        await b.close();
      } finally {
        await cold.close();
      }
    });
  });

  describe('lifecycle', () => {
    it('should refuse queries on a closed session and sessions on a closed engine', async () => {
      const other = await openTestLake();
      const session = await other.engine.openSession(other.as('viewer', []));
      await session.close();
      await assert.rejects(() => session.query('SELECT 1'), { code: 'engine.closed' });
      await other.close();
      await assert.rejects(() => other.engine.openSession(other.as('viewer', [])), { code: 'engine.closed' });
    });
  });
});

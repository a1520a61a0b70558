// The query worker pool with a real lake and real worker processes: results
// are byte for byte what an in-process session writes; params are values,
// never SQL; a timeout, a crash or a memory blow-up fails only its own query
// and the pool keeps serving; hostile SQL is refused inside the worker too.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { writeArrow, type SessionOptions } from '../engine/index.js';
import { isAdeError, readableZones, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { openTempLake } from '../test-support/temp-lake.js';
import { httpError } from './http-errors.js';
import { QueryPool, type QueryFormat, type QueryJob } from './query-pool.js';

const analyst: Principal = { name: 'ana', role: 'analyst' };
const engineer: Principal = { name: 'eng', role: 'engineer' };
/** Keeps one DuckDB thread busy for minutes. */
const SLOW = 'SELECT count(*) AS n FROM range(2000000000) a, range(100) b WHERE a.range + b.range = -1';

/** What the server sends a worker: the principal, the tables it may read, its zones' directories. */
async function sessionFor(lake: Lake, principal: Principal, sql: string): Promise<SessionOptions> {
  const tables = await lake.bindingsFor(principal, { forSql: sql });
  return { principal, tables, allowedDirectories: readableZones(principal.role).map((z) => join(lake.store.localRoot(), z)) };
}

/** Runs a job and returns its result bytes. */
async function result(pool: QueryPool, job: QueryJob): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pool.run(job, (chunk) => void chunks.push(chunk));
  return Buffer.concat(chunks);
}

/** The error a job fails with. */
async function failure(pool: QueryPool, job: QueryJob): Promise<{ code: string; status: number; message: string }> {
  try {
    await result(pool, job);
  } catch (e) {
    assert.ok(isAdeError(e), `expected an ade error, got ${String(e)}`);
    return { code: e.code, status: httpError(e).status, message: e.message };
  }
  assert.fail(`${job.sql} should fail`);
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('QueryPool', () => {
  let dir: string;
  let lake: Lake;
  let pool: QueryPool;
  const job = async (sql: string, extra: Partial<QueryJob> = {}, principal = analyst): Promise<QueryJob> => ({
    session: await sessionFor(lake, principal, sql),
    sql,
    format: 'json',
    ...extra,
  });

  before(async () => {
    ({ dir, lake } = await openTempLake('ade-query-pool-'));
    await lake.writeSelect(engineer, {
      table: { zone: 'clean', name: 'orders' },
      sql: "SELECT range AS id, 'customer ' || (range % 7) AS name, range * 1.5 AS amount, DATE '2024-01-01' + range::INTEGER AS day FROM range(5000)",
      mode: 'replace',
    });
    await lake.writeSelect(engineer, { table: { zone: 'raw', name: 'secrets' }, sql: "SELECT 'hunter2' AS password", mode: 'replace' });
    pool = new QueryPool(lake.engine.config, { size: 2, timeoutMs: 20_000 });
  });
  after(async () => {
    await pool?.close();
    await lake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should write exactly what an in-process session writes, in every format', async () => {
    const sql = 'SELECT id, name, amount, day FROM clean.orders ORDER BY id';
    for (const format of ['json', 'ndjson', 'csv', 'arrow'] as QueryFormat[]) {
      const session = await lake.session(analyst, { forSql: sql });
      const parts: Buffer[] = [];
      const out = new Writable({ write: (chunk: Buffer, _e, done) => void (parts.push(chunk), done()) });
      try {
        if (format === 'arrow') await writeArrow(session.stream(sql), out);
        else await session.writeTo(sql, format, out);
      } finally {
        await session.close();
      }
      const expected = Buffer.concat(parts);
      assert.ok(expected.length > 10_000, 'a result of several chunks');
      assert.ok((await result(pool, await job(sql, { format }))).equals(expected), `${format} differs`);
    }
    assert.deepEqual(JSON.parse((await result(pool, await job('SELECT id FROM clean.orders ORDER BY id -- the first rows', { limit: 2 }))).toString()), [{ id: 0 }, { id: 1 }]);
  });

  it('should bind params as values: positional, numbered and named', async () => {
    const rows = async (sql: string, params: QueryJob['params']) => JSON.parse((await result(pool, await job(sql, { params }))).toString()) as unknown[];
    assert.deepEqual(await rows('SELECT id FROM clean.orders WHERE id < ? AND name = ? ORDER BY id', [10, 'customer 3']), [{ id: 3 }]);
    assert.deepEqual(await rows('SELECT $2 AS b, $1 AS a', ['x', 2.5]), [{ b: 2.5, a: 'x' }]);
    assert.deepEqual(await rows('SELECT count(*) AS n FROM clean.orders WHERE id >= $low AND $flag', { low: 4990, flag: true }), [{ n: 10 }]);
    assert.deepEqual(await rows('SELECT ? IS NULL AS missing', [null]), [{ missing: true }]);
  });

  it('should make injection through params impossible', async () => {
    const hostile = "customer 1' OR '1'='1";
    assert.deepEqual(JSON.parse((await result(pool, await job('SELECT count(*) AS n FROM clean.orders WHERE name = ?', { params: [hostile] }))).toString()), [{ n: 0 }]);
    const stacked = "x'); COPY (SELECT 1) TO '/tmp/ade-pwned.csv'; SELECT ('";
    assert.deepEqual(JSON.parse((await result(pool, await job('SELECT ? AS s', { params: [stacked] }))).toString()), [{ s: stacked }]);
    assert.deepEqual(JSON.parse((await result(pool, await job('SELECT count(*) AS n FROM clean.orders'))).toString()), [{ n: 5000 }]);
    for (const [params, what] of [
      [[1, 2], 'too many'],
      [[], 'too few'],
      [{ nope: 1 }, 'an unknown name'],
      [[{ nested: 1 }], 'an object value'],
    ] as const) {
      const e = await failure(pool, await job('SELECT ? AS v', { params: params as never }));
      assert.equal(e.code, 'validation.sql_params', what);
      assert.equal(e.status, 400, what);
    }
    const stackedWithParams = await failure(pool, await job('SELECT ? AS a; SELECT 2', { params: [1] }));
    assert.equal(stackedWithParams.status, 400);
  });

  it('should refuse hostile SQL inside the worker with 4xx errors', async () => {
    const rawFiles = join(lake.store.localRoot(), 'raw', '**', '*.parquet');
    const hostile = [
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_text('/etc/passwd')",
      `SELECT * FROM read_parquet('${rawFiles}')`,
      'SELECT * FROM raw.secrets',
      "COPY (SELECT 1) TO '/tmp/ade-pool-copy.csv'",
      "ATTACH '/tmp/ade-pool.db' AS x",
      'INSTALL httpfs',
      'LOAD httpfs',
      "SET memory_limit = '100GB'",
      "PRAGMA enable_external_access",
      'SELECT 1; DROP TABLE clean.orders',
      'SELEC 1',
    ];
    for (const sql of hostile) {
      for (const limit of [undefined, 10]) {
        const e = await failure(pool, await job(sql, limit === undefined ? {} : { limit }));
        assert.ok(e.status >= 400 && e.status < 500, `${sql} (limit ${limit}): ${e.status} ${e.code} ${e.message}`);
      }
    }
    const own = await failure(pool, await job(`SELECT * FROM read_parquet('${rawFiles}')`));
    assert.equal(own.status, 403, 'a zone the role may not read is a permission error');
  });

  it('should stop a query at its time limit and keep serving', async () => {
    const quick = new QueryPool(lake.engine.config, { size: 1, timeoutMs: 300, graceMs: 2_000 });
    try {
      const e = await failure(quick, await job(SLOW));
      assert.equal(e.code, 'query.timeout');
      assert.equal(e.status, 504);
      assert.deepEqual(JSON.parse((await result(quick, await job('SELECT 42 AS answer'))).toString()), [{ answer: 42 }]);
    } finally {
      await quick.close();
    }
  });

  it('should kill a worker that does not stop in time, and replace it', async () => {
    const quick = new QueryPool(lake.engine.config, { size: 1, timeoutMs: 300, graceMs: 300 });
    try {
      await result(quick, await job('SELECT 1 AS warm'));
      const [worker] = quick.workers();
      const running = failure(quick, await job(SLOW));
      await until(() => quick.workers().some((w) => w.busy));
      process.kill(worker!.pid, 'SIGSTOP'); // a worker that no longer answers
      const e = await running;
      assert.equal(e.code, 'query.timeout');
      assert.deepEqual(JSON.parse((await result(quick, await job('SELECT 7 AS n'))).toString()), [{ n: 7 }]);
      assert.notEqual(quick.workers()[0]!.pid, worker!.pid);
    } finally {
      await quick.close();
    }
  });

  it('should fail only the query of a worker killed mid-query, and replace the worker', async () => {
    await Promise.all([result(pool, await job('SELECT 1 AS a')), result(pool, await job('SELECT 2 AS b'))]);
    const before = quickPids(pool);
    assert.equal(before.length, 2);
    const doomed = failure(pool, await job(SLOW));
    await until(() => pool.workers().filter((w) => w.busy).length === 1);
    const victim = pool.workers().find((w) => w.busy)!.pid;
    // The other worker keeps serving while the first one runs.
    assert.deepEqual(JSON.parse((await result(pool, await job('SELECT count(*) AS n FROM clean.orders'))).toString()), [{ n: 5000 }]);
    process.kill(victim, 'SIGKILL');
    const e = await doomed;
    assert.equal(e.code, 'query.worker_crashed');
    assert.equal(e.status, 500);
    await until(() => pool.workers().length === 2);
    assert.ok(!quickPids(pool).includes(victim), 'the killed worker was replaced');
    assert.deepEqual(JSON.parse((await result(pool, await job('SELECT 3 AS c'))).toString()), [{ c: 3 }]);
  });

  it('should fail a query that needs more memory than its worker may use, not the server', async () => {
    const small = new QueryPool(lake.engine.config, { size: 1, memoryLimit: '64MB', timeoutMs: 60_000 });
    try {
      const e = await failure(small, await job("SELECT length(string_agg(repeat('x', 1000) || range::VARCHAR, ',')) AS n FROM range(5000000)"));
      assert.ok(['engine.out_of_memory', 'query.out_of_memory'].includes(e.code), `${e.code}: ${e.message}`);
      assert.equal(e.status, 503);
      // A value DuckDB's limit does not stop grows the worker past its bound: the pool kills it.
      const huge = await failure(small, await job("SELECT repeat('x', 300000000) AS s"));
      assert.equal(huge.code, 'query.out_of_memory', huge.message);
      assert.equal(huge.status, 503);
      assert.deepEqual(JSON.parse((await result(small, await job('SELECT 5 AS n'))).toString()), [{ n: 5 }]);
    } finally {
      await small.close();
    }
  });

  it('should not count the time a slow client takes against the query, yet drop a client that stops reading', async () => {
    const strict = new QueryPool(lake.engine.config, { size: 1, timeoutMs: 1_000, graceMs: 500, stallMs: 300 });
    try {
      const sql = 'SELECT id, name, amount, day FROM clean.orders, range(10) ORDER BY id';
      const fast = await result(strict, await job(sql));
      assert.ok(fast.length > 2 * 2 ** 20, 'more than the worker may send ahead');
      const chunks: Buffer[] = [];
      await strict.run(await job(sql), async (chunk) => {
        chunks.push(chunk);
        await new Promise((resolve) => setTimeout(resolve, 100));
      });
      assert.ok(Buffer.concat(chunks).equals(fast));
      await assert.rejects(
        strict.run(await job(sql), () => new Promise<void>(() => undefined)),
        { code: 'query.output_stalled' },
      );
      assert.deepEqual(JSON.parse((await result(strict, await job('SELECT 6 AS n'))).toString()), [{ n: 6 }]);
    } finally {
      await strict.close();
    }
  });

  it('should refuse queries past its queue with query.busy and a retry delay', async () => {
    const tiny = new QueryPool(lake.engine.config, { size: 1, maxQueued: 1, timeoutMs: 500 });
    try {
      await result(tiny, await job('SELECT 1 AS warm'));
      const first = failure(tiny, await job(SLOW));
      const second = failure(tiny, await job(SLOW));
      const refused = await failure(tiny, await job('SELECT 1'));
      assert.equal(refused.code, 'query.busy');
      assert.equal(refused.status, 503);
      assert.equal((await first).code, 'query.timeout');
      assert.equal((await second).code, 'query.timeout');
    } finally {
      await tiny.close();
    }
  });

  it('should cancel a query whose caller gives up, and stop its workers on close', async () => {
    const own = new QueryPool(lake.engine.config, { size: 1 });
    const gone = new AbortController();
    const running = own.run(await job(SLOW), () => undefined, { signal: gone.signal });
    await until(() => own.workers().some((w) => w.busy));
    gone.abort();
    await assert.rejects(running, { code: 'query.cancelled' });
    await until(() => !own.workers().some((w) => w.busy));
    const pids = quickPids(own);
    await own.close();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
    await assert.rejects(own.run(await job('SELECT 1'), () => undefined), { code: 'query.closed' });
  });
});

describe('QueryPool workers', () => {
  it('should die with the process that started them, even mid-query', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ade-query-orphans-'));
    // A parent that starts a pool, puts a slow query on one worker, prints the workers' pids, then waits to be killed.
    const script = `
      const { QueryPool } = await import(${JSON.stringify(new URL('./query-pool.ts', import.meta.url).href)});
      const { DEFAULT_ENGINE_CONFIG } = await import(${JSON.stringify(new URL('../engine/index.ts', import.meta.url).href)});
      const pool = new QueryPool({ ...DEFAULT_ENGINE_CONFIG, threads: 1, tempDir: ${JSON.stringify(join(dir, 'tmp'))} }, { size: 2 });
      const session = { principal: { name: 'a', role: 'analyst' }, tables: [], allowedDirectories: [] };
      void pool.run({ session, sql: ${JSON.stringify(SLOW)}, format: 'csv' }, () => undefined).catch(() => undefined);
      const timer = setInterval(() => {
        const workers = pool.workers();
        if (workers.length === 2 && workers.some((w) => w.busy)) { clearInterval(timer); console.log(JSON.stringify(workers.map((w) => w.pid))); }
      }, 20);
      setInterval(() => undefined, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => out.includes(']'));
      const pids = JSON.parse(out) as number[];
      parent.kill('SIGKILL');
      await until(() => pids.every((pid) => !alive(pid)));
    } finally {
      parent.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** True while `pid` runs (a zombie waiting to be reaped does not). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function quickPids(pool: QueryPool): number[] {
  return pool.workers().map((w) => w.pid);
}

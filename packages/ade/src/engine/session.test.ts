import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isAdeError } from '../kernel/index.js';
import type { OutputFormat, Session, TableBinding } from './index.js';
import { openTestLake, type TestLake } from './test-support/test-lake.js';

/** A query that keeps DuckDB busy for many seconds. */
const SLOW = 'SELECT count(*) FROM range(2000000000) a, range(100) b WHERE a.range + b.range = -1';

/** A writable that keeps what it is given, optionally slowly and with a tiny buffer. */
function collector(options: { delayMs?: number; highWaterMark?: number } = {}): Writable & { text(): string } {
  const parts: string[] = [];
  const out = new Writable({
    highWaterMark: options.highWaterMark ?? 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk.toString('utf8'));
      if (options.delayMs) setTimeout(callback, options.delayMs);
      else callback();
    },
  });
  return Object.assign(out, { text: () => parts.join('') });
}

async function written(session: Session, sql: string, format: OutputFormat): Promise<string> {
  const out = collector();
  await session.writeTo(sql, format, out);
  return out.text();
}

describe('Session', () => {
  let lake: TestLake;
  let session: Session;
  let events: TableBinding;
  let empty: TableBinding;
  let items: TableBinding;

  before(async () => {
    lake = await openTestLake({ queryTimeoutMs: 5_000 });
    // Two batches: the second adds a column (`channel`) and writes `id` as INTEGER, not BIGINT.
    const first = await lake.table(
      'clean',
      'events',
      `SELECT * FROM (VALUES
         (1::BIGINT, 'signup', 9.5::DECIMAL(10,2), DATE '2024-01-31', TIMESTAMP '2024-01-31 12:00:00.250'),
         (2::BIGINT, 'login', NULL, DATE '2024-02-01', TIMESTAMP '2024-02-01 08:30:00')
       ) AS t(id, name, amount, day, seen_at)`,
    );
    events = await lake.table(
      'clean',
      'events',
      `SELECT 3::INTEGER AS id, 'buy' AS name, 12.25::DECIMAL(10,2) AS amount, DATE '2024-02-02' AS day,
              TIMESTAMP '2024-02-02 00:00:00' AS seen_at, 'web' AS channel`,
      first,
    );
    events = {
      ...events,
      columns: [
        ...first.columns,
        { name: 'channel', type: 'VARCHAR' },
        { name: 'score', type: 'DOUBLE' },
      ],
    };
    empty = {
      zone: 'model',
      name: 'nothing_d',
      columns: [
        { name: 'key', type: 'BIGINT' },
        { name: 'label', type: 'VARCHAR' },
        { name: 'at', type: 'TIMESTAMP' },
      ],
      files: [],
    };
    items = await lake.table('clean', 'items', "SELECT range::INTEGER AS sku, 'item ' || range AS label FROM range(3)");
    items = await lake.table('clean', 'items', "SELECT range::INTEGER AS sku, 'item ' || range AS label FROM range(3, 5)", items);
    session = await lake.engine.openSession(lake.as('analyst', [events, empty, items]));
  });

  after(async () => {
    await lake.close();
  });

  describe('views', () => {
    it('should return exactly the rows of the bound files, JSON-safe', async () => {
      const result = await session.query('SELECT id, name, amount, day, seen_at FROM clean.events ORDER BY id');
      assert.deepEqual(result.columns, [
        { name: 'id', type: 'BIGINT' },
        { name: 'name', type: 'VARCHAR' },
        { name: 'amount', type: 'DECIMAL(10,2)' },
        { name: 'day', type: 'DATE' },
        { name: 'seen_at', type: 'TIMESTAMP' },
      ]);
      assert.deepEqual(result.rows, [
        { id: 1, name: 'signup', amount: 9.5, day: '2024-01-31', seen_at: '2024-01-31T12:00:00.25' },
        { id: 2, name: 'login', amount: null, day: '2024-02-01', seen_at: '2024-02-01T08:30:00' },
        { id: 3, name: 'buy', amount: 12.25, day: '2024-02-02', seen_at: '2024-02-02T00:00:00' },
      ]);
      assert.equal(result.rowCount, 3);
    });

    it('should union files by name: a column missing from older files, or from all files, reads as NULL', async () => {
      const result = await session.query('SELECT id, channel, score FROM clean.events ORDER BY id');
      assert.deepEqual(result.rows, [
        { id: 1, channel: null, score: null },
        { id: 2, channel: null, score: null },
        { id: 3, channel: 'web', score: null },
      ]);
      const described = await session.describe('SELECT * FROM clean.events');
      assert.deepEqual(
        described.map((c) => `${c.name} ${c.type}`),
        ['id BIGINT', 'name VARCHAR', 'amount DECIMAL(10,2)', 'day DATE', 'seen_at TIMESTAMP', 'channel VARCHAR', 'score DOUBLE'],
      );
    });

    it('should read every file of a table and push filters into the Parquet scan', async () => {
      const all = await session.query('SELECT sku, label FROM clean.items ORDER BY sku');
      assert.deepEqual(
        all.rows,
        [0, 1, 2, 3, 4].map((i) => ({ sku: i, label: `item ${i}` })),
      );
      const plan = await session.query('EXPLAIN SELECT label FROM clean.items WHERE sku = 3');
      const text = plan.rows.map((r) => String(r['explain_value'])).join('\n');
      assert.match(text, /READ_PARQUET[\s\S]*Filters:[\s│]*sku=3/);
    });

    it('should type the view of a table without files', async () => {
      const result = await session.query('SELECT * FROM model.nothing_d');
      assert.equal(result.rowCount, 0);
      assert.deepEqual(result.columns, [
        { name: 'key', type: 'BIGINT' },
        { name: 'label', type: 'VARCHAR' },
        { name: 'at', type: 'TIMESTAMP' },
      ]);
      const sum = await session.query('SELECT sum(key) + 1 AS s FROM model.nothing_d');
      assert.deepEqual(sum.rows, [{ s: null }]);
    });

    it('should list the bound tables', async () => {
      const result = await session.query("SELECT schema_name || '.' || view_name AS t FROM duckdb_views() WHERE NOT internal ORDER BY 1");
      assert.deepEqual(
        result.rows.map((r) => r['t']),
        ['clean.events', 'clean.items', 'model.nothing_d'],
      );
    });
  });

  describe('values', () => {
    it('should convert big integers, decimals, blobs, lists, structs and maps to JSON-safe values', async () => {
      const { rows } = await session.query(`SELECT
        9007199254740991::BIGINT AS safe,
        9007199254740993::BIGINT AS unsafe,
        170141183460469231731687303715884105727::HUGEINT AS huge,
        -42::HUGEINT AS small_huge,
        123.456::DECIMAL(18,3) AS dec,
        'NaN'::DOUBLE AS nan,
        '\\x00\\xFFhi'::BLOB AS bytes,
        TIMESTAMPTZ '2024-01-31 12:00:00.5+00' AS tz,
        [1, NULL, 3] AS list,
        {'a': 1, 'b': [DATE '2024-01-01']} AS struct,
        MAP {'k': 1::BIGINT} AS map,
        true AS flag,
        'a"b' AS text`);
      assert.deepEqual(rows, [
        {
          safe: 9007199254740991,
          unsafe: '9007199254740993',
          huge: '170141183460469231731687303715884105727',
          small_huge: -42,
          dec: 123.456,
          nan: 'NaN',
          bytes: Buffer.from([0, 255, 104, 105]).toString('base64'),
          tz: '2024-01-31T12:00:00.5Z',
          list: [1, null, 3],
          struct: { a: 1, b: ['2024-01-01'] },
          map: [{ key: 'k', value: 1 }],
          flag: true,
          text: 'a"b',
        },
      ]);
      assert.doesNotThrow(() => JSON.stringify(rows));
    });

    it('should keep duplicate column names apart', async () => {
      const result = await session.query('SELECT 1 AS a, 2 AS a');
      assert.deepEqual(result.columns.map((c) => c.name), ['a', 'a:1']);
      assert.deepEqual(result.rows, [{ a: 1, 'a:1': 2 }]);
    });
  });

  describe('statements', () => {
    it('should return the result of the last of several SELECTs', async () => {
      const result = await session.query('SELECT 1 AS x; SELECT 2 AS y;');
      assert.deepEqual(result.rows, [{ y: 2 }]);
    });

    it('should run DESCRIBE, SUMMARIZE, SHOW, PIVOT with IN and EXPLAIN', async () => {
      assert.equal((await session.query('DESCRIBE clean.events')).rowCount, 7);
      assert.equal((await session.query('SUMMARIZE clean.events')).rowCount, 7);
      assert.ok((await session.query('SHOW ALL TABLES')).rowCount >= 2);
      const pivot = await session.query("PIVOT (SELECT name FROM clean.events) ON name IN ('buy', 'login') USING count(*)");
      assert.equal(pivot.rowCount, 1);
      const plan = await session.query('EXPLAIN SELECT * FROM clean.events WHERE id = 1');
      assert.equal(plan.columns[0]?.name, 'explain_key');
      const analyzed = await session.query('EXPLAIN ANALYZE SELECT count(*) FROM clean.events');
      assert.equal(analyzed.rowCount, 1);
    });

    it('should report a syntax error with the line and caret DuckDB gives', async () => {
      await assert.rejects(
        () => session.query('SELECT * FROM clean.events WHER id = 1'),
        (e: unknown) => {
          assert.ok(isAdeError(e));
          assert.equal(e.code, 'engine.syntax_error');
          assert.match(e.message, /^Parser Error: syntax error at or near "id"\nLINE 1: SELECT \* FROM clean\.events WHER id = 1\n\s+\^$/);
          return true;
        },
      );
    });

    it('should report a binder error as engine.query_failed with its context', async () => {
      await assert.rejects(
        () => session.query('SELECT nope FROM clean.events'),
        (e: unknown) =>
          isAdeError(e) && e.code === 'engine.query_failed' && e.details['kind'] === 'binder' && /LINE 1:/.test(e.message),
      );
    });

    it('should refuse empty SQL', async () => {
      await assert.rejects(() => session.query('  -- nothing\n'), { code: 'validation.sql_empty' });
    });
  });

  describe('time limits', () => {
    it('should interrupt a slow query at its timeout and stay usable', async () => {
      const started = performance.now();
      await assert.rejects(
        () => session.query(SLOW, { timeoutMs: 300 }),
        (e: unknown) => {
          assert.ok(isAdeError(e));
          assert.equal(e.code, 'engine.timeout');
          assert.equal(e.retryable, false);
          assert.match(e.hint ?? '', /queryTimeoutMs/);
          return true;
        },
      );
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 3_000, `interrupted after ${elapsed} ms`);
      assert.deepEqual((await session.query('SELECT 42 AS answer')).rows, [{ answer: 42 }]);
    });

    it('should apply the configured queryTimeoutMs by default', async () => {
      const quick = await lake.engine.openSession(lake.as('viewer', []));
      try {
        await assert.rejects(() => quick.query(SLOW, {}), { code: 'engine.timeout' });
      } finally {
        await quick.close();
      }
    });

    it('should run queries off the event loop', async () => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      try {
        await assert.rejects(() => session.query(SLOW, { timeoutMs: 600 }), { code: 'engine.timeout' });
      } finally {
        clearInterval(timer);
      }
      assert.ok(ticks >= 20, `the event loop ticked only ${ticks} times in 600 ms`);
    });

    it('should keep file I/O responsive while slow queries queue for the engine', async () => {
      const busy = await openTestLake({ maxConcurrentQueries: 2 });
      try {
        const crowd = await busy.engine.openSession(busy.as('viewer', []));
        const slow = Array.from({ length: 6 }, () => assert.rejects(crowd.query(SLOW, { timeoutMs: 300 }), { code: 'engine.timeout' }));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const started = performance.now();
        await stat(busy.root);
        const waited = performance.now() - started;
        assert.ok(waited < 200, `a stat() waited ${waited} ms behind the queries`);
        await Promise.all(slow);
      } finally {
        await busy.close();
      }
    });

    it('should time out queries that started late, waiting for a libuv thread', async () => {
      // More queries than libuv threads: some start after their first interrupt.
      const crowded = await openTestLake({ maxConcurrentQueries: 6 });
      try {
        const crowd = await crowded.engine.openSession(crowded.as('viewer', []));
        const started = performance.now();
        await Promise.all(
          Array.from({ length: 6 }, () => assert.rejects(crowd.query(SLOW, { timeoutMs: 200 }), { code: 'engine.timeout' })),
        );
        assert.ok(performance.now() - started < 3_000);
      } finally {
        await crowded.close();
      }
    });

    it('should cancel running queries with engine.cancelled', async () => {
      const running = session.query(SLOW);
      setTimeout(() => session.cancel(), 100);
      await assert.rejects(running, { code: 'engine.cancelled' });
      assert.deepEqual((await session.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    });

    it('should cancel running queries when the session closes', async () => {
      const closing = await lake.engine.openSession(lake.as('viewer', []));
      const running = assert.rejects(closing.query(SLOW), { code: 'engine.cancelled' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await closing.close();
      await running;
    });
  });

  describe('stream', () => {
    it('should yield the result chunk by chunk with columns known first', async () => {
      const rows = session.stream('SELECT range AS n, range % 3 AS m FROM range(10000) ORDER BY n');
      assert.deepEqual(await rows.columns(), [
        { name: 'n', type: 'BIGINT' },
        { name: 'm', type: 'BIGINT' },
      ]);
      const sizes: number[] = [];
      let next = 0;
      for await (const chunk of rows) {
        sizes.push(chunk.length);
        for (const row of chunk) assert.deepEqual(row, { n: next, m: next++ % 3 });
      }
      assert.equal(next, 10000);
      assert.ok(sizes.length >= 5, `expected several chunks, got ${sizes.join(', ')}`);
      assert.ok(sizes.every((s) => s <= 2048));
    });

    it('should release the query when the reader stops early', async () => {
      let seen = 0;
      for await (const chunk of session.stream('SELECT range FROM range(1000000000)')) {
        seen += chunk.length;
        if (seen > 5000) break;
      }
      assert.ok(seen > 5000);
      assert.deepEqual((await session.query('SELECT 7 AS seven')).rows, [{ seven: 7 }]);
    });

    it('should fail a stream that runs out of time instead of ending it early', async () => {
      const rows = session.stream(`SELECT a.range FROM range(3) a, (${SLOW}) b`, { timeoutMs: 300 });
      await assert.rejects(async () => {
        for await (const _ of rows) {
          /* nothing arrives in time */
        }
      }, { code: 'engine.timeout' });
    });

    it('should not count time the reader spends between chunks', async () => {
      const rows = session.stream('SELECT range FROM range(5000)', { timeoutMs: 1_000 });
      let n = 0;
      for await (const chunk of rows) {
        n += chunk.length;
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
      assert.equal(n, 5000);
    });
  });

  describe('writeTo', () => {
    const TRICKY = `SELECT * FROM (VALUES
        (1, 'plain', 1.5, DATE '2024-01-31', [1, 2]),
        (2, 'with, comma', NULL, NULL, NULL),
        (3, 'with "quotes"', -2.0, DATE '2024-02-01', []),
        (4, E'two\\nlines', 0.0, DATE '2024-02-02', [3]),
        (5, '', 3.25, DATE '2024-02-03', [4])
      ) AS t(id, "label, text", x, day, tags) ORDER BY id`;

    it('should write RFC 4180 CSV with a header', async () => {
      assert.equal(
        await written(session, TRICKY, 'csv'),
        [
          'id,"label, text",x,day,tags',
          '1,plain,1.5,2024-01-31,"[1,2]"',
          '2,"with, comma",,,',
          '3,"with ""quotes""",-2,2024-02-01,[]',
          '4,"two\nlines",0,2024-02-02,[3]',
          '5,"",3.25,2024-02-03,[4]',
          '',
        ].join('\n'),
      );
    });

    it('should write NDJSON, one object per line', async () => {
      assert.equal(
        await written(session, 'SELECT range AS n, [range] AS l, NULL AS z FROM range(3)', 'ndjson'),
        '{"n":0,"l":[0],"z":null}\n{"n":1,"l":[1],"z":null}\n{"n":2,"l":[2],"z":null}\n',
      );
    });

    it('should write one JSON array', async () => {
      const text = await written(session, "SELECT range AS n, 'x' AS s FROM range(3)", 'json');
      assert.equal(text, '[\n{"n":0,"s":"x"},\n{"n":1,"s":"x"},\n{"n":2,"s":"x"}\n]\n');
      assert.equal(await written(session, 'SELECT 1 AS n WHERE false', 'json'), '[]\n');
      assert.equal(await written(session, 'SELECT 1 AS n WHERE false', 'csv'), 'n\n');
    });

    it('should wait for a slow reader and write every row', async () => {
      const out = collector({ delayMs: 2, highWaterMark: 64 });
      const result = await session.writeTo('SELECT range AS n FROM range(50000)', 'ndjson', out, { end: true });
      assert.equal(result.rowCount, 50000);
      const lines = out.text().trimEnd().split('\n');
      assert.equal(lines.length, 50000);
      assert.equal(lines[49999], '{"n":49999}');
      assert.equal(out.writableFinished, true);
    });

    /** Writes `sql` and says who encoded it. */
    async function encoded(sql: string, format: OutputFormat, options: { limit?: number } = {}): Promise<{ text: string; by: string }> {
      const out = collector();
      const result = await session.writeTo(sql, format, out, options);
      return { text: out.text(), by: result.encodedBy };
    }

    it('should have DuckDB write the JSON of a query that was large, with the same values as the rows query() returns', async () => {
      const cases = [
        {
          sql: `SELECT range AS id, 'row ' || range AS label, range / 3 AS ratio, (range % 5)::DECIMAL(10, 2) AS amount,
                TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (range) SECOND AS at, range % 2 = 0 AS even FROM range(5000) ORDER BY id DESC`,
          then: 'duckdb',
        },
        // Small: JavaScript writes it however often it runs.
        { sql: 'SELECT * FROM clean.events ORDER BY id', then: 'javascript' },
        // A list column: JavaScript, large or not.
        { sql: 'SELECT range AS id, [range, range + 1] AS pair FROM range(3000)', then: 'javascript' },
      ];
      for (const { sql, then } of cases) {
        const rows = JSON.parse(JSON.stringify((await session.query(sql)).rows));
        for (const run of [1, 2]) {
          const json = await encoded(sql, 'json');
          assert.deepEqual(JSON.parse(json.text), rows, sql);
          assert.equal(json.by, run === 1 ? 'javascript' : then, `run ${run}: ${sql}`);
          const ndjson = await encoded(sql, 'ndjson');
          const lines = ndjson.text.split('\n');
          assert.equal(lines.pop(), '');
          assert.deepEqual(lines.map((l) => JSON.parse(l)), rows, sql);
          assert.equal(ndjson.by, then);
        }
      }
      // Repeated column names get the keys JavaScript rows get, on both paths.
      const dup = 'SELECT range AS a, range + 1 AS a FROM range(3000)';
      for (const by of ['javascript', 'duckdb']) {
        const out = collector();
        const result = await session.writeTo(dup, 'json', out);
        assert.equal(result.encodedBy, by);
        assert.deepEqual(result.columns, [{ name: 'a', type: 'BIGINT' }, { name: 'a:1', type: 'BIGINT' }]);
        assert.ok(out.text().startsWith('[\n{"a":0,"a:1":1},\n{"a":1,"a:1":2}'), out.text().slice(0, 40));
      }
    });

    it('should write at most `limit` rows, in the query\'s order, on both paths', async () => {
      const sql = 'SELECT range AS n FROM range(3000) ORDER BY n DESC -- newest first';
      assert.equal((await encoded(sql, 'json', { limit: 2500 })).by, 'javascript');
      for (const format of ['json', 'csv'] as const) {
        const { text, by } = await encoded(sql, format, { limit: 3 });
        assert.equal(text, format === 'json' ? '[\n{"n":2999},\n{"n":2998},\n{"n":2997}\n]\n' : 'n\n2999\n2998\n2997\n', format);
        assert.equal(by, format === 'json' ? 'duckdb' : 'javascript');
      }
      await assert.rejects(() => session.writeTo(sql, 'json', collector(), { limit: 0 }), /limit must be a positive integer/);
    });

    it('should stop the query when the output closes early, whether JavaScript or DuckDB writes the text', async () => {
      const big = 'SELECT range AS n FROM range(100000000)';
      // Seen large once (5,000 rows under a limit): the NDJSON that follows is DuckDB's.
      await encoded(big, 'ndjson', { limit: 5000 });
      for (const format of ['csv', 'ndjson'] as const) {
        const out = collector({ delayMs: 5, highWaterMark: 64 });
        setTimeout(() => out.destroy(), 50);
        await assert.rejects(() => session.writeTo(big, format, out), {
          code: 'engine.output_closed',
        });
        assert.deepEqual((await session.query('SELECT 1 AS ok')).rows, [{ ok: 1 }]);
      }
    });
  });
});

import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PermissionError } from '../kernel/index.js';
import type { WriteRequest, WriteResult } from './index.js';
import { openTestLake, type TestLake } from './test-support/test-lake.js';

/** 20 000 rows over every kind of column the statistics cover. */
const ROWS = `SELECT
    range::BIGINT AS id,
    'name-' || lpad((range % 997)::VARCHAR, 4, '0') AS name,
    CASE WHEN range % 7 = 0 THEN NULL ELSE (range % 100)::DOUBLE / 4 END AS score,
    ((range % 1000) / 8)::DECIMAL(12,3) AS amount,
    DATE '2024-01-01' + (range % 366)::INTEGER AS day,
    TIMESTAMP '2024-01-01 00:00:00' + to_seconds(range) AS seen_at,
    range % 2 = 0 AS even,
    NULL::VARCHAR AS never,
    [range, range + 1] AS pair,
    TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(range * 60) AS seen_tz,
    CASE range % 3 WHEN 0 THEN '\u{1F600}' WHEN 1 THEN '\u{FFDA}' ELSE 'z' END || (range % 10) AS glyph,
    (range * 1000003)::UBIGINT AS big
  FROM range(20000)`;

describe('Engine.write', () => {
  let lake: TestLake;

  before(async () => {
    lake = await openTestLake({ targetFileBytes: 16 * 1024, rowGroupSize: 1024 });
  });

  after(async () => {
    await lake.close();
  });

  function request(sql: string, name: string, extra: Partial<WriteRequest> = {}): WriteRequest {
    return {
      sql,
      tables: [],
      readPaths: [],
      readDirectories: [],
      outDir: join(lake.dir('clean'), name, 'data'),
      filePrefix: 'b1',
      ...extra,
    };
  }

  /** Per-file truth, computed by DuckDB over the data of each written file. */
  async function actualStats(result: WriteResult) {
    const truth = [];
    for (const file of result.files) {
      const { rows } = await lake.engine.inspect(
        `SELECT count(*) AS rows,
                count(*) - count(score) AS score_nulls, min(score) AS score_min, max(score) AS score_max,
                min(id) AS id_min, max(id) AS id_max, min(name) AS name_min, max(name) AS name_max,
                min(amount) AS amount_min, max(amount) AS amount_max, min(day) AS day_min, max(day) AS day_max,
                min(seen_at) AS at_min, max(seen_at) AS at_max, bool_or(even) AS even_max, bool_and(even) AS even_min,
                min(seen_tz) AS tz_min, max(seen_tz) AS tz_max, min(glyph) AS glyph_min, max(glyph) AS glyph_max,
                min(big) AS big_min, max(big) AS big_max
           FROM read_parquet('${file.localPath}')`,
        { readPaths: [file.localPath] },
      );
      truth.push(rows[0]!);
    }
    return truth;
  }

  it('should write several complete files with exact per-file statistics', async () => {
    const result = await lake.engine.write(request(ROWS, 'stats'));
    assert.equal(result.rows, 20000);
    assert.ok(result.files.length >= 3, `expected several files, got ${result.files.length}`);
    assert.deepEqual(
      result.files.map((f) => basename(f.localPath)),
      result.files.map((_, i) => `b1-${i}.parquet`),
    );
    assert.equal(
      result.files.reduce((s, f) => s + f.rows, 0),
      20000,
    );
    assert.ok(result.files.every((f) => f.rows > 0), 'no empty file is published');
    assert.deepEqual(result.columns, [
      { name: 'id', type: 'BIGINT' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'score', type: 'DOUBLE' },
      { name: 'amount', type: 'DECIMAL(12,3)' },
      { name: 'day', type: 'DATE' },
      { name: 'seen_at', type: 'TIMESTAMP' },
      { name: 'even', type: 'BOOLEAN' },
      { name: 'never', type: 'VARCHAR' },
      { name: 'pair', type: 'BIGINT[]' },
      { name: 'seen_tz', type: 'TIMESTAMP WITH TIME ZONE' },
      { name: 'glyph', type: 'VARCHAR' },
      { name: 'big', type: 'UBIGINT' },
    ]);

    const truth = await actualStats(result);
    result.files.forEach((file, i) => {
      const t = truth[i]!;
      const s = file.columnStats;
      assert.equal(file.rows, t['rows']);
      assert.ok(file.bytes > 0);
      assert.deepEqual(s['id'], { nulls: 0, min: t['id_min'], max: t['id_max'] });
      assert.deepEqual(s['name'], { nulls: 0, min: t['name_min'], max: t['name_max'] });
      assert.deepEqual(s['score'], { nulls: t['score_nulls'], min: t['score_min'], max: t['score_max'] });
      assert.deepEqual(s['amount'], { nulls: 0, min: t['amount_min'], max: t['amount_max'] });
      assert.deepEqual(s['day'], { nulls: 0, min: t['day_min'], max: t['day_max'] });
      assert.deepEqual(s['seen_at'], { nulls: 0, min: t['at_min'], max: t['at_max'] });
      assert.deepEqual(s['even'], { nulls: 0, min: t['even_min'], max: t['even_max'] });
      assert.deepEqual(s['seen_tz'], { nulls: 0, min: t['tz_min'], max: t['tz_max'] });
      assert.deepEqual(s['glyph'], { nulls: 0, min: t['glyph_min'], max: t['glyph_max'] }, 'strings order by UTF-8 bytes');
      assert.deepEqual(s['big'], { nulls: 0, min: t['big_min'], max: t['big_max'] });
      assert.deepEqual(s['never'], { nulls: file.rows }, 'an all-null column has no min or max');
      assert.equal(s['pair'], undefined, 'nested columns have no statistics');
    });
    // Typed, JSON-safe values, not the strings Parquet keeps.
    const first = result.files[0]!.columnStats;
    assert.equal(first['id']!.min, 0);
    assert.equal(typeof first['amount']!.max, 'number');
    assert.match(String(first['seen_at']!.min), /^2024-01-01T00:00:00$/);
  });

  it('should leave only the finished files in the output directory', async () => {
    const result = await lake.engine.write(request('SELECT range AS n FROM range(10)', 'tidy'));
    assert.deepEqual(await readdir(join(lake.dir('clean'), 'tidy', 'data')), ['b1-0.parquet']);
    assert.equal(result.files[0]!.columnStats['n']!.max, 9);
  });

  it('should write no file for an empty result but still return its columns', async () => {
    const result = await lake.engine.write(request('SELECT 1::INTEGER AS a, NULL::DATE AS b WHERE false', 'empty'));
    assert.deepEqual(result, {
      columns: [
        { name: 'a', type: 'INTEGER' },
        { name: 'b', type: 'DATE' },
      ],
      files: [],
      rows: 0,
    });
    assert.deepEqual(await readdir(join(lake.dir('clean'), 'empty', 'data')), []);
  });

  it('should write Parquet field ids when given', async () => {
    const result = await lake.engine.write(
      request('SELECT 1::BIGINT AS id, 2 AS "other one"', 'ids', { fieldIds: { id: 7, 'other one': 8 } }),
    );
    const path = result.files[0]!.localPath;
    const { rows } = await lake.engine.inspect(
      `SELECT name, field_id FROM parquet_schema('${path}') WHERE field_id IS NOT NULL ORDER BY field_id`,
      { readPaths: [path] },
    );
    assert.deepEqual(rows, [
      { name: 'id', field_id: 7 },
      { name: 'other one', field_id: 8 },
    ]);
  });

  it('should never overwrite files of the same prefix', async () => {
    await lake.engine.write(request('SELECT 1 AS a', 'again'));
    await assert.rejects(() => lake.engine.write(request('SELECT 2 AS a', 'again')), { code: 'engine.file_exists' });
    const second = await lake.engine.write(request('SELECT 2 AS a', 'again', { filePrefix: 'b2' }));
    assert.equal(second.rows, 1);
  });

  it('should read bound tables, listed paths and directories only', async () => {
    const input = join(lake.dir('raw'), 'orders.csv');
    await writeFile(input, 'id,total\n1,9.5\n2,12\n');
    const loaded = await lake.engine.write(request(`SELECT * FROM read_csv('${input}')`, 'orders', { readPaths: [input] }));
    assert.equal(loaded.rows, 2);
    const orders = {
      zone: 'clean',
      name: 'orders',
      columns: loaded.columns,
      files: loaded.files.map((f) => f.localPath),
    };
    const model = await lake.engine.write({
      ...request('SELECT sum(total) AS revenue FROM clean.orders', 'revenue'),
      outDir: join(lake.dir('report'), 'revenue', 'data'),
      tables: [orders],
    });
    assert.equal(model.files[0]!.columnStats['revenue']!.max, 21.5);
    await assert.rejects(
      () => lake.engine.write(request(`SELECT * FROM read_csv('${input}')`, 'unlisted')),
      (e: unknown) => e instanceof PermissionError,
    );
    await assert.rejects(
      () => lake.engine.write(request("SELECT * FROM read_text('/etc/passwd')", 'passwd')),
      (e: unknown) => e instanceof PermissionError,
    );
  });

  it('should accept a trailing semicolon or comment', async () => {
    const a = await lake.engine.write(request('SELECT 1 AS a;', 'semi'));
    const b = await lake.engine.write(request('SELECT 1 AS a -- the answer', 'comment'));
    assert.equal(a.rows + b.rows, 2);
  });

  it('should refuse anything but one SELECT', async () => {
    const target = join(lake.dir('clean'), 'x.csv');
    await assert.rejects(
      () => lake.engine.write(request(`COPY (SELECT 1) TO '${target}'`, 'copy')),
      (e: unknown) => e instanceof PermissionError,
    );
    await assert.rejects(() => lake.engine.write(request('SELECT 1; SELECT 2', 'two')), { code: 'validation.sql_statements' });
    await assert.rejects(
      () => lake.engine.write(request('EXPLAIN SELECT 1', 'explain')),
      (e: unknown) => e instanceof PermissionError,
    );
    await assert.rejects(() => lake.engine.write(request('SELECT 1 AS a', 'prefix', { filePrefix: '../up' })), {
      code: 'validation.file_prefix',
    });
  });

  it('should write distinct column names when a SELECT repeats one', async () => {
    // The write binds the SELECT once, inside COPY; DuckDB then names repeats a, a_1, ….
    const result = await lake.engine.write(request('SELECT 1 AS a, 2 AS a', 'dup'));
    assert.deepEqual(result.columns.map((c) => c.name), ['a', 'a_1']);
  });

  it('should count rows from Parquet footers', async () => {
    const result = await lake.engine.write(request(ROWS, 'count'));
    assert.equal(await lake.engine.countParquetRows(result.files.map((f) => f.localPath)), 20000);
    assert.equal(await lake.engine.countParquetRows([]), 0);
  });
});

import { DuckDBInstance, type DuckDBBlobVector, type DuckDBConnection } from '@duckdb/node-api';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chunkRows } from './json-values.js';
import { deduplicatedNames, jsonRowsSql } from './json-rows-sql.js';

let instance: DuckDBInstance;
let connection: DuckDBConnection;

before(async () => {
  instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  connection = await instance.connect();
});
after(() => {
  connection.closeSync();
  instance.closeSync();
});

/** Each row's text the JavaScript way: `jsonValue` then `JSON.stringify`. */
async function viaJs(sql: string): Promise<string[]> {
  const result = await connection.run(sql);
  const names = result.deduplicatedColumnNames();
  const out: string[] = [];
  for (const chunk of await result.fetchAllChunks()) for (const row of chunkRows(chunk, names)) out.push(JSON.stringify(row));
  return out;
}

/** Each row's text from `jsonRowsSql`, or undefined when it leaves the types to JavaScript. */
async function viaSql(sql: string): Promise<string[] | undefined> {
  const prepared = await connection.prepare(sql);
  const names = deduplicatedNames(Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnName(i)));
  const wrapped = jsonRowsSql(
    sql,
    names.map((name, i) => ({ name, type: prepared.columnType(i) })),
  );
  prepared.destroySync();
  if (wrapped === undefined) return undefined;
  const result = await connection.run(wrapped);
  const out: string[] = [];
  for (const chunk of await result.fetchAllChunks()) {
    const vector = chunk.getColumnVector(0) as DuckDBBlobVector;
    for (let i = 0; i < chunk.rowCount; i++) out.push(Buffer.from(vector.getItemBytes(i)!).toString('utf8'));
  }
  return out;
}

async function assertSame(sql: string): Promise<void> {
  const sqlText = await viaSql(sql);
  assert.ok(sqlText, `expected SQL encoding for ${sql}`);
  const jsText = await viaJs(sql);
  assert.equal(sqlText.length, jsText.length);
  for (let i = 0; i < jsText.length; i++) {
    // Same values (the number text may differ only where both parse to the same double), same key order.
    assert.deepEqual(JSON.parse(sqlText[i]!), JSON.parse(jsText[i]!), `row ${i} of ${sql}:\n sql ${sqlText[i]}\n js  ${jsText[i]}`);
    assert.deepEqual(Object.keys(JSON.parse(sqlText[i]!)), Object.keys(JSON.parse(jsText[i]!)).sort((a, b) => order(sqlText[i]!, a) - order(sqlText[i]!, b)));
  }
}
const order = (text: string, key: string) => text.indexOf(JSON.stringify(key) + ':');

describe('jsonRowsSql', () => {
  it('should write integers, with those past 2^53 as decimal strings, as jsonValue does', async () => {
    await assertSame(`SELECT i::TINYINT AS t, (i * 300 - 15000)::SMALLINT AS s, (i * 100000)::INTEGER AS n, i::UTINYINT AS ut, i::USMALLINT AS us, i::UINTEGER AS ui
      FROM range(0, 100) r(i)`);
    await assertSame(`SELECT * FROM (VALUES (9007199254740991::BIGINT, 9007199254740992::BIGINT, -9007199254740992::BIGINT, 18446744073709551615::UBIGINT,
      170141183460469231731687303715884105727::HUGEINT, 12::HUGEINT, 0::UHUGEINT, NULL::BIGINT)) v(a, b, c, d, e, f, g, h)`);
  });

  it('should write doubles, floats and decimals to the same values, NaN and infinities as strings', async () => {
    await assertSame(`SELECT (hash(i) % 1000003)::DOUBLE / 7.3 * pow(10, (i % 40) - 20) AS d, ((hash(i) % 1000)::DOUBLE / 999 - 0.5)::FLOAT AS f, (i / 7)::DECIMAL(18, 4) AS dec,
      (i * 1234.5678)::DECIMAL(38, 10) AS wide, 1e300 * i AS big, -0.0::DOUBLE AS negzero FROM range(0, 500) r(i)`);
    await assertSame(`SELECT * FROM (VALUES ('nan'::DOUBLE, 'inf'::DOUBLE, '-inf'::DOUBLE, 'nan'::FLOAT, NULL::DOUBLE, 5e-324::DOUBLE, 0.1::FLOAT)) v(a, b, c, d, e, f, g)`);
  });

  it('should write whole doubles as JavaScript does, without a fraction', async () => {
    const text = await viaSql("SELECT 2.0::DOUBLE AS a, -0.0::DOUBLE AS b, 1.5::DOUBLE AS c, 12::DECIMAL(10, 2) AS d, 9007199254740993.0::DOUBLE AS e");
    assert.deepEqual(text, ['{"a":2,"b":0,"c":1.5,"d":12,"e":9007199254740992.0}']);
    assert.equal(JSON.stringify(JSON.parse(text![0]!)), (await viaJs("SELECT 2.0::DOUBLE AS a, -0.0::DOUBLE AS b, 1.5::DOUBLE AS c, 12::DECIMAL(10, 2) AS d, 9007199254740993.0::DOUBLE AS e"))[0]);
  });

  it('should write text with every kind of escape, booleans, dates, timestamps in ISO form, UUIDs and base64 blobs', async () => {
    await assertSame(`SELECT * FROM (VALUES
      ('plain', true, DATE '2024-01-31', TIMESTAMP '2024-01-31 12:00:00', TIMESTAMP '2024-01-31 12:00:00.123456', TIMESTAMP_S '2024-02-29 23:59:59',
       TIMESTAMP_MS '1969-12-31 23:59:59.999', TIMESTAMPTZ '2024-01-31 12:00:00.5+00', '5ba9a6c5-4aeb-4b7d-8f22-7e4c0b7e4c0b'::UUID, '\\x00\\xFFab'::BLOB),
      ('quote " backslash \\ tab \t newline \n cr \r' || chr(1) || chr(31) || ' é 漢字 😀 </script>', false, DATE '0001-01-01', TIMESTAMP '1900-01-01 00:00:00',
       NULL, NULL, NULL, TIMESTAMPTZ '1970-01-01 00:00:00+00', NULL, ''::BLOB),
      (NULL, NULL, 'infinity'::DATE, 'infinity'::TIMESTAMP, '-infinity'::TIMESTAMP, NULL, NULL, 'infinity'::TIMESTAMPTZ, NULL, NULL)
    ) v(s, b, d, ts, us, sec, ms, tz, id, bytes)`);
  });

  it('should keep duplicate and unusual column names as the deduplicated keys JavaScript rows get', async () => {
    await assertSame(`SELECT 1 AS a, 2 AS a, 3 AS "it's", 4 AS "a b", 5 AS "x""y", 'v' AS "ü"`);
    assert.deepEqual(deduplicatedNames(['a', 'b', 'a', 'a']), ['a', 'b', 'a:1', 'a:2']);
  });

  it('should keep the order of an ORDER BY and survive a trailing line comment', async () => {
    await assertSame('SELECT i FROM range(0, 5000) r(i) ORDER BY i DESC -- newest first');
    const text = await viaSql('SELECT i FROM range(0, 5000) r(i) ORDER BY i DESC -- newest first');
    assert.equal(text![0], '{"i":4999}');
    assert.equal(text!.at(-1), '{"i":0}');
  });

  it('should leave nested values, intervals and nanosecond timestamps to JavaScript', async () => {
    for (const sql of ['SELECT [1, 2] AS l', "SELECT {'a': 1} AS s", "SELECT MAP {'k': 1} AS m", "SELECT INTERVAL '1 day' AS i", "SELECT TIMESTAMP_NS '2024-01-01 00:00:00.123456789' AS t"]) {
      assert.equal(await viaSql(sql), undefined, sql);
    }
  });
});

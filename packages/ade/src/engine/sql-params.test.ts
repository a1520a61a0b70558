import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Session } from './index.js';
import { checkSqlParams } from './sql-params.js';
import { openTestLake, type TestLake } from './test-support/test-lake.js';

describe('checkSqlParams', () => {
  it('should accept lists and plain objects of strings, finite numbers, booleans and nulls', () => {
    assert.deepEqual(checkSqlParams(['a', 1, 2.5, true, null]), ['a', 1, 2.5, true, null]);
    assert.deepEqual(checkSqlParams({ who: 'ana', n: 3 }), { who: 'ana', n: 3 });
  });

  it('should refuse anything else with validation.sql_params', () => {
    for (const bad of ['x', 1, null, [[1]], [{ a: 1 }], [Number.NaN], [Number.POSITIVE_INFINITY], { 'a b': 1 }, { '1': 1 }, new Date(), new Map()]) {
      assert.throws(() => checkSqlParams(bad), { code: 'validation.sql_params' }, JSON.stringify(bad));
    }
  });
});

describe('Session with params', () => {
  let lake: TestLake;
  let session: Session;
  before(async () => {
    lake = await openTestLake();
    const people = await lake.table('clean', 'people', "SELECT * FROM (VALUES (1, 'ana'), (2, 'bo')) AS t(id, name)");
    session = await lake.engine.openSession(lake.as('analyst', [people]));
  });
  after(async () => {
    await session?.close();
    await lake?.close();
  });

  it('should bind params in query, stream and writeTo, as values only', async () => {
    const { rows } = await session.query('SELECT id FROM clean.people WHERE name = ?', { params: ['bo'] });
    assert.deepEqual(rows, [{ id: 2 }]);
    const named = await session.query('SELECT count(*) AS n FROM clean.people WHERE name = $name', { params: { name: "ana' OR '1'='1" } });
    assert.deepEqual(named.rows, [{ n: 0 }]);
    const streamed: unknown[] = [];
    for await (const chunk of session.stream('SELECT $1 AS a, $2 AS b', { params: [1, 'two'] })) streamed.push(...chunk);
    assert.deepEqual(streamed, [{ a: 1, b: 'two' }]);
    let text = '';
    await session.writeTo('SELECT ? AS ok', 'csv', new Writable({ write: (c: Buffer, _e, done) => void ((text += c.toString()), done()) }), { params: [true] });
    assert.equal(text, 'ok\ntrue\n');
  });

  it('should refuse params that do not fit the placeholders, or several statements', async () => {
    await assert.rejects(session.query('SELECT ? AS a', { params: [] }), { code: 'validation.sql_params' });
    await assert.rejects(session.query('SELECT ? AS a', { params: [1, 2] }), { code: 'validation.sql_params' });
    await assert.rejects(session.query('SELECT $x AS a', { params: [1] }), { code: 'validation.sql_params' });
    await assert.rejects(session.query('SELECT $x AS a', { params: { y: 1 } }), { code: 'validation.sql_params' });
    await assert.rejects(session.query('SELECT 1; SELECT ? AS a', { params: [1] }), { code: 'validation.sql_params' });
  });
});

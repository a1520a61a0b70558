import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { openTempLake } from '../test-support/temp-lake.js';
import { readTrainingData } from './read-training-data.js';

const engineer: Principal = { name: 'eng', role: 'engineer' };
const analyst: Principal = { name: 'ana', role: 'analyst' };

describe('readTrainingData', () => {
  let dir: string;
  let lake: Lake;
  before(async () => {
    ({ dir, lake } = await openTempLake('ade-read-training-'));
    await lake.writeSelect(engineer, {
      table: { zone: 'model', name: 't' },
      mode: 'replace',
      sql: `SELECT i AS id, CASE WHEN i = 1 THEN 'NaN'::DOUBLE WHEN i = 2 THEN 'inf'::DOUBLE WHEN i = 3 THEN NULL ELSE i / 4 END AS x,
              i % 2 = 0 AS even, 'c' || (i % 3) AS cat, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS at FROM range(100) t(i)`,
    });
    await lake.writeSelect(engineer, { table: { zone: 'raw', name: 'secret' }, mode: 'replace', sql: 'SELECT 1 AS a' });
  });
  after(async () => {
    await lake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should read columns as arrays with their lake types, non-finite numbers as numbers', async () => {
    const d = await readTrainingData(lake, analyst, { zone: 'model', name: 't' });
    assert.equal(d.rows, 100);
    assert.equal(d.sampled, false);
    assert.deepEqual(d.columns.map((c) => [c.name, c.type]), [['id', 'BIGINT'], ['x', 'DOUBLE'], ['even', 'BOOLEAN'], ['cat', 'VARCHAR'], ['at', 'TIMESTAMP']]);
    const x = d.columns[1]!.values;
    assert.ok(Number.isNaN(x[1]));
    assert.equal(x[2], Infinity);
    assert.equal(x[3], null);
    assert.equal(x[4], 1);
    assert.equal(d.columns[2]!.values[0], true);
    assert.equal(d.columns[4]!.values[1], '2024-01-01T01:00:00');
    assert.equal(d.snapshotId, (await lake.catalog.getTable({ zone: 'model', name: 't' }))?.currentSnapshotId);
  });

  it('should sample deterministically above maxRows, and say so', async () => {
    const a = await readTrainingData(lake, analyst, { zone: 'model', name: 't' }, { maxRows: 30, seed: 7, columns: ['id', 'cat'] });
    const b = await readTrainingData(lake, analyst, { zone: 'model', name: 't' }, { maxRows: 30, seed: 7, columns: ['id', 'cat'] });
    const c = await readTrainingData(lake, analyst, { zone: 'model', name: 't' }, { maxRows: 30, seed: 8, columns: ['id', 'cat'] });
    assert.equal(a.rows, 30);
    assert.equal(a.totalRows, 100);
    assert.equal(a.sampled, true);
    assert.deepEqual(a.columns[0]!.values, b.columns[0]!.values, 'same seed and data, same rows');
    assert.notDeepEqual(a.columns[0]!.values, c.columns[0]!.values, 'another seed, another sample');
    assert.equal(new Set(a.columns[0]!.values).size, 30);
  });

  it('should refuse unknown columns and zones the role may not read', async () => {
    await assert.rejects(readTrainingData(lake, analyst, { zone: 'model', name: 't' }, { columns: ['id', 'nope'] }), (e: Error & { code?: string; hint?: string }) => e.code === 'ml.bad_option' && /id, x, even, cat, at/.test(e.hint ?? ''));
    await assert.rejects(readTrainingData(lake, analyst, { zone: 'raw', name: 'secret' }), /may not read the raw zone/);
    await assert.rejects(readTrainingData(lake, analyst, { zone: 'model', name: 'missing' }), (e: Error & { code?: string }) => e.code === 'table.not_found');
  });
});

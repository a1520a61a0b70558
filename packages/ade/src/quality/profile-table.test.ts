import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { openTempLake } from '../test-support/temp-lake.js';
import { profileTable } from './profile-table.js';

const engineer: Principal = { name: 'eng', role: 'engineer' };
const analyst: Principal = { name: 'ana', role: 'analyst' };
const orders = { zone: 'clean', name: 'orders' };

describe('profileTable', () => {
  let dir: string;
  let lake: Lake;
  let first: number;
  before(async () => {
    ({ dir, lake } = await openTempLake('ade-profile-'));
    const w = await lake.writeSelect(engineer, {
      table: orders,
      mode: 'replace',
      sql: `SELECT i AS order_id, CASE WHEN i % 4 = 0 THEN NULL ELSE i * 1.5 END AS amount,
              CASE WHEN i % 3 = 0 THEN 'app' WHEN i % 3 = 1 THEN 'web' ELSE 'shop' END AS channel,
              DATE '2026-11-01' + CAST(i % 10 AS INTEGER) AS day, 'person' || i || '@example.com' AS email
            FROM range(1, 101) t(i)`,
    });
    first = w.snapshot.id;
    // The catalog classes email as personal: its values never appear in a profile.
    const pinned = await lake.catalog.pin(orders);
    await lake.catalog.commit({
      table: orders,
      operation: 'append',
      added: [],
      committer: 'test',
      columns: pinned.schema.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, privacy: c.name === 'email' ? 'personal' : c.privacy })),
    });
  });
  after(async () => {
    await lake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should compute counts, nulls, distinct, bounds, moments, quantiles, lengths and top values, hiding personal values', async () => {
    const p = await profileTable(lake, analyst, orders);
    assert.equal(p.rows, 100);
    const col = (n: string) => p.columns.find((c) => c.name === n)!;
    assert.equal(col('order_id').distinct, 100);
    assert.equal(col('order_id').top, undefined);
    assert.equal(col('order_id').min, '1');
    assert.equal(col('order_id').max, '100');
    assert.equal(col('order_id').mean, 50.5);
    assert.equal(col('order_id').quantiles!.p50, '50.5');
    assert.equal(col('amount').nulls, 25);
    assert.equal(col('amount').nullRatio, 0.25);
    assert.deepEqual(col('channel').top, [
      { value: 'app', count: 33 },
      { value: 'web', count: 34 },
      { value: 'shop', count: 33 },
    ].sort((a, b) => b.count - a.count || a.value.localeCompare(b.value)));
    assert.deepEqual(col('channel').lengths, { min: 3, mean: (33 * 3 + 34 * 3 + 33 * 4) / 100, max: 4 });
    assert.equal(col('day').distinct, 10);
    assert.equal(col('day').min, '2026-11-01');
    assert.equal(col('day').quantiles!.p95, '2026-11-10');
    const email = col('email');
    assert.equal(email.privacy, 'personal');
    assert.equal(email.distinct, 100);
    assert.ok(email.lengths);
    assert.equal(email.min, undefined);
    assert.equal(email.top, undefined);
    assert.ok(!JSON.stringify(p).includes('@example.com'));
  });

  it('should profile an earlier snapshot, and refuse a zone the role may not read', async () => {
    const p = await profileTable(lake, analyst, orders, { snapshotId: first });
    assert.equal(p.snapshotId, first);
    assert.equal(p.columns.find((c) => c.name === 'email')!.privacy, 'none');
    await lake.writeSelect(engineer, { table: { zone: 'raw', name: 'x' }, mode: 'replace', sql: 'SELECT 1 AS a' });
    await assert.rejects(profileTable(lake, analyst, { zone: 'raw', name: 'x' }), /may not read/);
  });
});

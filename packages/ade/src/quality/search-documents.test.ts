import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { openTempLake } from '../test-support/temp-lake.js';
import { indexAllTables, indexTable, removeTableDocs, searchCatalog, tableDocuments } from './search-documents.js';

const engineer: Principal = { name: 'eng', role: 'engineer' };
const orders = { zone: 'clean', name: 'orders' };
const crm = { zone: 'raw', name: 'crm_contacts' };

describe('catalog search documents', () => {
  let dir: string;
  let lake: Lake;
  before(async () => {
    ({ dir, lake } = await openTempLake('ade-search-docs-'));
    const w = await lake.writeSelect(engineer, {
      table: orders,
      mode: 'replace',
      sql: `SELECT i AS order_id, CASE WHEN i % 4 = 0 THEN NULL ELSE 'c' || (i % 40) END AS customer_id,
              'person' || i || '@example.com' AS email,
              CASE WHEN i % 3 = 0 THEN 'app' WHEN i % 3 = 1 THEN 'web' ELSE 'shop' END AS channel
            FROM range(1, 101) t(i)`,
      create: { description: 'Orders placed online', owner: 'ana', tags: ['sales'] },
    });
    // The catalog classes email as personal.
    const pinned = await lake.catalog.pin(orders);
    await lake.catalog.commit({
      table: orders,
      operation: 'append',
      added: [],
      committer: 'test',
      columns: pinned.schema.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, privacy: c.name === 'email' ? 'personal' : c.privacy })),
    });
    const rows = 100;
    await lake.catalog.putProfile({
      table: 'clean.orders',
      snapshotId: w.snapshot.id,
      scope: 'table',
      rows,
      profile: {
        rows,
        columns: [
          { name: 'order_id', type: 'BIGINT', nulls: 0, nullRatio: 0, distinct: 100, min: '1', max: '100', mean: 50.5 },
          { name: 'customer_id', type: 'VARCHAR', nulls: 25, nullRatio: 0.25, distinct: 40, min: 'c0', max: 'c9', top: [{ value: 'c1', count: 3 }] },
          // A careless profile that kept a personal column's values: they must still stay out of search.
          { name: 'email', type: 'VARCHAR', privacy: 'none', nulls: 0, nullRatio: 0, distinct: 100, min: 'person1@example.com', top: [{ value: 'person7@example.com', count: 1 }] },
          { name: 'channel', type: 'VARCHAR', nulls: 0, nullRatio: 0, distinct: 3, top: [{ value: 'web', count: 34 }, { value: 'app', count: 33 }, { value: 'shop', count: 33 }] },
        ],
      },
    });
    await lake.catalog.recordCheckResults([
      {
        checkId: 'clean.orders/accepted_values(channel)',
        table: 'clean.orders',
        check: 'accepted_values(channel)',
        severity: 'error',
        status: 'fail',
        snapshotId: w.snapshot.id,
        failing: 3,
        message: '3 rows have a channel outside app, web',
      },
      { checkId: 'clean.orders/row_count', table: 'clean.orders', check: 'row_count', severity: 'warn', status: 'pass', message: '100 rows' },
    ]);
    await lake.catalog.createTable({ table: crm, description: 'Contacts from the CRM', columns: [{ name: 'customer_name', type: 'VARCHAR', privacy: 'personal' }] });
  });
  after(async () => {
    await lake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should rank the customer_id column and its profile first for "customer null"', async () => {
    const written = await indexAllTables(lake.catalog);
    // orders: table + 4 columns + 4 profiles + 2 checks; crm_contacts: table + 1 column.
    assert.equal(written, 13);
    const hits = await searchCatalog(lake.catalog, 'engineer', 'customer null');
    assert.ok(hits.length >= 2, JSON.stringify(hits));
    assert.deepEqual(hits.slice(0, 2).map((h) => h.key).sort(), ['column:clean.orders.customer_id', 'profile:clean.orders.customer_id']);
    const profile = hits.find((h) => h.kind === 'profile')!;
    assert.equal(profile.table, 'clean.orders');
    assert.match(profile.snippet, /«null/);
    // Columns without nulls are not "null" matches.
    assert.ok(!(await searchCatalog(lake.catalog, 'engineer', 'null')).some((h) => h.key === 'profile:clean.orders.channel'));
  });

  it('should find failing checks by status, and profiles by their values', async () => {
    const failing = await searchCatalog(lake.catalog, 'engineer', 'failing channel');
    assert.equal(failing[0]!.key, 'check:clean.orders/accepted_values(channel)');
    assert.equal(failing[0]!.kind, 'check');
    assert.equal(failing[0]!.title, 'accepted_values(channel)');
    assert.deepEqual((await searchCatalog(lake.catalog, 'engineer', 'failed')).map((h) => h.key), ['check:clean.orders/accepted_values(channel)']);
    assert.ok((await searchCatalog(lake.catalog, 'engineer', 'passing')).some((h) => h.key === 'check:clean.orders/row_count'));
    assert.deepEqual((await searchCatalog(lake.catalog, 'engineer', 'shop', { kinds: ['profile'] })).map((h) => h.key), ['profile:clean.orders.channel']);
    assert.ok((await searchCatalog(lake.catalog, 'engineer', 'orders sales ana')).some((h) => h.key === 'table:clean.orders'));
  });

  it('should never put values of personal columns into a document', async () => {
    const table = (await lake.catalog.getTable(orders))!;
    const docs = tableDocuments(
      table,
      (await lake.catalog.getSchema(table.currentSchemaId)).columns,
      (await lake.catalog.listProfiles('clean.orders', { scope: 'table', limit: 1 }))[0],
      await lake.catalog.listCheckResults({ table: 'clean.orders', latest: true }),
    );
    const email = docs.find((d) => d.key === 'profile:clean.orders.email')!;
    assert.match(email.body, /complete/);
    for (const d of docs) assert.ok(!d.body.includes('example.com') && !/person\d/.test(d.body), `${d.key}: ${d.body}`);
    assert.deepEqual(await searchCatalog(lake.catalog, 'engineer', 'example'), []);
    assert.match(docs.find((d) => d.key === 'profile:clean.orders.customer_id')!.body, /c1/); // other columns keep their values
  });

  it('should show only the zones a role may read', async () => {
    const asEngineer = await searchCatalog(lake.catalog, 'engineer', 'customer');
    assert.ok(asEngineer.some((h) => h.table === 'raw.crm_contacts'));
    const asAnalyst = await searchCatalog(lake.catalog, 'analyst', 'customer');
    assert.ok(asAnalyst.length > 0 && asAnalyst.every((h) => h.zone === 'clean'));
    assert.deepEqual(await searchCatalog(lake.catalog, 'analyst', 'customer', { zones: ['raw'] }), []);
  });

  it('should reindex one table, and forget dropped ones', async () => {
    await lake.catalog.updateTable(orders, { description: 'Orders placed through partners' });
    assert.deepEqual(await searchCatalog(lake.catalog, 'engineer', 'partners'), []);
    assert.equal(await indexTable(lake.catalog, orders), 11);
    assert.deepEqual((await searchCatalog(lake.catalog, 'engineer', 'partners')).map((h) => h.key), ['table:clean.orders']);

    await removeTableDocs(lake.catalog, orders);
    assert.ok(!(await searchCatalog(lake.catalog, 'engineer', 'customer')).some((h) => h.table === 'clean.orders'));

    await lake.catalog.dropTable(crm, 'test');
    assert.equal(await indexAllTables(lake.catalog), 11);
    const hits = await searchCatalog(lake.catalog, 'engineer', 'customer');
    assert.ok(hits.length > 0 && hits.every((h) => h.table === 'clean.orders'));
    assert.equal(await indexTable(lake.catalog, crm), 0);
  });
});

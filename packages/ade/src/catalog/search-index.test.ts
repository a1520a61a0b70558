// Full-text search, run against every backend: SQLite (FTS5) in a temp dir and
// Postgres (tsvector) in a fresh database of its own (skipped, saying so, only
// when no server answers and CI is not 'true').
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AdeError, ValidationError, fixedClock } from '../kernel/index.js';
import { freshPostgresDatabase, postgresAvailable, PG_ADMIN_URL } from '../test-support/postgres.js';
import { openCatalog, type CatalogConfig, type CatalogStore, type SearchDoc } from './index.js';
import { postgresQueries, queryWords, sqliteMatch } from './search-index.js';

const pgUp = await postgresAvailable();
const backends: { name: 'sqlite' | 'postgres'; skip: string | false }[] = [
  { name: 'sqlite', skip: false },
  { name: 'postgres', skip: pgUp ? false : `no Postgres server at ${PG_ADMIN_URL} (set ADE_TEST_PG_URL, or CI=true to make this a failure)` },
];

function doc(key: string, title: string, body: string, extra: Partial<SearchDoc> = {}): SearchDoc {
  return { key, kind: 'column', zone: 'clean', table: 'clean.orders', title, body, ...extra };
}

const DOCS: readonly SearchDoc[] = [
  doc('table:clean.orders', 'clean.orders', 'Orders placed in the web shop. owner ana tags sales columns order_id order id customer_id customer id amount', {
    kind: 'table',
  }),
  doc('column:clean.orders.customer_id', 'clean.orders.customer_id', 'customer_id customer id VARCHAR nullable privacy none'),
  doc('column:clean.orders.amount', 'clean.orders.amount', 'amount DOUBLE nullable privacy none. The amount the customer paid'),
  doc('profile:clean.orders.amount', 'clean.orders.amount profile', 'amount has nulls: 25 nulls, null ratio 25.0%', { kind: 'profile' }),
  doc('column:raw.customers.email', 'raw.customers.email', 'email VARCHAR privacy personal', { zone: 'raw', table: 'raw.customers' }),
  doc('table:raw.customers', 'raw.customers', 'Customers as the CRM exports them. columns email name', { kind: 'table', zone: 'raw', table: 'raw.customers' }),
];

for (const { name, skip } of backends) {
  describe(`catalog search on ${name}`, { skip }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    async function setup(docs: readonly SearchDoc[] = DOCS): Promise<CatalogStore> {
      let config: CatalogConfig;
      if (name === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'ade-search-'));
        cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
        config = { kind: 'sqlite', path: join(dir, 'catalog.db') };
      } else {
        const db = await freshPostgresDatabase('ade_search');
        cleanups.push(db.drop);
        config = { kind: 'postgres', url: db.url, poolSize: 2 };
      }
      const catalog = await openCatalog({ ...config, clock: fixedClock('2026-01-01T00:00:00.000Z') });
      cleanups.push(() => catalog.close());
      await catalog.putSearchDocs(docs);
      return catalog;
    }

    const keys = async (catalog: CatalogStore, query: string, opts = {}) => (await catalog.search(query, opts)).map((h) => h.key);

    it('should rank a title match above a body match', async () => {
      const catalog = await setup();
      const hits = await catalog.search('amount');
      assert.ok(hits.length >= 3);
      assert.ok(hits[0]!.title.includes('amount') && hits[1]!.title.includes('amount'), JSON.stringify(hits));
      assert.equal(hits.at(-1)!.key, 'table:clean.orders'); // only its body mentions amount
      for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1]!.score >= hits[i]!.score);
      const customer = await keys(catalog, 'customer');
      assert.ok(customer.indexOf('column:clean.orders.customer_id') < customer.indexOf('column:clean.orders.amount'));
    });

    it('should rank whole-word matches of the last word above prefix-only matches', async () => {
      const catalog = await setup();
      // "null" is a whole word (stem) of the amount profile's "nulls", only a prefix of the columns' "nullable".
      const hits = await keys(catalog, 'amount null');
      assert.deepEqual(hits, ['profile:clean.orders.amount', 'column:clean.orders.amount']);
    });

    it('should return hits with their table, zone, kind and a snippet marking the match', async () => {
      const catalog = await setup();
      const [hit] = await catalog.search('shop', { limit: 1 });
      assert.equal(hit!.key, 'table:clean.orders');
      assert.equal(hit!.kind, 'table');
      assert.equal(hit!.zone, 'clean');
      assert.equal(hit!.table, 'clean.orders');
      assert.equal(hit!.title, 'clean.orders');
      assert.match(hit!.snippet, /«shop»/);
      assert.ok(hit!.score > 0);
    });

    it('should match the last word as a prefix, and words across their stems', async () => {
      const catalog = await setup();
      assert.ok((await keys(catalog, 'cust')).includes('column:clean.orders.customer_id'));
      assert.ok((await keys(catalog, 'customer_id nul')).includes('column:clean.orders.customer_id'));
      assert.ok((await keys(catalog, 'customers')).includes('column:clean.orders.customer_id'));
      assert.ok((await keys(catalog, 'orders')).includes('table:clean.orders')); // a word of the title clean.orders
      // Only the last word is a prefix: earlier words are whole.
      assert.deepEqual((await keys(catalog, 'amount cust')).sort(), ['column:clean.orders.amount', 'table:clean.orders']);
      assert.deepEqual(await keys(catalog, 'cust amount'), []);
    });

    it('should require every word to match', async () => {
      const catalog = await setup();
      assert.deepEqual((await keys(catalog, 'amount null')).sort(), ['column:clean.orders.amount', 'profile:clean.orders.amount']);
      assert.deepEqual(await keys(catalog, 'amount ratio'), ['profile:clean.orders.amount']);
      assert.deepEqual(await keys(catalog, 'customer zebra'), []);
    });

    it('should filter by zone and kind, and honour the limit', async () => {
      const catalog = await setup();
      assert.ok((await keys(catalog, 'email')).includes('column:raw.customers.email'));
      assert.deepEqual(await keys(catalog, 'email', { zones: ['clean', 'model'] }), []);
      assert.deepEqual(await keys(catalog, 'customers', { zones: ['raw'], kinds: ['table'] }), ['table:raw.customers']);
      assert.deepEqual(await keys(catalog, 'customer', { zones: [] }), []);
      assert.equal((await catalog.search('customer', { limit: 1 })).length, 1);
    });

    it('should replace a document by key', async () => {
      const catalog = await setup();
      await catalog.putSearchDocs([doc('column:clean.orders.amount', 'clean.orders.amount', 'amount DECIMAL in euros')]);
      assert.deepEqual(await keys(catalog, 'euros'), ['column:clean.orders.amount']);
      assert.deepEqual(await keys(catalog, 'paid'), []);
      assert.equal((await keys(catalog, 'amount')).filter((k) => k === 'column:clean.orders.amount').length, 1);
      // Within one put, the last document of a key wins.
      await catalog.putSearchDocs([doc('column:x', 'x', 'first words'), doc('column:x', 'x', 'second words')]);
      assert.deepEqual(await keys(catalog, 'words'), ['column:x']);
      assert.deepEqual(await keys(catalog, 'first'), []);
    });

    it('should remove documents by table and by key prefix', async () => {
      const catalog = await setup();
      await catalog.removeSearchDocs({ table: 'raw.customers' });
      assert.deepEqual(await keys(catalog, 'email'), []);
      assert.ok((await keys(catalog, 'customer')).length > 0);
      await catalog.removeSearchDocs({ keyPrefix: 'profile:' });
      assert.deepEqual(await keys(catalog, 'ratio'), []);
      assert.ok((await keys(catalog, 'amount')).includes('column:clean.orders.amount'));
      await catalog.removeSearchDocs({ keyPrefix: '' });
      assert.deepEqual(await keys(catalog, 'amount'), []);
      await assert.rejects(catalog.removeSearchDocs({}), ValidationError);
    });

    it('should never pass user text through as query syntax', async () => {
      const catalog = await setup();
      const hostile = [
        '"customer',
        'customer"',
        `customer' OR 1=1 --`,
        'NEAR(customer amount, 2)',
        'customer*',
        '*customer',
        '-customer',
        'customer -amount',
        'title:customer',
        'customer:* & !amount | (',
        'customer AND OR NOT',
        '); DROP TABLE search_docs; --',
        '^customer',
        'customer{id}',
        'customer\\',
        'cust % _ ?',
        'ß customer Ünïcödé 名前',
      ];
      for (const q of hostile) {
        const hits = await catalog.search(q).catch((e: unknown) => {
          throw new Error(`${JSON.stringify(q)} threw ${String(e)}`);
        });
        assert.ok(Array.isArray(hits));
      }
      assert.ok((await keys(catalog, '"customer_id"')).includes('column:clean.orders.customer_id'));
      assert.ok((await keys(catalog, 'customer*')).includes('column:clean.orders.customer_id'));
      assert.ok((await keys(catalog, 'amount')).length > 0); // the table is still there
    });

    it('should refuse a query without words, saying what to search for', async () => {
      const catalog = await setup();
      for (const q of ['', '   ', '\t\n', '"*"', '-:()']) {
        await assert.rejects(catalog.search(q), (e: unknown) => {
          assert.ok(e instanceof ValidationError, String(e));
          assert.equal((e as AdeError).code, 'validation.search_query');
          assert.match((e as AdeError).hint ?? '', /ade search/);
          return true;
        });
      }
    });
  });
}

describe('search query building', () => {
  it('should split on everything but letters and digits, and prefix the last word', () => {
    assert.deepEqual(queryWords(' Customer_ID  "null*" '), ['customer', 'id', 'null']);
    assert.equal(sqliteMatch(['customer', 'null']), '"customer" AND ("null" OR "null"*)');
    assert.equal(sqliteMatch(['null']), '("null" OR "null"*)');
    assert.deepEqual(postgresQueries(['customer', 'null']), { prefix: 'customer & null:*', exact: 'customer & null' });
  });
});

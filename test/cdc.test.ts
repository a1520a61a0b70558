// Change data capture end to end: Debezium, DynamoDB Streams and Salesforce
// change events posted to `ade serve` on 127.0.0.1, landed through the
// collector and the privacy path in clean change tables, and applied by
// `current` models with `ade run` — deletes gone, the latest change per key
// winning whatever order the changes arrived in, replays landing nothing.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adeAsync, createToken, initServerProject, type Ran, serverEnv, startServer } from './support/cli.js';

/** A Debezium PostgreSQL change event value (JSON converter, schemas.enable=true; the schema trimmed). */
function debezium(op: 'c' | 'u' | 'd' | 'r', id: number, lsn: number, row?: { plan: string; email: string }) {
  const image = row ? { id, ...row, address: { city: 'Lyon', zip: '69001' } } : { id, plan: null, email: null, address: null };
  return {
    schema: { type: 'struct', optional: false, name: 'shop.public.customers.Envelope' },
    payload: {
      before: op === 'd' ? image : null,
      after: op === 'd' ? null : image,
      source: { version: '2.5.0.Final', connector: 'postgresql', name: 'shop', ts_ms: 1_767_225_600_000 + lsn, snapshot: op === 'r' ? 'true' : 'false', db: 'shop', schema: 'public', table: 'customers', txId: 700 + lsn, lsn },
      op,
      ts_ms: 1_767_225_600_500 + lsn,
      transaction: null,
    },
  };
}

/** A DynamoDB Streams record as Lambda receives it. */
function dynamo(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', orderId: string, seq: string, status?: string) {
  const keys = { OrderId: { S: orderId } };
  const image = status ? { ...keys, Status: { S: status }, Items: { L: [{ M: { Sku: { S: 'A-1' }, Qty: { N: '2' } } }] }, Total: { N: '19.90' } } : undefined;
  return {
    eventID: `ev-${seq}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: { ApproximateCreationDateTime: 1_767_225_600, Keys: keys, ...(eventName === 'REMOVE' ? { OldImage: image ?? keys } : { NewImage: image }), SequenceNumber: seq, SizeBytes: 60, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    eventSourceARN: 'arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-01-01T00:00:00.000',
  };
}

/** A Salesforce change event as CometD delivers it. */
function salesforce(changeType: string, recordIds: string[], commitNumber: number, fields: Record<string, unknown> = {}) {
  return {
    schema: 'IeRuaY6cbI_HsV8Rv1Mc5g',
    payload: {
      ChangeEventHeader: { entityName: 'Account', recordIds, changeType, changeOrigin: 'com/salesforce/api/rest/60.0', transactionKey: `tx-${commitNumber}`, sequenceNumber: 1, commitTimestamp: 1_767_225_600_000, commitNumber, commitUser: '005RM000002AgDjYAK', nulledFields: [], diffFields: [], changedFields: [] },
      ...fields,
    },
    event: { replayId: commitNumber },
  };
}

describe('change data capture through ade serve', () => {
  let dir: string;
  let project: string;
  let server: ChildProcess | undefined;
  let url: string;
  const keys: Record<string, string> = {};
  let admin: string;
  const env = serverEnv();

  const run = (...args: string[]): Promise<Ran> => adeAsync(project, args, env);
  const post = (stream: string, body: unknown, key = keys[stream]!, type = 'application/json') =>
    fetch(`${url}/v1/cdc/${stream}`, {
      method: 'POST',
      headers: { 'content-type': type, authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const rows = async (sql: string) => {
    const r = await run('--json', 'sql', sql);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as any[];
  };
  /** Waits until `sql` (a count `n`) reaches `n` — the collector flushes every second. */
  const landed = async (table: string, n: number, where = 'true') => {
    let seen = -1;
    for (let i = 0; i < 240 && seen < n; i++) {
      const r = await fetch(`${url}/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ sql: `SELECT count(*) AS n FROM ${table} WHERE ${where}` }) });
      if (r.status === 200) seen = Number(((await r.json()) as any[])[0].n);
      if (seen < n) await new Promise((done) => setTimeout(done, 250));
    }
    assert.equal(seen, n, `${table} holds ${seen} rows, expected ${n}`);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ade-cdc-'));
    project = await initServerProject(
      dir,
      env,
      `
collector:
  flush_interval: 1s
triggers:
  on_commit: false          # the test builds with ade run itself; a triggered build at the same time could conflict with it
sources:
  customers_cdc:
    format: ndjson
    cdc:
      key: [id]
    fields:
      email: tokenize
  orders_ddb:
    format: ndjson
    cdc: true
  accounts_sf:
    format: ndjson
    cdc: { key: [Id] }
    fields:
      Name: keep                # an account's name is a company's (the name heuristic would tokenize it)
      Phone: tokenize
`,
    );
    mkdirSync(join(project, 'models', 'model'), { recursive: true });
    writeFileSync(
      join(project, 'models', 'model', 'customers_current.sql'),
      "/*\nkind: current\nkey: id\ntime: cdc_position\ndescription: Customers as the source database holds them now.\n*/\nSELECT id, cdc_op AS op, cdc_position, plan, email FROM ref('clean.customers_cdc')\n",
    );
    for (const stream of ['customers_cdc', 'orders_ddb', 'accounts_sf']) keys[stream] = await createToken(project, env, `${stream}-relay`, { ingest: stream });
    admin = await createToken(project, env, 'ops', { role: 'admin' });
    ({ server, url } = await startServer(project, env));
  });
  after(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('should apply Debezium changes by key whatever their arrival order, land a replay once, and tokenize personal fields', async () => {
    // Customer 1: snapshot, two updates. 2: created, deleted. 3: created, deleted, created again. 4: created.
    const later = [debezium('u', 1, 500, { plan: 'team', email: 'ana@example.com' }), debezium('d', 2, 400), debezium('c', 3, 600, { plan: 'pro', email: 'cy@example.com' }), debezium('c', 4, 150, { plan: 'free', email: 'di@example.com' })];
    const earlier = [
      debezium('r', 1, 100, { plan: 'free', email: 'ana@example.com' }),
      debezium('c', 2, 200, { plan: 'free', email: 'bo@example.com' }),
      debezium('c', 3, 250, { plan: 'free', email: 'cy@example.com' }),
      debezium('u', 1, 300, { plan: 'pro', email: 'ana@example.com' }),
      debezium('d', 3, 350),
    ];
    // The later changes arrive first; the earlier ones as NDJSON with a tombstone after a delete.
    const first = await post('customers_cdc', later);
    assert.equal(first.status, 200, await first.clone().text());
    assert.deepEqual(await first.json(), { success: true, changes: 4 });
    const ndjson = `${earlier.map((e) => JSON.stringify(e)).join('\n')}\n{"schema":null,"payload":null}\n`;
    const second = await post('customers_cdc', ndjson, keys.customers_cdc, 'application/x-ndjson');
    assert.equal(second.status, 200);
    assert.deepEqual(await second.json(), { success: true, changes: 5, tombstones: 1 });
    await landed('clean.customers_cdc', 9);

    // A replay of a request (a relay retrying) and a malformed request: neither lands anything; then one new change.
    assert.equal((await post('customers_cdc', later)).status, 200);
    const malformed = await post('customers_cdc', [debezium('c', 9, 700, { plan: 'free', email: 'x@example.com' }), { ...debezium('u', 9, 710), payload: { ...debezium('u', 9, 710).payload, op: 'x' } }]);
    assert.equal(malformed.status, 400);
    const error = ((await malformed.json()) as any).error;
    assert.equal(error.message, 'records[1].payload.op: expected one of c, u, d, r, got "x"');
    assert.equal((await post('customers_cdc', [debezium('c', 5, 800, { plan: 'free', email: 'ed@example.com' })])).status, 200);
    await landed('clean.customers_cdc', 10);
    const [once] = await rows('SELECT count(*) AS n, count(DISTINCT cdc_id) AS ids, count(*) FILTER (WHERE id = 9) AS malformed FROM clean.customers_cdc');
    assert.deepEqual(once, { n: 10, ids: 10, malformed: 0 });

    // Through the privacy path: the email tokenized; the change columns kept as they are.
    const emails = await rows('SELECT DISTINCT email FROM clean.customers_cdc WHERE email IS NOT NULL');
    assert.ok(emails.length === 5 && emails.every((r) => /^tok_/.test(r.email)), JSON.stringify(emails));
    const [first1] = await rows("SELECT cdc_op, cdc_position, cdc_format, cdc_source FROM clean.customers_cdc WHERE id = 1 ORDER BY cdc_position LIMIT 1");
    assert.deepEqual(first1, { cdc_op: 'r', cdc_position: '00000000000000000100', cdc_format: 'debezium', cdc_source: 'public.customers' });

    const built = await run('--as', 'engineer', 'run', '--select', 'model.customers_current');
    assert.equal(built.code, 0, built.stderr);
    const current = await rows('SELECT id, plan, email FROM model.customers_current ORDER BY id');
    assert.deepEqual(
      current.map((r) => [r.id, r.plan]),
      [
        [1, 'team'],
        [3, 'pro'],
        [4, 'free'],
        [5, 'free'],
      ],
    );
    assert.ok(current.every((r) => /^tok_/.test(r.email)));
    const [cols] = await rows("SELECT count(*) FILTER (WHERE column_name = 'op') AS op FROM (DESCRIBE SELECT * FROM model.customers_current)");
    assert.equal(cols.op, 0, 'op is not kept');
  });

  it('should apply DynamoDB Streams records, and set Salesforce gap events aside for a re-sync', async () => {
    const ddb = await post('orders_ddb', {
      Records: [
        dynamo('MODIFY', 'o-1', '300000000000000000003', 'shipped'),
        dynamo('INSERT', 'o-1', '100000000000000000001', 'new'),
        dynamo('INSERT', 'o-2', '200000000000000000002', 'new'),
        dynamo('REMOVE', 'o-2', '400000000000000000004', 'new'),
        dynamo('INSERT', 'o-3', '500000000000000000005', 'new'),
      ],
    });
    assert.equal(ddb.status, 200, await ddb.clone().text());
    assert.equal(((await ddb.json()) as any).changes, 5);

    const sf = await post('accounts_sf', [
      salesforce('CREATE', ['001RM000003R2nVYAS'], 10_716_283_339_728, { Name: 'Acme', Phone: '+1 415 555 0100', BillingAddress: { City: 'San Francisco', Country: 'US' } }),
      salesforce('UPDATE', ['001RM000003R2nVYAS'], 10_716_283_339_800, { Name: 'Acme Corp' }),
      salesforce('DELETE', ['001RM000003R2nWYAS', '001RM000003R2nXYAS'], 10_716_283_339_900),
      salesforce('GAP_UPDATE', ['001RM000003R2nZYAS'], 10_716_283_340_000),
    ]);
    assert.equal(sf.status, 200, await sf.clone().text());
    const answer = (await sf.json()) as any;
    assert.equal(answer.changes, 4, 'a merged delete of two records is two changes');
    assert.deepEqual(answer.resync.map((r: any) => [r.at, r.kind, r.ids]), [['records[3]', 'GAP_UPDATE', ['001RM000003R2nZYAS']]]);
    assert.match(answer.resync[0].message, /re-sync Account 001RM000003R2nZYAS from Salesforce/);
    const audit = (await (await fetch(`${url}/v1/audit?limit=50`, { headers: { authorization: `Bearer ${admin}` } })).json()) as any[];
    assert.ok(audit.some((e) => e.action === 'cdc.resync_required' && e.target === 'clean.accounts_sf'), 'the gap is audited');

    await landed('clean.orders_ddb', 5);
    await landed('clean.accounts_sf', 4);
    // Column names are normalised in clean tables (Id → id, BillingAddress.City → billing_address_city).
    const accounts = await rows("SELECT id, cdc_op AS op, name, phone, billing_address_city AS city FROM clean.accounts_sf ORDER BY cdc_position, id");
    assert.deepEqual(
      accounts.map((r) => [r.id, r.op, r.name]),
      [
        ['001RM000003R2nVYAS', 'c', 'Acme'],
        ['001RM000003R2nVYAS', 'u', 'Acme Corp'],
        ['001RM000003R2nWYAS', 'd', null],
        ['001RM000003R2nXYAS', 'd', null],
      ],
    );
    assert.match(accounts[0].phone, /^tok_/);
    assert.equal(accounts[0].city, 'San Francisco', 'nested fields are flattened');

    writeFileSync(
      join(project, 'models', 'model', 'orders_current.sql'),
      "/*\nkind: current\nkey: order_id\ntime: cdc_position\n*/\nSELECT order_id, cdc_op AS op, cdc_position, status, total FROM ref('clean.orders_ddb')\n",
    );
    const built = await run('--as', 'engineer', 'run', '--select', 'model.orders_current');
    assert.equal(built.code, 0, built.stderr);
    const orders = await rows('SELECT order_id AS id, status, total FROM model.orders_current ORDER BY order_id');
    assert.deepEqual(orders, [
      { id: 'o-1', status: 'shipped', total: 19.9 },
      { id: 'o-3', status: 'new', total: 19.9 },
    ]);
  });

  it('should refuse a write key of another stream and a body that is not change events', async () => {
    assert.equal((await post('customers_cdc', [], keys.orders_ddb)).status, 403);
    const notChanges = await post('orders_ddb', [{ type: 'track', event: 'Signed Up' }]);
    assert.equal(notChanges.status, 400);
    assert.match(((await notChanges.json()) as any).error.message, /^records\[0\]: not a change event/);
    const plainEventsKey = await fetch(`${url}/v1/cdc/orders_ddb`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: '[]' });
    assert.equal(plainEventsKey.status, 401, 'an API token is not a write key');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../kernel/index.js';
import { detectChangeFormat, parseChangeEvents, unmarshalAttribute, type ChangeRecord } from './change-events.js';

// Fixtures follow the shapes the sources document: Debezium's PostgreSQL and
// MySQL connector change event values (JSON converter, with and without
// schemas.enable), DynamoDB Streams records as Lambda receives them, and
// Salesforce change events as CometD / the Pub/Sub API deliver them.

const pgSource = (lsn: number, tsMs = 1_700_000_000_000) => ({
  version: '2.5.0.Final',
  connector: 'postgresql',
  name: 'PostgreSQL_server',
  ts_ms: tsMs,
  snapshot: 'false',
  db: 'postgres',
  sequence: `["${lsn - 8}","${lsn}"]`,
  schema: 'public',
  table: 'customers',
  txId: 555,
  lsn,
  xmin: null,
});

/** A Debezium PostgreSQL change event value as the JSON converter writes it with schemas.enable=true. */
const debezium = (op: string, before: object | null, after: object | null, lsn: number, tsMs?: number) => ({
  schema: { type: 'struct', fields: [{ type: 'struct', optional: true, field: 'before' }, { type: 'struct', optional: true, field: 'after' }], optional: false, name: 'PostgreSQL_server.public.customers.Envelope' },
  payload: { before: structuredClone(before), after: structuredClone(after), source: pgSource(lsn, tsMs), op, ts_ms: (tsMs ?? 1_700_000_000_000) + 120, transaction: null },
});

const mysqlSource = (file: string, pos: number, row = 0) => ({
  version: '2.5.0.Final',
  connector: 'mysql',
  name: 'mysql-server-1',
  ts_ms: 1_465_581_029_000,
  snapshot: 'false',
  db: 'inventory',
  table: 'customers',
  server_id: 223344,
  gtid: null,
  file,
  pos,
  row,
  thread: 7,
  query: null,
});

const ANA = { id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org', address: { city: 'Lyon', zip: '69001' } };

/** A DynamoDB Streams event as Lambda receives it (view type NEW_AND_OLD_IMAGES). */
const dynamoRecord = (eventName: string, seq: string, image: { Keys: object; NewImage?: object; OldImage?: object }) => ({
  eventID: `e-${seq.slice(-4)}`,
  eventName,
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  dynamodb: { ApproximateCreationDateTime: 1_428_537_600, ...image, SequenceNumber: seq, SizeBytes: 26, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2015-06-27T00:48:05.899',
});

/** A Salesforce change event as CometD delivers it. */
const salesforce = (header: Record<string, unknown>, fields: Record<string, unknown> = {}, replayId = 6) => ({
  schema: 'IeRuaY6cbI_HsV8Rv1Mc5g',
  payload: {
    ChangeEventHeader: {
      entityName: 'Account',
      recordIds: ['001RM000003R2nVYAS'],
      changeType: 'CREATE',
      changeOrigin: 'com/salesforce/api/soap/51.0;client=SfdcInternalAPI/',
      transactionKey: '0002343d-9d90-e395-ed20-cf416ba652ad',
      sequenceNumber: 1,
      commitTimestamp: 1_612_912_679_000,
      commitNumber: 10_716_283_339_728,
      commitUser: '005RM000002AgDjYAK',
      nulledFields: [],
      diffFields: [],
      changedFields: [],
      ...header,
    },
    ...fields,
  },
  event: { replayId },
});

/** Runs `fn` and returns the ValidationError it throws. */
function rejection(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ValidationError');
}

const rowOf = (c: ChangeRecord) => Object.fromEntries(Object.entries(c).filter(([k]) => !k.startsWith('cdc_')));

describe('parseChangeEvents: Debezium', () => {
  it('should map a create with schema wrapping to a change row: cdc columns, then the after image with nested values', () => {
    const { changes, resync, tombstones } = parseChangeEvents([debezium('c', null, ANA, 24_023_128, 1_559_033_904_863)], { key: ['id'] });
    assert.deepEqual(resync, []);
    assert.equal(tombstones, 0);
    assert.equal(changes.length, 1);
    const c = changes[0]!;
    assert.deepEqual(Object.keys(c).slice(0, 6), ['cdc_op', 'cdc_position', 'cdc_ts', 'cdc_format', 'cdc_source', 'cdc_id']);
    assert.equal(c.cdc_op, 'c');
    assert.equal(c.cdc_position, '00000000000024023128');
    assert.equal(c.cdc_ts, '2019-05-28T08:58:24.863Z', 'the time the database made the change (source.ts_ms)');
    assert.equal(c.cdc_format, 'debezium');
    assert.equal(c.cdc_source, 'public.customers');
    assert.match(c.cdc_id, /^[0-9a-f]{32}$/);
    assert.deepEqual(rowOf(c), ANA);
  });

  it('should take the before image of a delete, accept events without wrapping, and map snapshot reads (op r)', () => {
    const read = debezium('r', null, ANA, 100).payload;
    const update = debezium('u', { id: 1004 }, { ...ANA, email: 'anne@new.example' }, 200).payload;
    const del = debezium('d', { ...ANA, email: 'anne@new.example' }, null, 300);
    const { changes } = parseChangeEvents([read, update, del], { key: ['id'] });
    assert.deepEqual(
      changes.map((c) => [c.cdc_op, c.id, c.email]),
      [
        ['r', 1004, 'annek@noanswer.org'],
        ['u', 1004, 'anne@new.example'],
        ['d', 1004, 'anne@new.example'],
      ],
    );
    assert.ok(changes[0]!.cdc_position < changes[1]!.cdc_position && changes[1]!.cdc_position < changes[2]!.cdc_position);
  });

  it('should skip tombstones (null values that follow a delete)', () => {
    const { changes, tombstones } = parseChangeEvents('{"schema":null,"payload":null}\nnull\n', { key: ['id'] });
    assert.equal(changes.length, 0);
    assert.equal(tombstones, 2);
  });

  it('should order positions as the log does, whatever the number of digits', () => {
    const position = (lsn: number) => parseChangeEvents(debezium('u', null, ANA, lsn), { key: ['id'] }).changes[0]!.cdc_position;
    assert.ok(position(9) < position(10));
    assert.ok(position(99_999) < position(100_000));
    const mysql = (file: string, pos: number, row = 0) =>
      parseChangeEvents({ before: null, after: ANA, source: mysqlSource(file, pos, row), op: 'c', ts_ms: 1_465_581_029_523 }, { key: ['id'] }).changes[0]!;
    const first = mysql('mysql-bin.000003', 9);
    assert.equal(first.cdc_source, 'inventory.customers');
    assert.equal(first.cdc_position, '0000000003-00000000000000000009-0000000000');
    // pos 9 < pos 154 < row 1 of the same event < the next binlog file
    const order = [first, mysql('mysql-bin.000003', 154), mysql('mysql-bin.000003', 154, 1), mysql('mysql-bin.000010', 4)].map((c) => c.cdc_position);
    assert.deepEqual([...order].sort(), order);
    // SQL Server: commit LSN, change LSN, serial number
    const sqlServer = parseChangeEvents(
      { op: 'u', after: ANA, source: { connector: 'sqlserver', ts_ms: 1_559_729_995_937, db: 'testDB', schema: 'dbo', table: 'customers', change_lsn: '00000027:00000758:0003', commit_lsn: '00000027:00000758:0005', event_serial_no: 2 } },
      { key: ['id'] },
    ).changes[0]!;
    assert.equal(sqlServer.cdc_position, '00000027000007580005-00000027000007580003-0000000002');
    // other connectors: source.ts_ms, then transaction order and the event's ts_ms
    const other = parseChangeEvents({ op: 'c', after: ANA, source: { connector: 'db2', ts_ms: 1_700_000_000_000, schema: 'DB2INST1', table: 'CUSTOMERS' }, ts_ms: 1_700_000_000_500, transaction: { id: 'tx', total_order: 3, data_collection_order: 1 } }, { key: ['id'] }).changes[0]!;
    assert.equal(other.cdc_position, '00000001700000000000-00000000000000000003-00000001700000000500');
  });

  it('should give a replayed change the same id, and different changes different ids', () => {
    const body = [debezium('c', null, ANA, 10), debezium('u', null, { ...ANA, last_name: 'K.' }, 20), debezium('c', null, { ...ANA, id: 1005 }, 10)];
    const ids = parseChangeEvents(body, { key: ['id'] }).changes.map((c) => c.cdc_id);
    assert.equal(new Set(ids).size, 3, 'another position or another key: another id');
    const again = parseChangeEvents(JSON.parse(JSON.stringify([...body].reverse())), { key: ['id'] }).changes.map((c) => c.cdc_id);
    assert.deepEqual(again, [...ids].reverse(), 'the id depends on the change only, not on the batch or order');
    // the same key at the same position in another table is another change
    const other = debezium('c', null, ANA, 10);
    other.payload.source.table = 'suppliers';
    assert.notEqual(parseChangeEvents(other, { key: ['id'] }).changes[0]!.cdc_id, ids[0]);
  });

  it('should reject malformed events with the event index and field', () => {
    const good = debezium('c', null, ANA, 1);
    const bad = (patch: (e: ReturnType<typeof debezium>) => void) => {
      const e = debezium('c', null, ANA, 2);
      patch(e);
      return [good, good, good, e];
    };
    const key = { key: ['id'] };
    assert.equal(rejection(() => parseChangeEvents(bad((e) => (e.payload.op = 'x')), key)).message, 'records[3].payload.op: expected one of c, u, d, r, got "x"');
    assert.match(rejection(() => parseChangeEvents(bad((e) => (e.payload.after = null)), key)).message, /^records\[3\]\.payload\.after: op c needs the after image/);
    assert.match(rejection(() => parseChangeEvents(bad((e) => ((e.payload.after as Record<string, unknown>).id = null)), key)).message, /^records\[3\]\.payload\.after\.id: the key column is missing/);
    assert.match(rejection(() => parseChangeEvents(bad((e) => ((e.payload.source as Record<string, unknown>).lsn = 'abc')), key)).message, /^records\[3\]\.payload\.source\.lsn: expected a non-negative integer/);
    const noBefore = rejection(() => parseChangeEvents(bad((e) => (e.payload.op = 'd')), key));
    assert.match(noBefore.message, /^records\[3\]\.payload\.before: a delete needs the before image with the key columns \(id\)/);
    assert.match(noBefore.hint ?? '', /REPLICA IDENTITY/);
    assert.match(rejection(() => parseChangeEvents(bad((e) => ((e.payload.after as Record<string, unknown>).cdc_op = 'x')), key)).message, /^records\[3\]\.payload\.after\.cdc_op: column names starting with cdc_ are reserved/);
    const noKey = rejection(() => parseChangeEvents(good, {}));
    assert.match(noKey.message, /^records\[0\]\.payload: Debezium changes need the stream's key columns/);
    assert.match(noKey.hint ?? '', /cdc: \{ key: \[id\] \}/);
    // a value is never quoted: change rows hold personal data
    assert.doesNotMatch(rejection(() => parseChangeEvents(bad((e) => ((e.payload.source as Record<string, unknown>).lsn = 'annek@noanswer.org')), key)).message, /annek/);
  });

  it('should ask for a re-sync on a truncate instead of applying it', () => {
    const truncate = { op: 't', before: null, after: null, source: pgSource(500), ts_ms: 1_700_000_000_100 };
    const { changes, resync } = parseChangeEvents([debezium('c', null, ANA, 400), truncate], { key: ['id'] });
    assert.equal(changes.length, 1);
    assert.equal(resync.length, 1);
    assert.equal(resync[0]!.kind, 'truncate');
    assert.equal(resync[0]!.at, 'records[1]');
    assert.match(resync[0]!.message, /public\.customers was truncated.*re-sync the table/);
  });
});

describe('parseChangeEvents: DynamoDB Streams', () => {
  const keys = { Id: { N: '101' } };
  const newImage = {
    Id: { N: '101' },
    Email: { S: 'ana@example.com' },
    Active: { BOOL: true },
    Nickname: { NULL: true },
    Address: { M: { City: { S: 'Lyon' }, Geo: { M: { Lat: { N: '45.76' }, Lon: { N: '4.84' } } } } },
    Orders: { L: [{ N: '1' }, { S: 'two' }, { M: { Sku: { S: 'A-1' } } }] },
    Tags: { SS: ['vip', 'eu'] },
    Scores: { NS: ['1', '2.5'] },
    Avatar: { B: 'aGVsbG8=' },
    Blobs: { BS: ['aGVsbG8=', 'd29ybGQ='] },
    Big: { N: '123456789012345678901234567890' },
  };

  it('should unmarshal typed attribute values of every kind', () => {
    const { changes } = parseChangeEvents({ Records: [dynamoRecord('INSERT', '111', { Keys: keys, NewImage: newImage })] });
    const c = changes[0]!;
    assert.equal(c.cdc_op, 'c');
    assert.equal(c.cdc_format, 'dynamodb');
    assert.equal(c.cdc_source, 'Orders');
    assert.equal(c.cdc_ts, '2015-04-09T00:00:00.000Z');
    assert.equal(c.cdc_position, '111'.padStart(40, '0'));
    assert.deepEqual(rowOf(c), {
      Id: 101,
      Email: 'ana@example.com',
      Active: true,
      Nickname: null,
      Address: { City: 'Lyon', Geo: { Lat: 45.76, Lon: 4.84 } },
      Orders: [1, 'two', { Sku: 'A-1' }],
      Tags: ['vip', 'eu'],
      Scores: [1, 2.5],
      Avatar: 'aGVsbG8=',
      Blobs: ['aGVsbG8=', 'd29ybGQ='],
      Big: '123456789012345678901234567890',
    });
    assert.deepEqual(unmarshalAttribute({ M: { n: { N: '-42' }, e: { N: '1E+3' } } }, 'x'), { n: -42, e: 1000 });
  });

  it('should map INSERT, MODIFY and REMOVE (old image, or only the keys) with positions from SequenceNumber', () => {
    const body = {
      Records: [
        dynamoRecord('INSERT', '4421584500000000017450439091', { Keys: keys, NewImage: { Id: { N: '101' }, Message: { S: 'New item!' } } }),
        dynamoRecord('MODIFY', '4421584500000000017450439092', { Keys: keys, NewImage: { Id: { N: '101' }, Message: { S: 'This item has changed' } }, OldImage: { Id: { N: '101' }, Message: { S: 'New item!' } } }),
        dynamoRecord('REMOVE', '4421584500000000017450439093', { Keys: keys, OldImage: { Id: { N: '101' }, Message: { S: 'This item has changed' } } }),
        dynamoRecord('REMOVE', '900000000000000000000000000000000000000', { Keys: { Id: { N: '102' } } }),
      ],
    };
    const { changes } = parseChangeEvents(body);
    assert.deepEqual(
      changes.map((c) => [c.cdc_op, c.Id, c.Message]),
      [
        ['c', 101, 'New item!'],
        ['u', 101, 'This item has changed'],
        ['d', 101, 'This item has changed'],
        ['d', 102, undefined],
      ],
    );
    const positions = changes.map((c) => c.cdc_position);
    assert.ok(positions.every((p) => p.length === 40));
    assert.deepEqual([...positions].sort(), positions, 'a 39-digit sequence number sorts after 28-digit ones');
    // an array of records works as well as a Lambda event, with the same ids
    assert.deepEqual(parseChangeEvents(body.Records).changes.map((c) => c.cdc_id), changes.map((c) => c.cdc_id));
  });

  it('should key rows by the configured columns when given', () => {
    const composite = { Tenant: { S: 't1' }, Id: { N: '7' } };
    const [a] = parseChangeEvents([dynamoRecord('INSERT', '1', { Keys: composite, NewImage: composite })]).changes;
    const [b] = parseChangeEvents([dynamoRecord('INSERT', '1', { Keys: { Id: { N: '7' }, Tenant: { S: 't1' } }, NewImage: composite })]).changes;
    assert.equal(a!.cdc_id, b!.cdc_id, 'the order of Keys does not change the id');
    assert.match(rejection(() => parseChangeEvents([dynamoRecord('INSERT', '1', { Keys: composite, NewImage: composite })], { key: ['Sku'] })).message, /^records\[0\]\.dynamodb\.NewImage\.Sku: the key column is missing/);
  });

  it('should reject malformed records with the path of the attribute', () => {
    const bad = (image: object, eventName = 'INSERT') => () => parseChangeEvents({ Records: [dynamoRecord('INSERT', '1', { Keys: keys, NewImage: { Id: { N: '1' } } }), dynamoRecord(eventName, '2', image as never)] });
    assert.match(rejection(bad({ Keys: keys, NewImage: { Id: { N: '1' }, Tags: { X: 'a' } } })).message, /^records\[1\]\.dynamodb\.NewImage\.Tags: unknown attribute type "X"; expected one of S, N, BOOL/);
    assert.match(rejection(bad({ Keys: keys, NewImage: { Id: { N: 'one' } } })).message, /^records\[1\]\.dynamodb\.NewImage\.Id\.N: expected a number as a string/);
    assert.match(rejection(bad({ Keys: keys, NewImage: { Id: { N: '1' }, L: { L: [{ S: 1 }] } } })).message, /^records\[1\]\.dynamodb\.NewImage\.L\.L\[0\]\.S: expected a string/);
    assert.match(rejection(bad({ Keys: keys, NewImage: { Id: { N: '1', S: '1' } } })).message, /expected exactly one type/);
    assert.match(rejection(bad({ Keys: keys })).message, /^records\[1\]\.dynamodb\.NewImage: is required: set the stream view type to NEW_AND_OLD_IMAGES/);
    assert.match(rejection(bad({ Keys: keys, NewImage: {} }, 'UPSERT')).message, /^records\[1\]\.eventName: expected one of INSERT, MODIFY, REMOVE/);
    const noSeq = dynamoRecord('INSERT', '1', { Keys: keys, NewImage: keys });
    delete (noSeq.dynamodb as { SequenceNumber?: string }).SequenceNumber;
    assert.match(rejection(() => parseChangeEvents([noSeq])).message, /^records\[0\]\.dynamodb\.SequenceNumber: expected a non-negative integer, got nothing/);
  });
});

describe('parseChangeEvents: Salesforce', () => {
  it('should map a create with compound and nested fields, keyed by Id', () => {
    const event = salesforce({}, { Name: 'Acme', BillingAddress: { Street: '1 Main St', City: 'San Francisco', Country: null }, OwnerId: '005RM000002AgDjYAK', NumberOfEmployees: 120, CreatedDate: '2021-02-09T23:17:59Z' });
    const { changes } = parseChangeEvents(event);
    const c = changes[0]!;
    assert.equal(c.cdc_op, 'c');
    assert.equal(c.cdc_format, 'salesforce');
    assert.equal(c.cdc_source, 'Account');
    assert.equal(c.cdc_ts, '2021-02-09T23:17:59.000Z');
    assert.equal(c.cdc_position, '00000010716283339728-0000000001');
    assert.deepEqual(rowOf(c), { Name: 'Acme', BillingAddress: { Street: '1 Main St', City: 'San Francisco', Country: null }, OwnerId: '005RM000002AgDjYAK', NumberOfEmployees: 120, CreatedDate: '2021-02-09T23:17:59Z', Id: '001RM000003R2nVYAS' });
  });

  it('should give one row per record id, set nulled fields to null, and map UNDELETE to c', () => {
    const update = salesforce({ changeType: 'UPDATE', sequenceNumber: 2, changedFields: ['Phone', 'Website', 'LastModifiedDate'], nulledFields: ['Website'] }, { Phone: '+1 415 555 0100', LastModifiedDate: '2021-02-10T09:00:00Z' });
    const merged = salesforce({ changeType: 'DELETE', recordIds: ['001RM000003R2nVYAS', '001RM000003R2nWYAS'], commitNumber: 10_716_283_339_800 });
    const undelete = { data: salesforce({ changeType: 'UNDELETE', recordIds: ['001RM000003R2nWYAS'], commitNumber: 10_716_283_339_900 }, { Name: 'Back' }), channel: '/data/AccountChangeEvent' };
    const { changes } = parseChangeEvents([update, merged, undelete]);
    assert.deepEqual(
      changes.map((c) => [c.cdc_op, c.Id]),
      [
        ['u', '001RM000003R2nVYAS'],
        ['d', '001RM000003R2nVYAS'],
        ['d', '001RM000003R2nWYAS'],
        ['c', '001RM000003R2nWYAS'],
      ],
    );
    assert.deepEqual(rowOf(changes[0]!), { Phone: '+1 415 555 0100', LastModifiedDate: '2021-02-10T09:00:00Z', Website: null, Id: '001RM000003R2nVYAS' });
    assert.equal(changes[1]!.cdc_position, changes[2]!.cdc_position, 'one event, one position');
    assert.notEqual(changes[1]!.cdc_id, changes[2]!.cdc_id, 'but two records, two ids');
    const positions = changes.map((c) => c.cdc_position);
    assert.ok(positions[0]! < positions[1]! && positions[2]! < positions[3]!);
    // sequenceNumber orders the changes of one transaction
    const seq = (n: number) => parseChangeEvents(salesforce({ changeType: 'UPDATE', sequenceNumber: n })).changes[0]!.cdc_position;
    assert.ok(seq(9) < seq(10));
  });

  it('should take a bare payload and a configured key column', () => {
    const { changes } = parseChangeEvents(salesforce({}, { Name: 'Acme' }).payload, { key: ['account_id'] });
    assert.equal(changes[0]!.account_id, '001RM000003R2nVYAS');
    assert.equal(changes[0]!.Id, undefined);
    assert.match(rejection(() => parseChangeEvents(salesforce({}), { key: ['a', 'b'] })).message, /^records\[0\]\.payload\.ChangeEventHeader: Salesforce records have one id/);
  });

  it('should report gap and overflow events as needing a re-sync, and apply the rest', () => {
    const gap = salesforce({ changeType: 'GAP_UPDATE', recordIds: ['00UZ0000000UREzMAO'], entityName: 'Event' });
    const overflow = salesforce({ changeType: 'GAP_OVERFLOW', recordIds: ['000000000000000AAA'] });
    const conversion = salesforce({ changeType: 'UPDATE', recordIds: ['001*'] });
    const { changes, resync } = parseChangeEvents([salesforce({}, { Name: 'Acme' }), gap, overflow, conversion]);
    assert.equal(changes.length, 1);
    assert.deepEqual(
      resync.map((r) => [r.at, r.kind, r.source, r.ids]),
      [
        ['records[1]', 'GAP_UPDATE', 'Event', ['00UZ0000000UREzMAO']],
        ['records[2]', 'GAP_OVERFLOW', 'Account', ['000000000000000AAA']],
        ['records[3]', 'UPDATE', 'Account', ['001*']],
      ],
    );
    assert.match(resync[0]!.message, /gap event \(GAP_UPDATE\).*re-sync Event 00UZ0000000UREzMAO from Salesforce/);
    assert.match(resync[1]!.message, /overflow event.*re-sync the Account records the transaction changed/);
  });

  it('should reject malformed events with the path', () => {
    assert.match(rejection(() => parseChangeEvents([salesforce({}), salesforce({ changeType: 'MERGE' })])).message, /^records\[1\]\.payload\.ChangeEventHeader\.changeType: expected one of CREATE, UPDATE, DELETE, UNDELETE/);
    assert.match(rejection(() => parseChangeEvents(salesforce({ recordIds: '001' }))).message, /^records\[0\]\.payload\.ChangeEventHeader\.recordIds: expected an array of record ids/);
    assert.match(rejection(() => parseChangeEvents(salesforce({ commitTimestamp: '2021-02-09' }))).message, /^records\[0\]\.payload\.ChangeEventHeader\.commitTimestamp: expected a time in epoch milliseconds/);
    assert.match(rejection(() => parseChangeEvents(salesforce({ entityName: undefined }))).message, /^records\[0\]\.payload\.ChangeEventHeader\.entityName: is required/);
  });
});

describe('parseChangeEvents: bodies', () => {
  it('should read NDJSON, arrays, single events and mixed formats alike', () => {
    const events = [debezium('c', null, ANA, 1), dynamoRecord('INSERT', '5', { Keys: { id: { S: 'x' } }, NewImage: { id: { S: 'x' } } }), salesforce({})];
    const fromArray = parseChangeEvents(events, { key: ['id'] }).changes;
    const fromNdjson = parseChangeEvents(events.map((e) => JSON.stringify(e)).join('\n') + '\n\n', { key: ['id'] }).changes;
    assert.deepEqual(fromNdjson, fromArray);
    assert.deepEqual(fromArray.map((c) => c.cdc_format), ['debezium', 'dynamodb', 'salesforce']);
    assert.deepEqual(parseChangeEvents([], {}), { changes: [], resync: [], tombstones: 0 });
    assert.equal(detectChangeFormat(events[1]), 'dynamodb');
    assert.equal(detectChangeFormat({ type: 'track' }), undefined);
  });

  it('should reject what is not change events', () => {
    assert.match(rejection(() => parseChangeEvents('{"op":"c"}\n{nope\n')).message, /^line 2: not valid JSON/);
    assert.match(rejection(() => parseChangeEvents(42)).message, /^body: expected change events/);
    assert.match(rejection(() => parseChangeEvents(undefined)).message, /^body: expected change events/);
    assert.match(rejection(() => parseChangeEvents([{ type: 'track', event: 'x' }])).message, /^records\[0\]: not a change event/);
    assert.match(rejection(() => parseChangeEvents(['x'])).message, /^records\[0\]: expected a change event/);
  });
});

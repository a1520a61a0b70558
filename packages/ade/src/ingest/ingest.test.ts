import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DEFAULT_ENGINE_CONFIG } from '../engine/index.js';
import type { Principal } from '../kernel/index.js';
import { Lake, verifyLake } from '../lake/index.js';
import { tokenize, type Keyring } from '../privacy/index.js';
import { ingest, rebuildSource, type IngestReport } from './ingest-source.js';
import { SOURCE_DEFAULTS, type FieldPolicy, type SourceConfig } from './source-config.js';

const engineer: Principal = { name: 'eng', role: 'engineer' };
const keyring: Keyring = { activeKeyId: 'k1', keys: { k1: randomBytes(32) } };
const ndjson = (rows: readonly unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

function source(name: string, extra: Partial<SourceConfig> = {}, fields: Record<string, FieldPolicy> = {}): SourceConfig {
  return { ...SOURCE_DEFAULTS, name, format: 'ndjson', eventId: 'id', fields, ...extra };
}

describe('ingest', () => {
  let dir: string;
  let lake: Lake;
  let n = 0;
  const file = async (content: string | Buffer, ext = 'ndjson') => {
    const p = join(dir, `in-${++n}.${ext}`);
    await writeFile(p, content);
    return p;
  };
  const run = (src: SourceConfig, paths: string[], ring: Keyring | undefined = keyring): Promise<IngestReport> =>
    ingest(lake, engineer, { source: src, paths, baseDir: dir, keyring: ring });
  const rows = async (sql: string) => {
    const s = await lake.session(engineer);
    try {
      return (await s.query(sql)).rows;
    } finally {
      await s.close();
    }
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ade-ingest-test-'));
    lake = await Lake.open({
      storage: { kind: 'local', root: join(dir, 'lake') },
      catalog: { kind: 'sqlite', path: join(dir, 'catalog.db') },
      engine: { ...DEFAULT_ENGINE_CONFIG, threads: 2, tempDir: join(dir, 'tmp') },
    });
  });
  after(async () => {
    await lake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should skip a file it has seen, keep one row per event id, and drop ids already in the table', async () => {
    const src = source('dedup', {}, { email: { action: 'tokenize', kind: 'email' } });
    const a = await file(ndjson([{ id: 1, email: 'a@x.io' }, { id: 2, email: 'b@x.io' }, { id: 2, email: 'b@x.io' }, { id: 1, email: 'a@x.io' }]));
    const first = await run(src, [a]);
    assert.deepEqual([first.rowsRead, first.rowsWritten, first.deduplicated], [4, 2, 2]);
    const again = await run(src, [a]);
    assert.deepEqual([again.filesSkipped, again.rowsWritten], [1, 0]);
    const b = await file(ndjson([{ id: 2, email: 'b@x.io' }, { id: 3, email: 'c@x.io' }]));
    const second = await run(src, [b]);
    assert.deepEqual([second.rowsWritten, second.deduplicated], [1, 1]);
    assert.deepEqual(await rows('SELECT id FROM clean.dedup ORDER BY id'), [{ id: 1 }, { id: 2 }, { id: 3 }]);
    // The batch and the ledger record the key id and the counts; raw keeps the bytes.
    const batches = await lake.catalog.listBatches({ zone: 'clean', name: 'dedup' });
    assert.equal(batches.length, 2);
    const ledger = await lake.catalog.listIngestedFiles({ source: 'dedup' });
    assert.equal(ledger.length, 2);
    assert.equal(ledger[0]!.info.keyId, 'k1');
    assert.equal((await lake.store.get(ledger[0]!.rawKey)).toString(), ndjson([{ id: 1, email: 'a@x.io' }, { id: 2, email: 'b@x.io' }, { id: 2, email: 'b@x.io' }, { id: 1, email: 'a@x.io' }]));
    // verify checks the ledger's copies: present, and (reading) still the bytes that were hashed.
    assert.deepEqual((await verifyLake(lake, { readFiles: true })).problems, []);
    await lake.store.put(ledger[0]!.rawKey, 'tampered\n');
    const problems = (await verifyLake(lake, { readFiles: true })).problems.map((p) => p.problem);
    assert.deepEqual(problems, [`ingested file ${ledger[0]!.rawKey} no longer has the bytes that were ingested`]);
    await lake.store.put(ledger[0]!.rawKey, ndjson([{ id: 1, email: 'a@x.io' }, { id: 2, email: 'b@x.io' }, { id: 2, email: 'b@x.io' }, { id: 1, email: 'a@x.io' }]));
  });

  it('should apply policies to nested paths and scan what no policy names', async () => {
    const src = source('nested', {}, {
      'properties.email': { action: 'tokenize', kind: 'email' },
      'items[].card': { action: 'mask', keepLast: 4 },
      note: { action: 'redact' },
    });
    const f = await file(
      ndjson([
        {
          id: 1,
          properties: { email: 'Ann@Example.com', plan: 'pro', backup: 'call +1 415 555 0101' },
          items: [{ sku: 'A', card: '4111111111111111' }],
          note: 'mail ann@example.com',
          contact: 'ann@example.com',
          owner_name: 'Ann Smith',
          city: 'Springfield',
        },
      ]),
    );
    const r = await run(src, [f]);
    assert.equal(r.rowsWritten, 1);
    const [row] = await rows('SELECT * FROM clean.nested');
    const tok = tokenize('ann@example.com', keyring, 'k1', 'email');
    assert.equal(row!.properties_email, tok);
    assert.equal(row!.properties_plan, 'pro');
    assert.match(String(row!.properties_backup), /^call \[PHONE:tok_[A-Za-z0-9_-]{22}\]$/);
    assert.equal(row!.items, JSON.stringify([{ sku: 'A', card: '************1111' }]));
    // Redacted spans carry the same token as the tokenized column: joins still work.
    assert.equal(row!.note, `mail [EMAIL:${tok}]`);
    // Undeclared: a whole-value identifier becomes its token; a person's name (by the field name) too.
    assert.equal(row!.contact, tok);
    assert.equal(row!.owner_name, tokenize('Ann Smith', keyring, 'k1', 'text'));
    assert.equal(row!.city, 'Springfield');
    const fields = r.detections.map((d) => `${d.field}:${d.detector}`).sort();
    assert.deepEqual(fields, ['contact:email', 'note:email', 'owner_name:name:person_name', 'properties.backup:phone']);
  });

  it('should mask and generalize in DuckDB as the JavaScript functions do', async () => {
    const src = source('general', {}, {
      ip: { action: 'generalize', to: 'ip', v4Prefix: 24, v6Prefix: 48 },
      zip: { action: 'generalize', to: 'zip', digits: 3 },
      born: { action: 'generalize', to: 'year' },
      seen: { action: 'generalize', to: 'day' },
      age: { action: 'generalize', to: 'age', band: 10 },
      lat: { action: 'generalize', to: 'coordinate', decimals: 2 },
      card: { action: 'mask', keepLast: 4 },
    });
    const f = await file(
      ndjson([
        { id: 1, ip: '192.0.2.17', zip: '94107', born: '1984-07-03', seen: '2026-03-07T12:30:00Z', age: 37, lat: 52.520008, card: '4111111111111111' },
        { id: 2, ip: '2001:db8:85a3::8a2e:370:7334', zip: 'SW1A 1AA', born: '2001-01-01', seen: '2026-03-08T00:00:00Z', age: 95, lat: -33.868, card: '12' },
        { id: 3, ip: 'not an ip', zip: null, born: null, seen: null, age: null, lat: null, card: null },
      ]),
    );
    await run(src, [f]);
    const got = await rows('SELECT id, ip, zip, born, CAST(seen AS VARCHAR) AS seen, age, lat, card FROM clean.general ORDER BY id');
    assert.deepEqual(got, [
      { id: 1, ip: '192.0.2.0/24', zip: '941', born: 1984, seen: '2026-03-07', age: '30-39', lat: 52.52, card: '************1111' },
      { id: 2, ip: '2001:db8:85a3::/48', zip: 'SW1', born: 2001, seen: '2026-03-08', age: '90+', lat: -33.87, card: '**' },
      { id: 3, ip: null, zip: null, born: null, seen: null, age: null, lat: null, card: null },
    ]);
  });

  it('should drop or reject undeclared fields that hold personal data, as the source says', async () => {
    const rowsIn = ndjson([{ id: 1, memo: 'hello' }, { id: 2, memo: 'reach me at z@x.io' }, { id: 3, memo: 'fine' }]);
    const dropped = await run(source('undecl_drop', { undeclared: 'drop' }), [await file(rowsIn)]);
    assert.equal(dropped.rowsWritten, 3);
    assert.deepEqual(Object.keys((await rows('SELECT * FROM clean.undecl_drop LIMIT 1'))[0]!), ['id']);
    const rejected = await run(source('undecl_reject', { undeclared: 'reject' }), [await file(rowsIn)]);
    assert.deepEqual([rejected.rowsWritten, rejected.quarantined], [2, 1]);
    const [q] = await rows('SELECT line, field, reason FROM quarantine.undecl_reject');
    assert.deepEqual(q, { line: 2, field: 'memo', reason: 'undeclared field memo holds personal data (email)' });
  });

  it('should quarantine bad rows with file, line, field and reason, and land the good ones', async () => {
    const src = source('typed', { schema: [{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'DOUBLE' }] });
    const f = await file(
      ndjson([{ id: 1, amount: 2.5 }, '{"id": 2, "amount": ', { id: 3, amount: 'lots' }, { amount: 4 }, { id: 5, amount: 5 }]),
    );
    const r = await run(src, [f]);
    assert.deepEqual([r.rowsRead, r.rowsWritten, r.quarantined], [5, 2, 3]);
    assert.equal(r.files[0]!.path, 'scan');
    const q = await rows('SELECT file, line, field, reason FROM quarantine.typed ORDER BY line');
    assert.deepEqual(
      q.map((x) => [x.line, x.field, x.reason]),
      [
        [2, null, 'not valid JSON (the record ends before the JSON value is complete)'],
        [3, 'amount', 'field amount: not a DOUBLE'],
        [4, 'id', 'event id field id is missing'],
      ],
    );
    assert.ok(q.every((x) => String(x.file).startsWith('in-')));
    assert.deepEqual(await rows('SELECT id FROM clean.typed ORDER BY id'), [{ id: 1 }, { id: 5 }]);
  });

  it('should keep fields that first appear past the type sample, in a file with bad lines too', async () => {
    // DuckDB infers types from the first 20,480 records. A field that appears only after them must still
    // land, also when a malformed line sends the file down the record-by-record path (a bug once dropped
    // such fields there without a word: the demo lost its experiments' exposure properties).
    const records: unknown[] = Array.from({ length: 25_000 }, (_, i) => ({ id: i + 1, properties: { page: 'home' } }));
    records.push({ id: 25_001, properties: { page: 'checkout', experiment_key: 'green_button', variation: 1 } });
    for (const bad of [false, true]) {
      const src = source(bad ? 'late_fields_bad' : 'late_fields');
      const r = await run(src, [await file(ndjson(bad ? [...records.slice(0, 100), '{"id": 101, "properties": ', ...records.slice(100)] : records))]);
      assert.equal(r.files[0]!.path, bad ? 'scan' : 'fast');
      assert.deepEqual([r.rowsWritten, r.quarantined], [25_001, bad ? 1 : 0]);
      const [late] = await rows(`SELECT properties_experiment_key AS k, properties_variation AS v FROM clean.${src.name} WHERE id = 25001`);
      assert.deepEqual(late, { k: 'green_button', v: 1 }, `${src.name}: the late fields landed`);
    }
  });

  it('should pin the schema from the first file, evolve it, or reject new fields', async () => {
    const evolving = source('evolve');
    await run(evolving, [await file(ndjson([{ id: 1, a: 'x' }]))]);
    const r = await run(evolving, [await file(ndjson([{ id: 2, a: 'y', b: 7 }]))]);
    assert.deepEqual(r.files[0]!.addedColumns, ['b']);
    assert.deepEqual(await rows('SELECT id, a, b FROM clean.evolve ORDER BY id'), [{ id: 1, a: 'x', b: null }, { id: 2, a: 'y', b: 7 }]);
    assert.deepEqual((await lake.catalog.getSourceSchema('evolve'))!.columns.map((c) => c.name), ['id', 'a', 'b']);

    const strict = source('strict', { onSchemaChange: 'reject' });
    await run(strict, [await file(ndjson([{ id: 1, a: 'x' }]))]);
    const s = await run(strict, [await file(ndjson([{ id: 2, a: 'y' }, { id: 3, a: 'z', extra: true }]))]);
    assert.deepEqual([s.rowsWritten, s.quarantined], [1, 1]);
    const [q] = await rows('SELECT line, field, reason FROM quarantine.strict');
    assert.deepEqual(q, { line: 2, field: 'extra', reason: 'field extra is not in the pinned schema (on_schema_change: reject)' });
  });

  it('should read CSV and gzip, quarantining ragged rows by line', async () => {
    const src = { ...source('csvsrc', { format: 'csv' }), compression: 'auto' as const };
    const csv = 'id,item,qty\n1,beans,2\n2,cups\n3,"mugs, large",4\n';
    const r = await run(src, [await file(gzipSync(csv), 'csv.gz')]);
    assert.deepEqual([r.rowsWritten, r.quarantined], [2, 1]);
    const [q] = await rows('SELECT line, reason FROM quarantine.csvsrc');
    assert.deepEqual(q, { line: 3, reason: 'row has 2 fields; the header has 3' });
    // Types come from the rows that parsed (the sniffer gives up on ragged files).
    assert.deepEqual(await rows('SELECT id, item, qty FROM clean.csvsrc ORDER BY id'), [
      { id: 1, item: 'beans', qty: 2 },
      { id: 3, item: 'mugs, large', qty: 4 },
    ]);
  });

  it('should tokenize values outside ASCII in JavaScript exactly as DuckDB does the rest', async () => {
    const src = source('unicode', {}, { email: { action: 'tokenize', kind: 'email' } });
    await run(src, [await file(ndjson([{ id: 1, email: 'JÖRG@example.de' }, { id: 2, email: 'jorg@example.de' }]))]);
    const got = await rows('SELECT id, email FROM clean.unicode ORDER BY id');
    assert.equal(got[0]!.email, tokenize('JÖRG@example.de', keyring, 'k1', 'email'));
    assert.equal(got[1]!.email, tokenize('jorg@example.de', keyring, 'k1', 'email'));
  });

  it('should rebuild from raw with a rotated key: new tokens, same rows, quarantine rebuilt', async () => {
    const src = source('rotate', {}, { email: { action: 'tokenize', kind: 'email' } });
    await run(src, [await file(ndjson([{ id: 1, email: 'a@x.io' }, { id: 2, email: 'b@x.io' }, '{broken']))]);
    await run(src, [await file(ndjson([{ id: 3, email: 'a@x.io' }]))]);
    const rotated: Keyring = { activeKeyId: 'k2', keys: { ...keyring.keys, k2: randomBytes(32) } };
    const r = await rebuildSource(lake, engineer, { source: src, keyring: rotated });
    assert.deepEqual([r.filesIngested, r.rowsWritten, r.quarantined, r.keyId], [2, 3, 1, 'k2']);
    const got = await rows('SELECT id, email FROM clean.rotate ORDER BY id');
    assert.deepEqual(got.map((x) => x.email), ['a@x.io', 'b@x.io', 'a@x.io'].map((v) => tokenize(v, rotated, 'k2', 'email')));
    assert.equal((await rows('SELECT count(*) AS n FROM quarantine.rotate'))[0]!.n, 1);
    const ledger = await lake.catalog.listIngestedFiles({ source: 'rotate' });
    assert.deepEqual(ledger.map((f) => f.info.keyId), ['k2', 'k2']);
    // Running it again gives the same tables (a rebuild that stopped half way is completed this way).
    await rebuildSource(lake, engineer, { source: src, keyring: rotated });
    assert.equal((await rows('SELECT count(*) AS n FROM clean.rotate'))[0]!.n, 3);
  });

  it('should let one ingest per source run at a time, and take over a lease whose holder died', async () => {
    const src = source('leased');
    const f = await file(ndjson([{ id: 1 }]));
    await lake.catalog.acquireIngestLease('leased', 'other-machine:1', 60_000);
    await assert.rejects(run(src, [f]), (e: Error & { code?: string }) => e.code === 'ingest.busy' && /other-machine/.test(e.message));
    await lake.catalog.releaseIngestLease('leased', 'other-machine:1');
    assert.equal((await run(src, [f])).rowsWritten, 1);
    // An expired lease (its holder stopped renewing) does not block.
    await lake.catalog.acquireIngestLease('leased', 'crashed:1', -1);
    assert.equal((await run(src, [await file(ndjson([{ id: 2 }]))])).rowsWritten, 1);
    // Nor does a live lease whose holder was a process on this machine that no longer runs (killed mid-ingest).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await lake.catalog.acquireIngestLease('leased', `collector:${hostname()}:${gone.stdout}:0190`, 60_000);
    assert.equal((await run(src, [await file(ndjson([{ id: 3 }]))])).rowsWritten, 1);
    // A live holder on this machine still blocks.
    await lake.catalog.acquireIngestLease('leased', `other:${hostname()}:${process.ppid}:0191`, 60_000);
    await assert.rejects(run(src, [await file(ndjson([{ id: 4 }]))]), (e: Error & { code?: string }) => e.code === 'ingest.busy' && /other on .*, pid/.test(e.message));
    await lake.catalog.releaseIngestLease('leased', `other:${hostname()}:${process.ppid}:0191`);
  });

  it('should refuse to run without a key or with a known default key, before touching anything', async () => {
    const src = source('nokey');
    const f = await file(ndjson([{ id: 1 }]));
    await assert.rejects(ingest(lake, engineer, { source: src, paths: [f], baseDir: dir, keyring: undefined }), /needs a keyring/);
    await assert.rejects(run(src, [f], { activeKeyId: 'd', keys: { d: new Uint8Array(32) } }), (e: Error & { code?: string }) => e.code === 'privacy.default_key');
    assert.equal(await lake.catalog.getTable({ zone: 'clean', name: 'nokey' }), undefined);
    assert.deepEqual(await lake.catalog.listIngestedFiles({ source: 'nokey' }), []);
  });
});

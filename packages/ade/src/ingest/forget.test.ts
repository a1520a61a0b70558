import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decompress } from 'fzstd';
import { DEFAULT_ENGINE_CONFIG } from '../engine/index.js';
import { fixedClock, PermissionError, quoteLiteral, ValidationError, type Principal } from '../kernel/index.js';
import { Lake } from '../lake/index.js';
import { tokenize, type Keyring } from '../privacy/index.js';
import { forgetSubject, type ErasureReport } from './forget.js';
import { ingest } from './ingest-source.js';
import { SOURCE_DEFAULTS, type SourceConfig } from './source-config.js';

const engineer: Principal = { name: 'eng', role: 'engineer' };
const analyst: Principal = { name: 'ana', role: 'analyst' };
const source: SourceConfig = {
  ...SOURCE_DEFAULTS,
  name: 'events',
  format: 'ndjson',
  eventId: 'id',
  fields: { email: { action: 'tokenize', kind: 'email' }, message: { action: 'redact' } },
};
const SUBJECT = 'jane.doe@example.com';
const k1 = randomBytes(32);
const k2 = randomBytes(32);
const older: Keyring = { activeKeyId: 'k1', keys: { k1 } };
const rotated: Keyring = { activeKeyId: 'k2', keys: { k1, k2 } };

const line = (o: Record<string, unknown>) => JSON.stringify(o) + '\n';

// Batch 1 (key k1, plain NDJSON): the subject in the email column (other spelling), in free text, and in a broken record.
const FILE_A =
  line({ id: 1, email: 'Jane.Doe@Example.com', message: 'hello', n: 1 }) +
  line({ id: 2, email: 'bob@example.com', message: 'nothing to see', n: 2 }) +
  line({ id: 3, email: 'carl@example.com', message: `please cc ${SUBJECT} on this`, n: 3 }) +
  `{"id": 4, "email": "${SUBJECT}", "n": 4, broken\n` +
  line({ id: 5, email: 'dora@example.com', message: 'mail xjane.doe@example.community', n: 5 });
// Batch 2 (key k2 after rotation, gzip): the subject again, and someone else.
const FILE_B = line({ id: 6, email: SUBJECT, message: 'second visit', n: 6 }) + line({ id: 7, email: 'erin@example.com', message: 'hi', n: 7 });

describe('forgetSubject', () => {
  let dir: string;
  let lake: Lake;
  const hashes: string[] = [];
  const tokens = [tokenize(SUBJECT, rotated, 'k1', 'email'), tokenize(SUBJECT, rotated, 'k2', 'email')];

  const query = async (sql: string) => {
    const s = await lake.session(engineer);
    try {
      return (await s.query(sql)).rows;
    } finally {
      await s.close();
    }
  };
  const ids = async () => (await query('SELECT id FROM clean.events ORDER BY id')).map((r) => Number(r.id));
  const forget = (opts: { dryRun?: boolean; keyring?: Keyring; value?: string } = {}) =>
    forgetSubject(lake, engineer, { sources: [source], keyring: opts.keyring ?? rotated, field: 'email', value: opts.value ?? ' JANE.DOE@example.com', ...(opts.dryRun ? { dryRun: true } : {}) });
  const table = (r: ErasureReport, name: string) => r.tables.find((t) => t.table === name)!;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ade-forget-test-'));
    lake = await Lake.open({
      storage: { kind: 'local', root: join(dir, 'lake') },
      catalog: { kind: 'sqlite', path: join(dir, 'catalog.db') },
      engine: { ...DEFAULT_ENGINE_CONFIG, tempDir: join(dir, 'tmp') },
      clock: fixedClock('2026-03-01T00:00:00Z'),
    });
    await writeFile(join(dir, 'a.ndjson'), FILE_A);
    await writeFile(join(dir, 'b.ndjson.gz'), gzipSync(FILE_B));
    const a = await ingest(lake, engineer, { source, paths: [join(dir, 'a.ndjson')], baseDir: dir, keyring: older });
    const b = await ingest(lake, engineer, { source, paths: [join(dir, 'b.ndjson.gz')], baseDir: dir, keyring: rotated });
    hashes.push(a.files[0]!.contentHash, b.files[0]!.contentHash);
    assert.deepEqual(await ids(), [1, 2, 3, 5, 6, 7], 'fixture: record 4 is quarantined');
  });
  after(async () => {
    await lake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should refuse analysts, a missing keyring and values too short to match safely', async () => {
    await assert.rejects(forgetSubject(lake, analyst, { sources: [source], keyring: rotated, field: 'email', value: SUBJECT }), PermissionError);
    await assert.rejects(forgetSubject(lake, engineer, { sources: [source], keyring: undefined, field: 'email', value: SUBJECT }), /keyring/);
    await assert.rejects(forget({ value: 'ab' }), ValidationError);
  });

  it('should report what a dry run would remove and change nothing', async () => {
    const auditsBefore = (await lake.catalog.listAudit({ limit: 1000 })).length;
    const [r] = await forget({ dryRun: true });
    assert.equal(r!.dryRun, true);
    assert.equal(r!.tokens, 2);
    assert.equal(r!.kind, 'email');
    assert.equal(r!.fieldColumn, 'email');
    assert.equal(table(r!, 'clean.events').rowsRemoved, 3);
    assert.equal(table(r!, 'quarantine.events').rowsRemoved, 1);
    assert.deepEqual({ files: r!.rawFiles.filesRewritten, lines: r!.rawFiles.linesRemoved }, { files: 2, lines: 4 });
    assert.deepEqual(await ids(), [1, 2, 3, 5, 6, 7]);
    assert.equal((await lake.catalog.listAudit({ limit: 1000 })).length, auditsBefore);
  });

  it("should remove the subject's rows from clean (token column and redacted text, under every key), quarantine and raw, and nothing else", async () => {
    const rawBefore = await Promise.all(hashes.map(async (h) => (await lake.catalog.getIngestedFile('events', h))!));
    const [r] = await forget();
    assert.equal(table(r!, 'clean.events').rowsRemoved, 3);
    assert.equal(table(r!, 'quarantine.events').rowsRemoved, 1);
    assert.equal(r!.rawFiles.linesRemoved, 4);
    assert.deepEqual(r!.rawFiles.unsupported, []);

    // clean: 1 (token under k1), 3 (placeholder in free text), 6 (token under k2) are gone; 5 (a longer address) stays.
    assert.deepEqual(await ids(), [2, 5, 7]);
    const text = JSON.stringify(await query('SELECT * FROM clean.events'));
    for (const t of tokens) assert.ok(!text.includes(t));
    assert.equal((await query('SELECT count(*) AS n FROM quarantine.events'))[0]!.n, 0);

    // One overwrite commit per table.
    const [latest] = await lake.catalog.history({ zone: 'clean', name: 'events' }, { limit: 1 });
    assert.equal(latest!.operation, 'overwrite');
    assert.equal(latest!.id, table(r!, 'clean.events').snapshot);

    // raw: new keys, old objects gone, same content hash, other lines byte for byte.
    for (const [i, h] of hashes.entries()) {
      const now = (await lake.catalog.getIngestedFile('events', h))!;
      assert.equal(now.contentHash, rawBefore[i]!.contentHash);
      assert.notEqual(now.rawKey, rawBefore[i]!.rawKey);
      assert.match(now.rawKey, /^raw\/events\/files\/.+-erased-[0-9a-f]{12}-/);
      assert.equal(await lake.store.stat(rawBefore[i]!.rawKey), undefined);
      assert.ok(typeof now.info.erasures === 'number' && now.info.erasures > 0);
    }
    const a = (await lake.store.get((await lake.catalog.getIngestedFile('events', hashes[0]!))!.rawKey)).toString('utf8');
    assert.equal(a, FILE_A.split('\n').filter((l) => l.startsWith('{"id":2') || l.startsWith('{"id":5')).map((l) => l + '\n').join(''));
    const b = gunzipSync(await lake.store.get((await lake.catalog.getIngestedFile('events', hashes[1]!))!.rawKey)).toString('utf8');
    assert.equal(b, line({ id: 7, email: 'erin@example.com', message: 'hi', n: 7 }));
  });

  it('should audit one event per source with counts only, never the value or a token', async () => {
    const events = await lake.catalog.listAudit({ limit: 1000 });
    const erasures = events.filter((e) => e.action === 'erasure');
    assert.equal(erasures.length, 1);
    assert.equal(erasures[0]!.target, 'source:events');
    assert.equal(erasures[0]!.actor, 'eng');
    assert.deepEqual(erasures[0]!.details.rowsRemoved, { 'clean.events': 3, 'quarantine.events': 1 });
    assert.equal(erasures[0]!.details.tokens, 2);
    const all = JSON.stringify(events).toLowerCase();
    assert.ok(!all.includes('jane'), 'the audit log holds no part of the value');
    for (const t of tokens) assert.ok(!all.includes(t.toLowerCase()), 'nor a token of it');
  });

  it('should find nothing on a second erasure of the same subject', async () => {
    const [r] = await forget();
    assert.deepEqual(
      r!.tables.map((t) => [t.table, t.rowsRemoved, t.filesRewritten]),
      [
        ['clean.events', 0, 0],
        ['quarantine.events', 0, 0],
      ],
    );
    assert.equal(r!.rawFiles.filesRewritten, 0);
    assert.deepEqual(await ids(), [2, 5, 7]);
  });

  it('should delete an old copy an interrupted erasure left behind', async () => {
    // A crash between the ledger update and the delete leaves the old copy; the ledger names it.
    const leftover = 'raw/events/files/2026/03/01/0000000000000000-leftover.ndjson';
    await lake.store.put(leftover, FILE_A);
    await lake.catalog.updateIngestedFile('events', hashes[0]!, { info: { replacedKey: leftover } });
    await forget();
    assert.equal(await lake.store.stat(leftover), undefined);
  });

  it('should still recognise the original files as ingested', async () => {
    const again = await ingest(lake, engineer, { source, paths: [join(dir, 'a.ndjson'), join(dir, 'b.ndjson.gz')], baseDir: dir, keyring: rotated });
    assert.equal(again.filesSkipped, 2);
    assert.deepEqual(await ids(), [2, 5, 7]);
  });

  /** Writes a file with DuckDB (`COPY (sql) TO … (options)`) and returns its path outside the workspace. */
  const duckFile = async (name: string, sql: string, options: string) => {
    const ws = await lake.engine.openWorkspace({ workDir: join(dir, `make-${name}`) });
    try {
      await ws.run(`COPY (${sql}) TO ${quoteLiteral(join(ws.workDir, name))} (${options})`);
      await copyFile(join(ws.workDir, name), join(dir, name));
      return join(dir, name);
    } finally {
      await ws.close();
    }
  };
  const rowsOf = `SELECT * FROM (VALUES (1, '${SUBJECT}', 'first'), (2, 'bob@example.com', 'ask ${SUBJECT}'), (3, 'erin@example.com', 'fine')) AS t(id, email, message)`;

  it('should rewrite a raw Parquet copy without the rows holding the value', async () => {
    const visits: SourceConfig = { ...source, name: 'visits', format: 'parquet' };
    const input = await duckFile('visits.parquet', rowsOf, 'FORMAT parquet');
    const r0 = await ingest(lake, engineer, { source: visits, paths: [input], baseDir: dir, keyring: rotated });
    assert.equal(r0.rowsWritten, 3);
    const [r] = await forgetSubject(lake, engineer, { sources: [visits], keyring: rotated, field: 'email', value: SUBJECT });
    assert.equal(table(r!, 'clean.visits').rowsRemoved, 2);
    assert.deepEqual({ files: r!.rawFiles.filesRewritten, rows: r!.rawFiles.linesRemoved }, { files: 1, rows: 2 });
    const raw = (await lake.catalog.getIngestedFile('visits', r0.files[0]!.contentHash))!;
    const local = await lake.store.localPath(raw.rawKey);
    const ws = await lake.engine.openWorkspace({ workDir: join(dir, 'read-parquet'), readPaths: [local] });
    try {
      assert.deepEqual((await ws.all(`SELECT id FROM read_parquet(${quoteLiteral(local)}) ORDER BY id`)).map((x) => Number(x.id)), [3]);
    } finally {
      await ws.close();
    }
  });

  it('should rewrite a zstd raw copy (as gzip where Node cannot write zstd)', async () => {
    const clicks: SourceConfig = { ...source, name: 'clicks' };
    const input = await duckFile('clicks.ndjson.zst', rowsOf, 'FORMAT json, COMPRESSION zstd');
    const r0 = await ingest(lake, engineer, { source: clicks, paths: [input], baseDir: dir, keyring: rotated });
    assert.equal(r0.rowsWritten, 3);
    const [r] = await forgetSubject(lake, engineer, { sources: [clicks], keyring: rotated, field: 'email', value: SUBJECT });
    assert.equal(r!.rawFiles.linesRemoved, 2);
    const raw = (await lake.catalog.getIngestedFile('clicks', r0.files[0]!.contentHash))!;
    const bytes = await lake.store.get(raw.rawKey);
    const text = raw.rawKey.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : Buffer.from(decompress(bytes)).toString('utf8');
    assert.match(raw.rawKey, /clicks\.ndjson\.(zst|gz)$/);
    assert.deepEqual(text.trim().split('\n').map((l) => JSON.parse(l).id), [3]);
  });

  it('should report nothing, and no value, for a source never ingested', async () => {
    const ghost: SourceConfig = { ...source, name: 'ghost' };
    const [r] = await forgetSubject(lake, engineer, { sources: [ghost], keyring: rotated, field: 'email', value: SUBJECT });
    assert.deepEqual(r!.tables, []);
    assert.ok(!JSON.stringify(r).includes('jane'));
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ENGINE_CONFIG } from '../engine/index.js';
import { fixedClock, PermissionError, type Principal } from '../kernel/index.js';
import { Lake } from '../lake/index.js';
import type { Keyring } from '../privacy/index.js';
import { archiveKeyFor, archiveSources } from './archive.js';
import { ingest } from './ingest-source.js';
import { SOURCE_DEFAULTS, type SourceConfig } from './source-config.js';

const engineer: Principal = { name: 'eng', role: 'engineer' };
const analyst: Principal = { name: 'ana', role: 'analyst' };
const DAY = 24 * 3600_000;
const keyring: Keyring = { activeKeyId: 'k1', keys: { k1: randomBytes(32) } };
const source: SourceConfig = {
  ...SOURCE_DEFAULTS,
  name: 'events',
  format: 'ndjson',
  eventId: 'id',
  fields: { email: { action: 'tokenize', kind: 'email' } },
  rawRetentionMs: 10 * DAY,
  archiveRetentionMs: 30 * DAY,
};

describe('archiveSources', () => {
  let dir: string;
  let lake: Lake;
  const clock = fixedClock('2026-01-01T00:00:00Z');
  let n = 0;

  /** Ingests a one-line file now and returns its ledger record. */
  const ingestOne = async (src: SourceConfig = source) => {
    const file = join(dir, `in-${++n}.ndjson`);
    await writeFile(file, JSON.stringify({ id: n, email: `user${n}@example.com` }) + '\n');
    const r = await ingest(lake, engineer, { source: src, paths: [file], baseDir: dir, keyring });
    return (await lake.catalog.getIngestedFile(src.name, r.files[0]!.contentHash))!;
  };
  const ledger = async (hash: string, src = source.name) => (await lake.catalog.getIngestedFile(src, hash))!;
  const exists = async (key: string) => (await lake.store.stat(key)) !== undefined;
  const audits = async (action: string) => (await lake.catalog.listAudit({ limit: 1000 })).filter((e) => e.action === action);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ade-archive-test-'));
    lake = await Lake.open({
      storage: { kind: 'local', root: join(dir, 'lake') },
      catalog: { kind: 'sqlite', path: join(dir, 'catalog.db') },
      engine: { ...DEFAULT_ENGINE_CONFIG, tempDir: join(dir, 'tmp') },
      clock,
    });
  });
  after(async () => {
    await lake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should keep the raw key suffix under archive/', () => {
    assert.equal(archiveKeyFor('raw/events/files/2026/01/01/0123456789abcdef-a.ndjson'), 'archive/events/files/2026/01/01/0123456789abcdef-a.ndjson');
  });

  it('should refuse analysts', async () => {
    await assert.rejects(archiveSources(lake, analyst, [source]), PermissionError);
  });

  it('should move raw files older than raw retention and leave newer ones, auditing once per source', async () => {
    const old = await ingestOne();
    const old2 = await ingestOne();
    clock.advance(8 * DAY);
    const young = await ingestOne();
    clock.advance(3 * DAY);

    const dry = await archiveSources(lake, engineer, [source], { dryRun: true });
    assert.equal(dry[0]!.moved, 2);
    assert.equal(dry[0]!.dryRun, true);
    assert.equal((await ledger(old.contentHash)).zone, 'raw', 'a dry run changes nothing');
    assert.ok(await exists(old.rawKey));

    const [r] = await archiveSources(lake, engineer, [source]);
    assert.equal(r!.moved, 2);
    assert.equal(r!.deleted, 0);
    assert.equal(r!.bytes, old.bytes + old2.bytes);
    assert.deepEqual(r!.problems, []);

    for (const f of [old, old2]) {
      const now = await ledger(f.contentHash);
      assert.equal(now.zone, 'archive');
      assert.equal(now.rawKey, archiveKeyFor(f.rawKey));
      assert.ok(now.movedAt);
      assert.ok(await exists(now.rawKey), 'the archive copy exists');
      assert.ok(!(await exists(f.rawKey)), 'the raw copy is gone');
    }
    const y = await ledger(young.contentHash);
    assert.equal(y.zone, 'raw');
    assert.ok(await exists(young.rawKey));

    const moves = await audits('archive.move');
    assert.equal(moves.length, 1);
    assert.equal(moves[0]!.target, 'raw/events');
    assert.deepEqual(moves[0]!.details, { files: 2, bytes: old.bytes + old2.bytes });
  });

  it('should do nothing on a re-run', async () => {
    const [r] = await archiveSources(lake, engineer, [source]);
    assert.equal(r!.moved, 0);
    assert.equal(r!.deleted, 0);
    assert.equal(r!.leftoversRemoved, 0);
    assert.equal((await audits('archive.move')).length, 1, 'no new audit event');
  });

  it('should finish a move interrupted after the copy, and remove a raw copy left after the ledger update', async () => {
    const copied = await ingestOne();
    const updated = await ingestOne();
    clock.advance(11 * DAY);
    // Crash 1: archive copy written, ledger still says raw.
    await lake.store.copy(copied.rawKey, archiveKeyFor(copied.rawKey));
    // Crash 2: copy written and ledger moved, raw object not yet deleted.
    await lake.store.copy(updated.rawKey, archiveKeyFor(updated.rawKey));
    await lake.catalog.updateIngestedFile(source.name, updated.contentHash, { zone: 'archive', rawKey: archiveKeyFor(updated.rawKey) });

    const [r] = await archiveSources(lake, engineer, [source]);
    // The young file of the previous test is now old enough too.
    assert.equal(r!.moved, 2);
    assert.equal(r!.leftoversRemoved, 1);
    for (const f of [copied, updated]) {
      assert.equal((await ledger(f.contentHash)).zone, 'archive');
      assert.ok(await exists(archiveKeyFor(f.rawKey)));
      assert.ok(!(await exists(f.rawKey)));
    }
  });

  it('should delete archived files older than archive retention and keep their ledger record', async () => {
    // The first two files are now 8 + 3 + 11 = 22 days old; 9 more days pass retention for them only.
    clock.advance(9 * DAY);
    const before = (await lake.catalog.listIngestedFiles({ source: source.name, zone: 'archive' })).length;
    const [r] = await archiveSources(lake, engineer, [source]);
    assert.equal(r!.deleted, 2);
    assert.ok(r!.deletedBytes > 0);
    const deleted = await lake.catalog.listIngestedFiles({ source: source.name, zone: 'deleted' });
    assert.equal(deleted.length, 2);
    for (const f of deleted) assert.ok(!(await exists(f.rawKey)), 'the archived object is gone');
    assert.equal((await lake.catalog.listIngestedFiles({ source: source.name, zone: 'archive' })).length, before - 2);
    const dels = await audits('archive.delete');
    assert.equal(dels.length, 1);
    assert.equal(dels[0]!.details.files, 2);

    // A deleted file is still known: ingesting the same bytes again is a no-op.
    const again = join(dir, 'in-1.ndjson');
    const re = await ingest(lake, engineer, { source, paths: [again], baseDir: dir, keyring });
    assert.equal(re.filesSkipped, 1);
  });

  it('should leave sources without retention alone', async () => {
    const keep: SourceConfig = { ...source, name: 'kept', rawRetentionMs: undefined, archiveRetentionMs: undefined };
    const f = await ingestOne(keep);
    clock.advance(400 * DAY);
    const [r] = await archiveSources(lake, engineer, [keep]);
    assert.deepEqual({ moved: r!.moved, deleted: r!.deleted }, { moved: 0, deleted: 0 });
    assert.equal((await ledger(f.contentHash, 'kept')).zone, 'raw');
  });
});

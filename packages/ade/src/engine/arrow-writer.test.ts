import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { DEFAULT_ENGINE_CONFIG, Engine, type Session } from './index.js';
import { writeArrow } from './arrow-writer.js';

describe('writeArrow', () => {
  let dir: string;
  let engine: Engine;
  let session: Session;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ade-arrow-'));
    engine = await Engine.create({ ...DEFAULT_ENGINE_CONFIG, tempDir: join(dir, 'tmp') });
    session = await engine.openSession({ principal: { name: 't', role: 'analyst' }, tables: [], allowedDirectories: [] });
  });
  after(async () => {
    await session?.close();
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function roundTrip(sql: string) {
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on('data', (d: Buffer) => parts.push(d));
    const { rows } = await writeArrow(session.stream(sql), out);
    out.end();
    return { rows, table: tableFromIPC(Buffer.concat(parts)) };
  }

  it('should write typed columns that read back with the same values', async () => {
    const { rows, table } = await roundTrip(
      "SELECT range::BIGINT AS id, range * 0.5 AS half, 'r' || range AS label, range % 2 = 0 AS even, DATE '2026-01-01' + range::INTEGER AS day FROM range(3000)",
    );
    assert.equal(rows, 3000);
    assert.equal(table.numRows, 3000);
    assert.deepEqual(table.schema.fields.map((f) => [f.name, String(f.type)]), [
      ['id', 'Int64'],
      ['half', 'Float64'],
      ['label', 'Utf8'],
      ['even', 'Bool'],
      ['day', 'Date64<MILLISECOND>'],
    ]);
    const last = table.get(2999)!.toJSON();
    assert.equal(last.id, 2999n);
    assert.equal(last.half, 1499.5);
    assert.equal(last.label, 'r2999');
    assert.equal(last.even, false);
    assert.equal(new Date(last.day as number).toISOString().slice(0, 10), '2034-03-19');
    assert.ok(table.batches.length > 1, 'one record batch per chunk, not one for everything');
  });

  it('should write an empty result as a schema with no rows', async () => {
    const { rows, table } = await roundTrip('SELECT 1 AS a WHERE false');
    assert.equal(rows, 0);
    assert.equal(table.numRows, 0);
    assert.deepEqual(table.schema.fields.map((f) => f.name), ['a']);
  });
});

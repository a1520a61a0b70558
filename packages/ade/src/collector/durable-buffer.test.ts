import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ValidationError } from '../kernel/index.js';
import { BufferFullError, crc32c, type DamageInfo, DurableBuffer, type DurableBufferOptions, RECORD_HEADER_BYTES } from './durable-buffer.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const MODULE_URL = pathToFileURL(fileURLToPath(new URL('./durable-buffer.ts', import.meta.url))).href;

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** Every payload of every sealed segment of `stream`, oldest first, as strings. */
async function readAll(buf: DurableBuffer, stream: string): Promise<string[]> {
  const out: string[] = [];
  for (const seg of await buf.sealed(stream)) for await (const p of buf.read(seg)) out.push(p.toString());
  return out;
}

async function segmentFiles(streamDir: string): Promise<string[]> {
  return (await readdir(streamDir)).filter((f) => f.endsWith('.seg')).sort();
}

const exists = (p: string) => stat(p).then(() => true, () => false);

describe('DurableBuffer', () => {
  let root: string;
  let n = 0;
  const freshDir = () => join(root, `buf-${++n}`);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ade-durable-buffer-test-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('computes the standard CRC-32C check value', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
    assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43); // …and of ones
  });

  it('should agree with a byte-at-a-time CRC-32C on random buffers, lengths and offsets', () => {
    const table = Array.from({ length: 256 }, (_, i) => {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      return c >>> 0;
    });
    const simple = (d: Uint8Array, start: number, end: number) => {
      let c = 0xffffffff;
      for (let i = start; i < end; i++) c = table[(c ^ d[i]!) & 0xff]! ^ (c >>> 8);
      return (c ^ 0xffffffff) >>> 0;
    };
    const data = randomBytes(70_000);
    for (let n = 0; n < 500; n++) {
      const start = randomInt(0, 64);
      const end = start + (n < 100 ? n : randomInt(0, data.length - start));
      assert.equal(crc32c(data, start, end), simple(data, start, end), `bytes ${start}…${end}`);
    }
  });

  it('should store a string payload as its UTF-8 bytes, counted in bytes', async () => {
    const buf = await DurableBuffer.open({ dir: freshDir() });
    const text = '{"name":"Zoë","city":"Kraków","emoji":"🙂"}\n';
    await buf.append('web', [text, Buffer.from('{"plain":true}\n')]);
    assert.equal(buf.stats().pendingBytes, 2 * RECORD_HEADER_BYTES + Buffer.byteLength(text) + 15);
    await buf.seal('web');
    assert.deepEqual(await readAll(buf, 'web'), [text, '{"plain":true}\n']);
    await buf.close();
  });

  it('should give back every payload in order across streams, segments and a reopen, and free everything on remove', async () => {
    const dir = freshDir();
    const opts: DurableBufferOptions = { dir, segmentBytes: 2048 };
    let buf = await DurableBuffer.open(opts);
    const streams = ['track', 'page', 'identify'];
    const expected: Record<string, string[]> = { track: [], page: [], identify: [] };
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      const stream = streams[i % 3]!;
      const batch = Array.from({ length: 1 + (i % 4) }, (_, j) => json({ i, j, pad: 'x'.repeat(i % 37) }));
      expected[stream]!.push(...batch.map((b) => b.toString()));
      writes.push(buf.append(stream, batch));
      if (i % 50 === 49) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    assert.equal(buf.stats().records, 750);
    assert.equal(buf.stats().appends, 300);

    // Half the streams are sealed and read before a restart, the rest after it.
    await buf.seal('track');
    assert.deepEqual(await readAll(buf, 'track'), expected.track);
    assert.ok((await buf.sealed('track')).length > 1, 'small segments roll over');
    await buf.close();
    buf = await DurableBuffer.open(opts);
    assert.deepEqual(buf.streams(), ['identify', 'page', 'track']);
    for (const s of streams) assert.deepEqual(await readAll(buf, s), expected[s]);

    const before = buf.stats();
    assert.ok(before.pendingBytes > 0);
    assert.equal(before.segments, before.sealedSegments);
    for (const s of streams) for (const seg of await buf.sealed(s)) await buf.remove(seg);
    for (const s of streams) assert.deepEqual(await buf.sealed(s), []);
    assert.equal(buf.stats().pendingBytes, 0);
    assert.equal(buf.stats().segments, 0);
    for (const s of streams) assert.deepEqual(await segmentFiles(join(dir, s)), []);
    await buf.close();
  });

  it('should share one write and fsync among concurrent appends (group commit)', async () => {
    const dir = freshDir();
    let buf = await DurableBuffer.open({ dir });
    const payloads = Array.from({ length: 200 }, (_, i) => json({ event: 'click', i }));
    await Promise.all(payloads.map((p) => buf.append('track', [p])));
    const burst = buf.stats().fsyncs;

    // Clients that arrive spread over a few event-loop turns while fsyncs are in flight.
    const more = Array.from({ length: 200 }, (_, i) => json({ event: 'view', i }));
    await Promise.all(
      more.map(async (p, i) => {
        for (let k = 0; k < i % 10; k++) await new Promise((r) => setImmediate(r));
        await buf.append('track', [p]);
      }),
    );
    const stats = buf.stats();
    console.log(`group commit: 200 simultaneous appends -> ${burst} fsync(s); 200 staggered appends -> ${stats.fsyncs - burst} fsync(s)`);
    assert.equal(stats.appends, 400);
    assert.ok(burst <= 5, `200 simultaneous appends took ${burst} fsyncs`);
    assert.ok(stats.fsyncs - burst < 100, `200 staggered appends took ${stats.fsyncs - burst} fsyncs`);
    await buf.close();

    buf = await DurableBuffer.open({ dir });
    const got = await readAll(buf, 'track');
    assert.equal(got.length, 400);
    assert.deepEqual(got.slice(0, 200), payloads.map(String));
    assert.deepEqual(new Set(got.slice(200)), new Set(more.map(String)));
    await buf.close();
  });

  describe('recovery of a torn tail', () => {
    const payloads = Array.from({ length: 20 }, (_, i) => json({ i, text: `event ${i}` }));

    /** Writes `payloads` (segment left open, as at a crash), damages its tail with `tear`, reopens. */
    async function tornAndReopened(tear: (segment: string) => Promise<void>) {
      const dir = freshDir();
      const buf = await DurableBuffer.open({ dir });
      for (const p of payloads) await buf.append('track', [p]);
      await buf.close();
      const [file] = await segmentFiles(join(dir, 'track'));
      const segment = join(dir, 'track', file!);
      await tear(segment);
      const damage: DamageInfo[] = [];
      const reopened = await DurableBuffer.open({ dir, onDamage: (d) => damage.push(d) });
      return { reopened, damage, dir, segment };
    }

    const cases: Array<[string, (segment: string) => Promise<void>, number]> = [
      ['a payload cut short', async (seg) => truncate(seg, (await stat(seg)).size - 3), 19],
      ['a header cut short', async (seg) => appendFile(seg, Buffer.from([0xf7, 1, 0, 0, 9])), 20],
      [
        'a whole header with half its payload',
        async (seg) => {
          const first = (await readFile(seg)).subarray(0, RECORD_HEADER_BYTES + payloads[0]!.length);
          await appendFile(seg, first.subarray(0, first.length - 5));
        },
        20,
      ],
      [
        'a CRC mismatch in the last record',
        async (seg) => {
          const b = await readFile(seg);
          b[b.length - 2]! ^= 0x01;
          await writeFile(seg, b);
        },
        19,
      ],
    ];

    for (const [what, tear, survivors] of cases) {
      it(`should truncate ${what} silently and keep everything before it`, async () => {
        const { reopened, damage, dir, segment } = await tornAndReopened(tear);
        assert.deepEqual(await readAll(reopened, 'track'), payloads.slice(0, survivors).map(String));
        assert.deepEqual(damage, []);
        assert.equal(await exists(join(dir, 'track', 'quarantine')), false);
        const size = payloads.slice(0, survivors).reduce((n, p) => n + RECORD_HEADER_BYTES + p.length, 0);
        assert.equal((await stat(segment)).size, size);
        assert.equal(reopened.stats().pendingBytes, size);
        await reopened.close();
      });
    }
  });

  it('should quarantine and report damage in the middle of a segment and keep every other record', async () => {
    const dir = freshDir();
    const payloads = Array.from({ length: 30 }, (_, i) => json({ i, text: `event number ${i}` }));
    const offsets: number[] = [];
    payloads.reduce((off, p) => (offsets.push(off), off + RECORD_HEADER_BYTES + p.length), 0);
    let buf = await DurableBuffer.open({ dir });
    await buf.append('track', payloads);
    await buf.seal('track');
    await buf.close();

    const [file] = await segmentFiles(join(dir, 'track'));
    const segment = join(dir, 'track', file!);
    const original = await readFile(segment);
    const damaged = Buffer.from(original);
    damaged[offsets[3]! + RECORD_HEADER_BYTES + 4]! ^= 0x20; // a payload byte of record 3
    damaged[offsets[10]! + 5]! ^= 0x01; // the length field of record 10
    await writeFile(segment, damaged);

    const damage: DamageInfo[] = [];
    buf = await DurableBuffer.open({ dir, onDamage: (d) => damage.push(d) });
    const stem = file!.replace(/\.seg$/, '');
    const range = (i: number) => ({ offset: offsets[i]!, length: RECORD_HEADER_BYTES + payloads[i]!.length });
    assert.deepEqual(damage, [
      { stream: 'track', segment: file, ...range(3), reason: 'crc_mismatch', quarantinePath: join(dir, 'track', 'quarantine', `${stem}-${offsets[3]}.bad`) },
      { stream: 'track', segment: file, ...range(10), reason: 'bad_header', quarantinePath: join(dir, 'track', 'quarantine', `${stem}-${offsets[10]}.bad`) },
    ]);
    for (const d of damage) assert.deepEqual(await readFile(d.quarantinePath), damaged.subarray(d.offset, d.offset + d.length));
    const survivors = payloads.filter((_, i) => i !== 3 && i !== 10).map(String);
    assert.deepEqual(await readAll(buf, 'track'), survivors);
    assert.equal(buf.stats().pendingBytes, original.length - range(3).length - range(10).length);
    await buf.close();

    // The segment was rewritten without the damage: a second recovery finds nothing.
    damage.length = 0;
    buf = await DurableBuffer.open({ dir, onDamage: (d) => damage.push(d) });
    assert.deepEqual(damage, []);
    assert.deepEqual(await readAll(buf, 'track'), survivors);
    await buf.close();
  });

  it('should quarantine, report and skip damage that appears after open when reading', async () => {
    const dir = freshDir();
    const damage: DamageInfo[] = [];
    const buf = await DurableBuffer.open({ dir, onDamage: (d) => damage.push(d) });
    const payloads = Array.from({ length: 5 }, (_, i) => json({ i }));
    await buf.append('track', payloads);
    const seg = await buf.seal('track');
    assert.ok(seg);
    const b = await readFile(seg.path);
    const second = RECORD_HEADER_BYTES + payloads[0]!.length;
    b[second + RECORD_HEADER_BYTES]! ^= 0x40;
    await writeFile(seg.path, b);

    assert.deepEqual(await readAll(buf, 'track'), payloads.filter((_, i) => i !== 1).map(String));
    assert.deepEqual(damage.map((d) => [d.offset, d.length, d.reason]), [[second, RECORD_HEADER_BYTES + payloads[1]!.length, 'crc_mismatch']]);
    assert.equal(buf.stats().pendingBytes, b.length - damage[0]!.length);
    assert.deepEqual(await readAll(buf, 'track'), payloads.filter((_, i) => i !== 1).map(String));
    assert.equal(damage.length, 1, 'reported once: the segment was rewritten without the damage');
    await buf.close();
  });

  it('should keep every acknowledged payload exactly once and in order across SIGKILLs', async () => {
    const dir = freshDir();
    const script = join(root, 'crash-writer.mjs');
    await writeFile(
      script,
      `import { DurableBuffer } from ${JSON.stringify(MODULE_URL)};
const [dir, start] = process.argv.slice(2);
const buf = await DurableBuffer.open({ dir, segmentBytes: 8192 });
let next = Number(start);
const client = async () => {
  for (;;) {
    const n = next++;
    await buf.append('track', [Buffer.from(JSON.stringify({ n, p: 0, pad: 'x'.repeat(n % 40) })), Buffer.from(JSON.stringify({ n, p: 1 }))]);
    process.stdout.write('acked ' + n + '\\n');
  }
};
process.stdout.write('ready\\n');
await Promise.all(Array.from({ length: 8 }, client));
`,
    );

    const acked: number[] = [];
    const damage: DamageInfo[] = [];
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, dir, String(round * 1_000_000)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d));
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
      await new Promise<void>((resolveAcked, rejectAcked) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          if (out.includes('acked ')) resolveAcked();
        });
        child.on('exit', () => rejectAcked(new Error(`writer exited before acknowledging anything: ${err}`)));
      });
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 250));
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      const roundAcked = [...out.matchAll(/^acked (\d+)$/gm)].map((m) => Number(m[1]));
      assert.ok(roundAcked.length > 0);
      acked.push(...roundAcked);

      const buf = await DurableBuffer.open({ dir, onDamage: (d) => damage.push(d) });
      const got = (await readAll(buf, 'track')).map((s) => JSON.parse(s) as { n: number; p: number });
      const keys = got.map((r) => r.n * 2 + r.p);
      for (let i = 1; i < keys.length; i++) assert.ok(keys[i - 1]! < keys[i]!, `out of order or duplicated at ${i}: ${keys[i - 1]} then ${keys[i]}`);
      const present = new Set(keys);
      const missing = acked.filter((a) => !present.has(a * 2) || !present.has(a * 2 + 1));
      assert.deepEqual(missing, [], `round ${round}: acknowledged payloads lost`);
      console.log(`crash round ${round}: ${roundAcked.length} acknowledged, ${got.length / 2} appends recovered in total (${acked.length} acknowledged)`);
      await buf.close();
    }
    assert.deepEqual(damage, [], 'a process crash tears at most the tail');
  });

  it('should refuse appends over budget with BufferFullError and accept them again after remove', async () => {
    const dir = freshDir();
    const payload = Buffer.alloc(100, 'a');
    const recordBytes = RECORD_HEADER_BYTES + payload.length;
    const buf = await DurableBuffer.open({ dir, maxBytes: 10 * recordBytes, retryAfterSeconds: 7 });

    // 20 concurrent appends against room for 10: exactly 10 fit.
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => buf.append('track', [payload])));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    assert.equal(refused.length, 10);
    for (const e of refused) {
      assert.ok(e instanceof BufferFullError);
      assert.equal(e.code, 'collector.buffer_full');
      assert.equal(e.retryAfterSeconds, 7);
      assert.equal(e.retryable, true);
    }

    const sizeBefore = (await stat(join(dir, 'track', (await segmentFiles(join(dir, 'track')))[0]!))).size;
    await assert.rejects(buf.append('track', [payload]), BufferFullError);
    await assert.rejects(buf.append('other', [payload]), BufferFullError);
    assert.equal(sizeBefore, 10 * recordBytes);
    assert.equal((await stat(join(dir, 'track', (await segmentFiles(join(dir, 'track')))[0]!))).size, sizeBefore);
    assert.equal(buf.stats().pendingBytes, 10 * recordBytes);
    assert.equal(buf.stats().queuedBytes, 0);

    const sealed = await buf.seal('track');
    assert.ok(sealed);
    await buf.remove(sealed);
    await buf.remove(sealed); // idempotent
    assert.equal(buf.stats().pendingBytes, 0);
    await buf.append('track', [payload]);
    assert.equal(buf.stats().pendingBytes, recordBytes);

    await assert.rejects(buf.append('track', [Buffer.alloc(11 * recordBytes)]), { code: 'collector.request_too_large' });
    await buf.close();
  });

  it('should reject invalid stream names with a ValidationError', async () => {
    const buf = await DurableBuffer.open({ dir: freshDir() });
    for (const bad of ['', 'Track', '1track', 'track-events', '../etc', 'a/b', 't'.repeat(64), 'quarantine/x']) {
      await assert.rejects(buf.append(bad, [json({})]), ValidationError, bad);
      await assert.rejects(buf.seal(bad), ValidationError, bad);
      await assert.rejects(buf.sealed(bad), ValidationError, bad);
    }
    await buf.append('t'.repeat(63), [json({})]);
    assert.deepEqual(buf.streams(), ['t'.repeat(63)]);
    await buf.close();
  });

  it('should refuse to read or remove the open segment, and appends after close', async () => {
    const dir = freshDir();
    const buf = await DurableBuffer.open({ dir });
    await buf.append('track', [json({ a: 1 })]);
    assert.deepEqual(await buf.sealed('track'), []);
    const [open] = await segmentFiles(join(dir, 'track'));
    const ref = { stream: 'track', name: open! };
    await assert.rejects(buf.remove(ref), { code: 'collector.segment_open' });
    await assert.rejects(buf.read(ref)[Symbol.asyncIterator]().next(), { code: 'collector.segment_open' });
    await buf.close();
    await assert.rejects(buf.append('track', [json({ a: 2 })]), { code: 'collector.buffer_closed' });
  });
});

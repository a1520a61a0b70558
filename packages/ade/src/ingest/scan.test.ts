import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { scanFile, type ScanOptions, type ScanResult } from './scan.js';

const MIB = 1024 * 1024;
const LIMITS = { maxRecordBytes: 16 * MIB, maxDepth: 64, maxColumns: 4096 } as const;
const SECRET = 'SECRET-7f3a91';
const PARTIAL = 'the file ends inside this record (the compressed stream is truncated)';

interface BadRow {
  readonly line: number | null;
  readonly offset: number | null;
  readonly field: string | null;
  readonly reason: string;
  readonly record: string;
  readonly record_truncated: boolean;
}

interface Scanned {
  readonly result: ScanResult;
  /** goodOut parsed, one object a line. */
  readonly good: Record<string, unknown>[];
  /** goodOut's lines as written. */
  readonly goodLines: string[];
  readonly bad: BadRow[];
}

let dir = '';
let files = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ade-scan-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** Writes `content` to a fresh file, scans it and reads both outputs back (checking the invariants every scan must keep). */
async function scan(content: string | Buffer, options: Partial<ScanOptions> & Pick<ScanOptions, 'format'>): Promise<Scanned> {
  const id = ++files;
  const path = join(dir, `input-${id}`);
  const goodOut = join(dir, `good-${id}.ndjson`);
  const badOut = join(dir, `bad-${id}.ndjson`);
  await writeFile(path, content);
  const result = await scanFile({ path, compression: 'none', goodOut, badOut, ...LIMITS, ...options });
  const goodLines = nonEmptyLines(await readFile(goodOut, 'utf8'));
  const good = goodLines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const bad = nonEmptyLines(await readFile(badOut, 'utf8')).map((l) => JSON.parse(l) as BadRow);
  assert.equal(result.good, good.length, 'good counts the rows in goodOut');
  assert.equal(result.bad, bad.length, 'bad counts the rows in badOut');
  assert.equal(result.records, result.good + result.bad);
  for (const line of goodLines) assert.match(line, /^\{"_ade_line":\d+,"_ade_offset":\d+[,}]/);
  for (const row of bad) {
    assert.deepEqual(Object.keys(row), ['line', 'offset', 'field', 'reason', 'record', 'record_truncated']);
    assert.ok(Buffer.byteLength(row.record) <= 64 * 1024, 'record is cut to 64 KiB');
    assert.ok(!row.reason.includes(SECRET), `reason leaks record text: ${row.reason}`);
  }
  return { result, good, goodLines, bad };
}

const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;

function zstdCli(input: Buffer): Buffer {
  const run = spawnSync('zstd', ['-q', '-c'], { input, maxBuffer: 64 * MIB });
  assert.equal(run.status, 0);
  return run.stdout;
}

/** `n` deterministic NDJSON rows, ~40 bytes each. */
function ndjsonRows(n: number): string[] {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ i, s: `row-${i}-${(i * 7919) % 10007}` }));
}

describe('scanFile: NDJSON', () => {
  it('should pass good lines through with 1-based lines and byte offsets, skipping blank lines and CRLF', async () => {
    const { result, good, goodLines, bad } = await scan('{"a":1}\r\n\r\n  \n{"b":"x"}\r\n{}\n', { format: 'ndjson' });
    assert.deepEqual(good, [
      { _ade_line: 1, _ade_offset: 0, a: 1 },
      { _ade_line: 4, _ade_offset: 14, b: 'x' },
      { _ade_line: 5, _ade_offset: 25 },
    ]);
    assert.equal(goodLines[0], '{"_ade_line":1,"_ade_offset":0,"a":1}');
    assert.deepEqual(bad, []);
    assert.deepEqual(result, { records: 3, good: 3, bad: 0, bytes: 28 });
  });

  it('should skip a UTF-8 BOM but count it in offsets', async () => {
    const { good } = await scan('\uFEFF{"a":1}\n{"a":2}', { format: 'ndjson' });
    assert.deepEqual(good, [
      { _ade_line: 1, _ade_offset: 3, a: 1 },
      { _ade_line: 2, _ade_offset: 11, a: 2 },
    ]);
  });

  it('should keep the original text of good lines (numbers keep all their digits)', async () => {
    const { goodLines } = await scan('{"id": 12345678901234567890, "x": 1.50}\n', { format: 'ndjson' });
    assert.equal(goodLines[0], '{"_ade_line":1,"_ade_offset":0,"id": 12345678901234567890, "x": 1.50}');
  });

  it('should quarantine a malformed line with its line number and keep the others', async () => {
    const { good, bad } = await scan('{"a":1}\n{"a":\n{"a":3}\n', { format: 'ndjson' });
    assert.deepEqual(
      good.map((g) => g._ade_line),
      [1, 3],
    );
    assert.equal(bad.length, 1);
    assert.deepEqual({ ...bad[0], reason: undefined }, { line: 2, offset: 8, field: null, reason: undefined, record: '{"a":', record_truncated: false });
    assert.match(bad[0]!.reason, /^not valid JSON/);
  });

  it('should quarantine a line that is not valid UTF-8, giving the offset of the first bad byte', async () => {
    const input = Buffer.concat([Buffer.from('{"a":1}\n{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n{"a":"é"}\n')]);
    const { good, bad } = await scan(input, { format: 'ndjson' });
    assert.deepEqual(good, [
      { _ade_line: 1, _ade_offset: 0, a: 1 },
      { _ade_line: 3, _ade_offset: 19, a: 'é' },
    ]);
    assert.equal(bad[0]!.reason, 'not valid UTF-8 (first bad byte at offset 6 of the line)');
    assert.equal(bad[0]!.record, '{"a":"\uFFFD\uFFFD"}');
  });

  it('should quarantine a line nested 10,000 deep without crashing', async () => {
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const { good, bad } = await scan(`${deep}\n[${'['.repeat(9_999)}${']'.repeat(10_000)}\n{"ok":true}\n`, { format: 'ndjson' });
    assert.deepEqual(good, [{ _ade_line: 3, _ade_offset: 80_003, ok: true }]);
    assert.deepEqual(
      bad.map((b) => [b.line, b.reason]),
      [
        [1, 'nested deeper than 64 levels'],
        [2, 'nested deeper than 64 levels'],
      ],
    );
  });

  it('should accept nesting up to maxDepth and quarantine one level more', async () => {
    const nest = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
    const { good, bad } = await scan(`${nest(64)}\n${nest(65)}\n`, { format: 'ndjson' });
    assert.deepEqual(
      good.map((g) => g._ade_line),
      [1],
    );
    assert.deepEqual(
      bad.map((b) => b.line),
      [2],
    );
  });

  it('should quarantine values that are not objects, reserved keys and too many keys', async () => {
    const input = ['[1,2]', '"text"', 'null', '{"_ade_line":5}', '{"a":1,"b":2,"c":3}', '{"a":1,"b":2}'].join('\n');
    const { good, bad } = await scan(input, { format: 'ndjson', maxColumns: 2 });
    assert.deepEqual(
      good.map((g) => g._ade_line),
      [6],
    );
    assert.deepEqual(
      bad.map((b) => [b.line, b.field, b.reason]),
      [
        [1, null, 'record is not a JSON object (it is an array)'],
        [2, null, 'record is not a JSON object (it is a string)'],
        [3, null, 'record is not a JSON object (it is null)'],
        [4, '_ade_line', 'the key "_ade_line" is reserved (keys starting with _ade_ belong to ade)'],
        [5, null, 'object has 3 top-level keys; the limit is 2'],
      ],
    );
  });

  it('should pass a 10 MB field under a 16 MiB cap and quarantine it, cut to 64 KiB, under an 8 MiB cap', async () => {
    const big = `{"big":"${'x'.repeat(10 * MIB)}"}`;
    const input = `{"n":1}\n${big}\n{"n":3}\n`;
    const roomy = await scan(input, { format: 'ndjson', maxRecordBytes: 16 * MIB });
    assert.equal(roomy.result.good, 3);
    assert.equal((roomy.good[1]!.big as string).length, 10 * MIB);

    const tight = await scan(input, { format: 'ndjson', maxRecordBytes: 8 * MIB });
    assert.deepEqual(tight.good, [
      { _ade_line: 1, _ade_offset: 0, n: 1 },
      { _ade_line: 3, _ade_offset: 8 + big.length + 1, n: 3 },
    ]);
    const row = tight.bad[0]!;
    assert.deepEqual([row.line, row.offset, row.field, row.reason], [2, 8, null, 'record is 10 MiB; the limit is 8 MiB']);
    assert.equal(row.record_truncated, true);
    assert.equal(Buffer.byteLength(row.record), 64 * 1024);
    assert.ok(row.record.startsWith('{"big":"xxx'));
  });
});

describe('scanFile: compressed input', () => {
  it('should read a whole gzip file', async () => {
    const rows = ndjsonRows(5_000);
    const { result, good } = await scan(gzipSync(rows.join('\n') + '\n'), { format: 'ndjson', compression: 'gzip' });
    assert.equal(result.good, 5_000);
    assert.equal(result.fileError, undefined);
    assert.deepEqual(good[4_999], { _ade_line: 5_000, _ade_offset: good[4_999]!._ade_offset, ...JSON.parse(rows[4_999]!) });
  });

  it('should keep every complete row of a truncated gzip file and report the truncation', async () => {
    const rows = ndjsonRows(20_000);
    const gz = gzipSync(rows.join('\n') + '\n');
    const cut = gz.subarray(0, Math.floor(gz.length * 0.7));
    const decodable = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    const complete = decodable.split('\n').length - 1;

    const { result, good, bad } = await scan(cut, { format: 'ndjson', compression: 'gzip' });
    assert.equal(result.bytes, Buffer.byteLength(decodable));
    assert.equal(result.fileError, `the gzip stream is truncated or corrupt after ${result.bytes.toLocaleString('en-US')} decompressed bytes (unexpected end of file)`);
    assert.equal(good.length, complete);
    good.forEach((g, i) => assert.equal(g._ade_line, i + 1));
    assert.deepEqual(
      good.map((g) => g.i),
      rows.slice(0, complete).map((_, i) => i),
    );
    const partial = decodable.slice(decodable.lastIndexOf('\n') + 1);
    const expected: BadRow[] = [];
    if (partial !== '') {
      expected.push({ line: complete + 1, offset: decodable.lastIndexOf('\n') + 1, field: null, reason: PARTIAL, record: partial, record_truncated: false });
    }
    expected.push({ line: complete + 1, offset: result.bytes, field: null, reason: result.fileError!, record: '', record_truncated: false });
    assert.deepEqual(bad, expected);
  });

  it('should keep every row before trailing garbage after a gzip stream (zlib drops the last step before an error)', async () => {
    const rows = ndjsonRows(20_000);
    const input = Buffer.concat([gzipSync(rows.join('\n') + '\n'), Buffer.from('trailing garbage')]);
    const { result, good, bad } = await scan(input, { format: 'ndjson', compression: 'gzip' });
    assert.equal(good.length, 20_000);
    good.forEach((g, i) => assert.equal(g.i, i));
    assert.match(result.fileError ?? '', /^the gzip stream is truncated or corrupt after [\d,]+ decompressed bytes \(.+\)$/);
    assert.deepEqual(
      bad.map((b) => [b.line, b.reason, b.record]),
      [[20_001, result.fileError, '']],
    );
  });

  it('should read zstd (a small fixture made with the zstd CLI)', async () => {
    const fixture = Buffer.from('KLUv/QRYBQEAsHsiaWQiOjEsInMiOiJhIn0KMmIzfQoDAKAIGDcNcwnUNGCy', 'base64');
    const { result, good } = await scan(fixture, { format: 'ndjson', compression: 'zstd' });
    assert.equal(result.fileError, undefined);
    assert.deepEqual(good, [
      { _ade_line: 1, _ade_offset: 0, id: 1, s: 'a' },
      { _ade_line: 2, _ade_offset: 17, id: 2, s: 'b' },
      { _ade_line: 3, _ade_offset: 34, id: 3 },
    ]);
  });

  it('should report a file that is not zstd at all', async () => {
    const { result, good, bad } = await scan('this is not zstd data at all, just text\n', { format: 'ndjson', compression: 'zstd' });
    assert.equal(result.fileError, 'the zstd stream is truncated or corrupt after 0 decompressed bytes (invalid zstd data)');
    assert.deepEqual(good, []);
    assert.deepEqual(
      bad.map((b) => [b.field, b.record]),
      [[null, '']],
    );
  });

  it('should read a multi-block zstd file and keep the rows of a truncated one', { skip: !hasZstdCli && 'no zstd CLI on this machine' }, async () => {
    const rows = ndjsonRows(30_000);
    const zst = zstdCli(Buffer.from(rows.join('\n') + '\n'));
    const whole = await scan(zst, { format: 'ndjson', compression: 'zstd' });
    assert.equal(whole.result.good, 30_000);
    assert.equal(whole.result.fileError, undefined);

    const cut = await scan(zst.subarray(0, Math.floor(zst.length * 0.7)), { format: 'ndjson', compression: 'zstd' });
    assert.match(cut.result.fileError ?? '', /^the zstd stream is truncated or corrupt after [\d,]+ decompressed bytes \(unexpected EOF\)$/);
    assert.ok(cut.result.good > 1_000 && cut.result.good < 30_000);
    cut.good.forEach((g, i) => assert.deepEqual([g._ade_line, g.i], [i + 1, i]));
  });
});

describe('scanFile: JSON', () => {
  it('should cut a pretty-printed array into records with the lines they start on', async () => {
    const text = JSON.stringify([{ id: 1, tags: ['a', 'b'] }, { id: 2, nested: { deep: { x: 'y' } } }, { id: 3 }], null, 2);
    const { result, good } = await scan(text, { format: 'json' });
    const starts = [...text.matchAll(/\n {2}\{/g)].map((m) => m.index + 3);
    const lineOf = (offset: number) => text.slice(0, offset).split('\n').length;
    assert.equal(result.good, 3);
    assert.deepEqual(
      good.map((g) => [g._ade_line, g._ade_offset, g.id]),
      starts.map((offset, i) => [lineOf(offset), offset, i + 1]),
    );
    assert.deepEqual(
      good.map((g) => g._ade_line),
      [2, 9, 17],
    );
    assert.deepEqual(good[1]!.nested, { deep: { x: 'y' } });
  });

  it('should keep line numbers right across many chunks', async () => {
    const items = Array.from({ length: 30_000 }, (_, i) => ({ i, text: `line ${i}`, list: [i, { j: i }] }));
    const text = JSON.stringify(items, null, 2);
    const { result, good } = await scan(text, { format: 'json' });
    assert.ok(text.length > 2 * MIB, 'the file spans several read chunks');
    assert.equal(result.good, 30_000);
    const linesPerItem = 10;
    assert.equal(text.split('\n').length, 2 + 30_000 * linesPerItem);
    good.forEach((g, i) => assert.equal(g._ade_line, 2 + i * linesPerItem));
  });

  it('should read a sequence of top-level objects, pretty-printed or one a line', async () => {
    const { good, goodLines } = await scan('{\n  "a": 1,\n  "b": "x y"\n}\n{"a": 2}\n\n{"a":\n3}', { format: 'json' });
    assert.deepEqual(
      good.map((g) => [g._ade_line, g.a]),
      [
        [1, 1],
        [5, 2],
        [7, 3],
      ],
    );
    assert.equal(goodLines[0], '{"_ade_line":1,"_ade_offset":0,"a": 1,"b": "x y"}');
  });

  it('should quarantine bad elements and keep the rest of the array', async () => {
    const text = '[\n  {"a": 1},\n  42,\n  {"a": },\n  {"a": 4}\n]\n';
    const { result, good, bad } = await scan(text, { format: 'json' });
    assert.equal(result.fileError, undefined);
    assert.deepEqual(
      good.map((g) => [g._ade_line, g.a]),
      [
        [2, 1],
        [5, 4],
      ],
    );
    assert.deepEqual(
      bad.map((b) => [b.line, b.record]),
      [
        [3, '42'],
        [4, '{"a": }'],
      ],
    );
  });

  it('should quarantine a 10,000-deep element', async () => {
    const { good, bad } = await scan(`[${'['.repeat(10_000)}${']'.repeat(10_000)}, {"ok": 1}]`, { format: 'json' });
    assert.deepEqual(
      good.map((g) => g.ok),
      [1],
    );
    assert.equal(bad[0]!.reason, 'nested deeper than 64 levels');
  });

  it('should quarantine the rest of the file when brackets do not balance', async () => {
    const { result, good, bad } = await scan('[\n{"a": 1},\n{"b": {"c": 1},\n{"d": 2}\n', { format: 'json' });
    assert.deepEqual(
      good.map((g) => g.a),
      [1],
    );
    assert.match(result.fileError ?? '', /^the file ends inside a record that starts at line 3/);
    assert.deepEqual(bad, [{ line: 3, offset: 12, field: null, reason: result.fileError!, record: '{"b": {"c": 1},\n{"d": 2}\n', record_truncated: false }]);
  });

  it('should quarantine the rest of the file when text appears between records', async () => {
    const { result, good, bad } = await scan('{"a": 1}\ngarbage {"a": 2}\n', { format: 'json' });
    assert.deepEqual(
      good.map((g) => g.a),
      [1],
    );
    assert.match(result.fileError ?? '', /^the JSON structure breaks/);
    assert.deepEqual(
      bad.map((b) => [b.line, b.offset, b.field, b.record]),
      [[2, 9, null, 'garbage {"a": 2}\n']],
    );
  });
});

describe('scanFile: CSV and TSV', () => {
  it('should turn rows into objects keyed by the header, empty fields as null', async () => {
    const { result, good, goodLines } = await scan('id,name,note\r\n1,Ann,\r\n2,"Bo, Jr.",hi\r\n', { format: 'csv' });
    assert.deepEqual(result.header, ['id', 'name', 'note']);
    assert.deepEqual(good, [
      { _ade_line: 2, _ade_offset: 14, id: '1', name: 'Ann', note: null },
      { _ade_line: 3, _ade_offset: 22, id: '2', name: 'Bo, Jr.', note: 'hi' },
    ]);
    assert.equal(goodLines[0], '{"_ade_line":2,"_ade_offset":14,"id":"1","name":"Ann","note":null}');
    assert.equal(result.records, 2);
  });

  it('should skip a UTF-8 BOM before the header but count it in offsets', async () => {
    const { result, good } = await scan('\uFEFFid,name\n1,Ann\n', { format: 'csv' });
    assert.deepEqual(result.header, ['id', 'name']);
    assert.deepEqual(good, [{ _ade_line: 2, _ade_offset: 11, id: '1', name: 'Ann' }]);
  });

  it('should quarantine ragged rows with their line numbers', async () => {
    const { good, bad } = await scan('a,b,c\n1,2,3\n4,5\n6,7,8,9\n\n10,11,12\n', { format: 'csv' });
    assert.deepEqual(
      good.map((g) => [g._ade_line, g.a]),
      [
        [2, '1'],
        [6, '10'],
      ],
    );
    assert.deepEqual(
      bad.map((b) => [b.line, b.offset, b.reason, b.record]),
      [
        [3, 12, 'row has 2 fields; the header has 3', '4,5'],
        [4, 16, 'row has 4 fields; the header has 3', '6,7,8,9'],
      ],
    );
  });

  it('should count the lines inside quoted fields', async () => {
    const { good } = await scan('id,text\n1,"hello\nworld"\n2,"say ""hi""\r\nagain\n\n"\r\n3,x', { format: 'csv' });
    assert.deepEqual(good, [
      { _ade_line: 2, _ade_offset: 8, id: '1', text: 'hello\nworld' },
      { _ade_line: 4, _ade_offset: 24, id: '2', text: 'say "hi"\r\nagain\n\n' },
      { _ade_line: 8, _ade_offset: 49, id: '3', text: 'x' },
    ]);
  });

  it('should keep line numbers right across many chunks', async () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => `${i},"first ${i}\nsecond, with ""quotes"""`);
    const { result, good } = await scan('n,text\n' + rows.join('\n') + '\n', { format: 'csv' });
    assert.equal(result.good, 40_000);
    good.forEach((g, i) => {
      assert.equal(g._ade_line, 2 + 2 * i);
      assert.equal(g.text, `first ${i}\nsecond, with "quotes"`);
    });
  });

  it('should reject a header with 10,000 columns as a file error', async () => {
    const header = Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',');
    const { result, good, bad } = await scan(`${header}\n${'1,'.repeat(9_999)}1\n`, { format: 'csv' });
    assert.equal(result.fileError, 'the header has 10,000 columns; the limit is 4,096');
    assert.equal(result.header, undefined);
    assert.deepEqual(good, []);
    assert.deepEqual(
      bad.map((b) => [b.line, b.offset, b.field, b.reason]),
      [[1, 0, null, result.fileError]],
    );
  });

  it('should reject duplicate and empty header names as file errors', async () => {
    assert.equal((await scan('a,b,a\n1,2,3\n', { format: 'csv' })).result.fileError, 'the header names "a" twice (columns 1 and 3)');
    assert.equal((await scan('a,,c\n1,2,3\n', { format: 'csv' })).result.fileError, 'column 2 of the header has no name');
  });

  it('should quarantine a field that is not valid UTF-8, naming its column', async () => {
    const input = Buffer.concat([Buffer.from('id,name\n1,'), Buffer.from([0xc3, 0x28]), Buffer.from('x\n2,ok\n')]);
    const { good, bad } = await scan(input, { format: 'csv' });
    assert.deepEqual(
      good.map((g) => g.id),
      ['2'],
    );
    assert.deepEqual(
      bad.map((b) => [b.line, b.field, b.reason]),
      [[2, 'name', 'not valid UTF-8 (first bad byte at offset 2 of the record)']],
    );
  });

  it('should quarantine a row with a stray quote and go on with the next line', async () => {
    const { good, bad } = await scan('a,b\n1,x"y\n2,3\n"q"z,4\n5,6\n', { format: 'csv' });
    assert.deepEqual(
      good.map((g) => g._ade_line),
      [3, 5],
    );
    assert.deepEqual(
      bad.map((b) => [b.line, b.field]),
      [
        [2, 'b'],
        [4, 'a'],
      ],
    );
  });

  it('should keep the rows before a quote left open at the end of the file', async () => {
    const { result, good, bad } = await scan('a,b\n1,2\n3,"oops\n4,5\n', { format: 'csv' });
    assert.deepEqual(
      good.map((g) => g._ade_line),
      [2],
    );
    assert.match(result.fileError ?? '', /^the file ends inside a quoted field that starts at line 3/);
    assert.deepEqual(bad, [{ line: 3, offset: 8, field: null, reason: result.fileError!, record: '3,"oops\n4,5\n', record_truncated: false }]);
  });

  it('should quarantine a row over maxRecordBytes and keep the next ones', async () => {
    const { good, bad } = await scan(`a,b\n1,${'z'.repeat(3_000)}\n2,ok\n`, { format: 'csv', maxRecordBytes: 1_000 });
    assert.deepEqual(
      good.map((g) => g.a),
      ['2'],
    );
    assert.deepEqual(
      bad.map((b) => [b.line, b.reason]),
      [[2, 'record is 2.9 KiB; the limit is 1,000 bytes']],
    );
  });

  it('should read TSV', async () => {
    const { good } = await scan('a\tb\n1\t"x\ty"\n2\tplain, with comma\n', { format: 'tsv' });
    assert.deepEqual(good, [
      { _ade_line: 2, _ade_offset: 4, a: '1', b: 'x\ty' },
      { _ade_line: 3, _ade_offset: 12, a: '2', b: 'plain, with comma' },
    ]);
  });
});

describe('scanFile: quarantine reasons', () => {
  it('should never put record values in reasons', async () => {
    const invalid = Buffer.concat([Buffer.from(`{"k":"${SECRET}`), Buffer.from([0xff]), Buffer.from('"}\n')]);
    const inputs: [string | Buffer, Partial<ScanOptions> & Pick<ScanOptions, 'format'>][] = [
      [`{"k": ${SECRET}}\n{"k":"${SECRET}"\n"${SECRET}"\n{"k":"${SECRET}\u0001"}\n${SECRET}\n`, { format: 'ndjson' }],
      [invalid, { format: 'ndjson' }],
      [`{"k":"${SECRET}","deep":${'['.repeat(100)}${']'.repeat(100)}}\n`, { format: 'ndjson' }],
      [`{"k":"${SECRET}${'x'.repeat(200)}"}\n`, { format: 'ndjson', maxRecordBytes: 100 }],
      [`[{"k": ${SECRET}}, "${SECRET}", {"k": "${SECRET}"}}]`, { format: 'json' }],
      [`{"k": 1} ${SECRET}`, { format: 'json' }],
      [`a,b\n${SECRET}\n1,${SECRET}"x\n"${SECRET}"x,1\n2,"${SECRET}`, { format: 'csv' }],
      [`a,${SECRET}`, { format: 'csv', maxColumns: 1 }],
    ];
    let quarantined = 0;
    for (const [content, options] of inputs) {
      const { bad } = await scan(content, options); // scan() asserts no reason contains SECRET
      quarantined += bad.filter((b) => b.record.includes(SECRET)).length;
    }
    assert.ok(quarantined >= 14, `the secret should be in the quarantined records (${quarantined})`);
  });
});

describe('scanFile: abort', () => {
  it('should reject with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop now');
    controller.abort(reason);
    await assert.rejects(scan('{"a":1}\n', { format: 'ndjson', signal: controller.signal }), (e) => e === reason);
  });
});

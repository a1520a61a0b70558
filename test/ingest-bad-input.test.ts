// Bad input through `ade ingest`, end to end: truncated gzip, invalid UTF-8, a
// 10 MB field, 10,000 columns, JSON nested 10,000 deep, ragged CSV rows. Each
// must give a clear per-file/row message (file, line, field, reason), good rows
// land in clean.<source>, bad rows in quarantine.<source>, the command exits 0,
// does not crash and stays under 1 GiB peak RSS (measured by running the CLI
// in-process through test/support/rss-run.mjs).
//
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';

const BIN = fileURLToPath(new URL('../packages/ade/bin/ade.js', import.meta.url));
const RSS_RUN = fileURLToPath(new URL('./support/rss-run.mjs', import.meta.url));
const GIB_KIB = 1024 * 1024;
const TEN_MIB = 10 * 1024 * 1024;
/** More rows than DuckDB's read_json samples (20,480) to infer a schema. */
const PAST_SAMPLE = 21_000;

interface Ran {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}
interface QRow {
  file: string;
  line: number | null;
  field: string | null;
  reason: string;
  record_truncated: boolean;
}
interface FileReport {
  file: string;
  rowsRead: number;
  rowsWritten: number;
  quarantined: number;
  path: string;
  fileError?: string;
}
interface IngestReport {
  rowsRead: number;
  rowsWritten: number;
  quarantined: number;
  files: FileReport[];
}

const pad = (i: number) => String(i).padStart(5, '0');
const nd = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
/** `n` complete lines; the text after the last newline is a partial line. */
const completeLines = (b: Buffer) => b.toString('latin1').split('\n').length - 1;
/** What a streaming gunzip yields from a truncated gzip file before it fails. */
const gunzipPrefix = (gz: Buffer) => gunzipSync(gz, { finishFlush: zlibConstants.Z_SYNC_FLUSH });

describe('ade ingest of bad input', () => {
  let dir: string;
  let project: string;
  let input: string;
  let env: NodeJS.ProcessEnv;
  const rss: { label: string; mib: number }[] = [];
  /** Truncated gzip NDJSON: complete lines in the decodable prefix. */
  let truncLines = 0;
  /** Truncated gzip CSV: complete data rows in the decodable prefix, and the partial row's text. */
  let tcsvRows = 0;
  let tcsvPartial = '';

  function run(args: readonly string[], cwd = project): Promise<Ran> {
    return new Promise((resolve) => {
      execFile(process.execPath, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, signal: error?.signal ?? null, stdout, stderr });
      });
    });
  }

  async function ade(...args: string[]): Promise<Ran> {
    return run([BIN, ...args]);
  }

  async function sql<T = Record<string, unknown>>(query: string): Promise<T[]> {
    const r = await ade('sql', query, '--format', 'json', '--as', 'engineer');
    assert.equal(r.code, 0, `ade sql ${query}\nexit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T[];
  }

  function quarantine(source: string, file: string): Promise<QRow[]> {
    return sql<QRow>(`SELECT file, line, field, reason, record_truncated FROM quarantine.${source} WHERE file = '${file}' ORDER BY line, reason`);
  }

  async function ids(source: string, like: string): Promise<string[]> {
    return (await sql<{ id: string }>(`SELECT id FROM clean.${source} WHERE id LIKE '${like}' ORDER BY id`)).map((r) => r.id);
  }

  /** `ade [--json] --as engineer ingest <source> <file>` through rss-run.mjs: exit 0, no crash, peak RSS < 1 GiB. */
  async function ingestRun(label: string, source: string, file: string, json: boolean): Promise<Ran> {
    const out = join(dir, `rss-${rss.length}.txt`);
    const r = await run([RSS_RUN, out, ...(json ? ['--json'] : []), '--as', 'engineer', 'ingest', source, join(input, file)]);
    assert.equal(r.signal, null, `${label}: ade was killed by ${r.signal}\n${r.stderr}`);
    assert.ok(existsSync(out), `${label}: no RSS figure, so the process did not exit normally (exit ${r.code})\n${r.stderr}`);
    const kib = Number(readFileSync(out, 'utf8'));
    const mib = Math.round(kib / 1024);
    rss.push({ label, mib });
    console.log(`bad input: ${label} peak RSS ${mib} MiB`);
    assert.equal(r.code, 0, `${label}: exit ${r.code} (ingest with quarantined rows is a success)\n${r.stderr}`);
    assert.ok(kib > 0 && kib < GIB_KIB, `${label}: peak RSS ${mib} MiB, the limit is 1 GiB`);
    return r;
  }

  /** The --json report of one file's ingest, with its counts checked for consistency. */
  async function ingest(label: string, source: string, file: string): Promise<{ report: IngestReport; f: FileReport }> {
    const r = await ingestRun(label, source, file, true);
    const report = JSON.parse(r.stdout) as IngestReport;
    assert.equal(report.files.length, 1, r.stdout);
    const f = report.files[0]!;
    assert.ok(f.file.endsWith(file), `the report names the file: ${f.file}`);
    assert.equal(f.rowsRead, f.rowsWritten + f.quarantined, `rows read = written + quarantined: ${JSON.stringify(f)}`);
    return { report, f };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ade-bad-input-'));
    project = join(dir, 'proj');
    input = join(dir, 'in');
    mkdirSync(input);
    env = { ...process.env, NO_COLOR: '1', ADE_KEYRING_FILE: join(dir, 'keyring', 'ade.json') };
    delete env.ADE_KEYRING;

    // 1. Truncated gzip: 20,000 NDJSON rows, the gzip cut at 60%.
    const events = Array.from({ length: 20_000 }, (_, i) => ({ id: `t${pad(i)}`, n: i, msg: 'hello world' }));
    const gz = gzipSync(Buffer.from(nd(events)));
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    writeFileSync(join(input, 'trunc.ndjson.gz'), cut);
    truncLines = completeLines(gunzipPrefix(cut));

    // 1b. Truncated gzip CSV, cut where the partial last row still has 3 fields (its amount cut short).
    const csvText = 'id,label,amount\n' + Array.from({ length: 20_000 }, (_, i) => `g${pad(i)},lbl,${1_000_000 + i}\n`).join('');
    const cgz = gzipSync(Buffer.from(csvText));
    for (let n = Math.floor(cgz.length * 0.6); n < cgz.length; n++) {
      const prefix = gunzipPrefix(cgz.subarray(0, n)).toString('latin1');
      const partial = prefix.slice(prefix.lastIndexOf('\n') + 1);
      if (/^g\d{5},lbl,\d{1,6}$/.test(partial)) {
        writeFileSync(join(input, 'trunc.csv.gz'), cgz.subarray(0, n));
        tcsvRows = completeLines(Buffer.from(prefix, 'latin1')) - 1;
        tcsvPartial = partial;
        break;
      }
    }
    assert.ok(tcsvPartial, 'a cut inside the amount of a row');

    // 2. Invalid UTF-8: 0xff 0xfe inside a JSON string (line 5) and inside a CSV field (line 6).
    const u = Array.from({ length: 10 }, (_, i) => Buffer.from(JSON.stringify({ id: `u${i}`, n: i, msg: 'ok' }) + '\n'));
    u[4] = Buffer.concat([Buffer.from('{"id":"u4","n":4,"msg":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from(' bytes"}\n')]);
    writeFileSync(join(input, 'utf8.ndjson'), Buffer.concat(u));
    const c = [Buffer.from('id,label,amount\n'), ...Array.from({ length: 10 }, (_, i) => Buffer.from(`c${i},lab,${i}\n`))];
    c[5] = Buffer.concat([Buffer.from('c4,x'), Buffer.from([0xff, 0xfe]), Buffer.from('y,4\n')]);
    writeFileSync(join(input, 'utf8.csv'), Buffer.concat(c));

    // 3. A 10 MiB field: over the 1MB limit of `events`, under the default 16 MiB of `big` and `rows`.
    const big = 'x'.repeat(TEN_MIB);
    writeFileSync(join(input, 'field10.ndjson'), nd([{ id: 's0', n: 0, msg: 'a' }, { id: 's1', n: 1, payload: big }, { id: 's2', n: 2, msg: 'c' }]));
    writeFileSync(join(input, 'bigfield.ndjson'), nd([{ id: 'b0', payload: 'small' }, { id: 'b1', payload: big }, { id: 'b2', payload: 'small too' }]));
    writeFileSync(join(input, 'bigfield.csv'), `id,label,amount\nq0,a,1\nq1,${big},2\nq2,c,3\n`);

    // 4. 10,000 columns: a CSV header; one NDJSON record among normal ones (early, and past DuckDB's sample).
    const cols = Array.from({ length: 10_000 }, (_, i) => i);
    writeFileSync(join(input, 'wide.csv'), [cols.map((i) => `c${i}`).join(','), ...[0, 1, 2].map((r) => cols.map((i) => String(i + r)).join(','))].join('\n') + '\n');
    const wideRecord = (id: string) => Object.fromEntries([['id', id], ['n', -1], ...cols.map((i) => [`key${i}`, i])]);
    writeFileSync(join(input, 'keys.ndjson'), nd([{ id: 'k0', n: 0, msg: 'a' }, wideRecord('k1'), { id: 'k2', n: 2, msg: 'c' }]));
    const normal = (prefix: string) => Array.from({ length: PAST_SAMPLE }, (_, i) => ({ id: `${prefix}${pad(i)}`, n: i }));
    const mixed = Array.from({ length: 100 }, (_, i) => ({ id: `m${pad(i)}`, n: i, secret: 's3cr3t' }));
    writeFileSync(join(input, 'mixed.ndjson'), nd([...mixed.slice(0, 50), wideRecord('mX'), ...mixed.slice(50)]));
    writeFileSync(join(input, 'latewide.ndjson'), nd([...normal('lw'), wideRecord('lwX'), { id: 'lwY', n: 1 }]));

    // 5. JSON nested 10,000 deep: NDJSON (early, and past DuckDB's sample) and a JSON array.
    const deep = (id: string) => `{"id":"${id}","n":1,"deep":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    writeFileSync(join(input, 'deep.ndjson'), [JSON.stringify({ id: 'd0', n: 0, msg: 'a' }), deep('d1'), JSON.stringify({ id: 'd2', n: 2, msg: 'c' })].join('\n') + '\n');
    writeFileSync(join(input, 'latedeep.ndjson'), nd(normal('ld')) + deep('ldX') + '\n' + JSON.stringify({ id: 'ldY', n: 1 }) + '\n');
    writeFileSync(join(input, 'deep.json'), `[{"id":"j0"},\n${deep('j1')},\n{"id":"j2"}]\n`);

    // 6. Ragged CSV: too few fields on line 3, too many on line 5.
    writeFileSync(join(input, 'ragged.csv'), 'id,label,amount\nr0,a,1\nr1,b\nr2,c,3\nr3,d,4,extra\nr4,e,5\nr5,f,6\n');

    const init = await run([BIN, 'init', 'proj'], dir);
    assert.equal(init.code, 0, init.stderr);
    writeFileSync(
      join(project, 'ade.yaml'),
      readFileSync(join(project, 'ade.yaml'), 'utf8') +
        `
sources:
  events:
    format: ndjson
    event_id: id
    max_record_size: 1MB
    fields: { id: keep, n: keep, msg: keep, payload: keep }
  big:
    format: ndjson
    fields: { id: keep, payload: keep }
  rows:
    format: csv
    fields: { id: keep, label: keep, amount: keep }
  tcsv:
    format: csv
    fields: { id: keep, label: keep, amount: keep }
  wide:
    format: csv
  mixed:
    format: ndjson
    fields: { id: keep, n: keep, secret: drop }
  docs:
    format: json
    fields: { id: keep }
`,
    );
    const keys = await ade('keys', 'create', '--as', 'engineer');
    assert.equal(keys.code, 0, keys.stderr);
  });

  after(() => {
    if (rss.length) console.log(`bad input: peak RSS per ingest (MiB): ${rss.map((r) => `${r.label} ${r.mib}`).join(', ')}`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('should keep the rows before the cut of a truncated gzip NDJSON and quarantine the rest with the reason', { timeout: 60_000 }, async () => {
    assert.ok(truncLines > 1_000 && truncLines < 20_000, `${truncLines}`);
    const { f } = await ingest('truncated gzip (ndjson)', 'events', 'trunc.ndjson.gz');
    assert.match(f.fileError ?? '', /gzip stream is truncated/, 'the report names the file and the problem');
    assert.equal(f.rowsWritten, truncLines);
    assert.ok(f.quarantined >= 1, JSON.stringify(f));
    const [q, clean] = await Promise.all([quarantine('events', 'trunc.ndjson.gz'), sql<{ n: number; hi: string }>(`SELECT count(*) AS n, max(id) AS hi FROM clean.events WHERE id LIKE 't%'`)]);
    assert.deepEqual(clean, [{ n: truncLines, hi: `t${pad(truncLines - 1)}` }]);
    assert.equal(q.length, f.quarantined);
    assert.ok(q.every((r) => /truncated/.test(r.reason)), JSON.stringify(q));
    // The partial last line is quarantined at its line number.
    assert.ok(q.some((r) => r.line === truncLines + 1 && /ends inside this record/.test(r.reason)), JSON.stringify(q));
  });

  it(
    'should not land a cut-short last row of a truncated gzip CSV and should say the file is truncated',
    { timeout: 60_000 },
    async () => {
      const { f } = await ingest('truncated gzip (csv)', 'tcsv', 'trunc.csv.gz');
      const partialId = tcsvPartial.split(',')[0]!;
      const [wrong, partial] = await Promise.all([
        sql<{ id: string; amount: unknown }>(`SELECT id, amount FROM clean.tcsv WHERE CAST(amount AS BIGINT) <> 1000000 + CAST(substr(id, 2) AS BIGINT)`),
        sql<{ n: number }>(`SELECT count(*) AS n FROM clean.tcsv WHERE id = '${partialId}'`),
      ]);
      assert.deepEqual(wrong, [], `rows with a value cut short landed in clean (the file was cut inside "${tcsvPartial}")`);
      assert.equal(partial[0]!.n, 0);
      assert.equal(f.rowsWritten, tcsvRows);
      assert.match(f.fileError ?? '', /truncated/, `the report says the file is truncated: ${JSON.stringify(f)}`);
      const q = await quarantine('tcsv', 'trunc.csv.gz');
      assert.ok(q.some((r) => r.line === tcsvRows + 2 && /truncated/.test(r.reason)), JSON.stringify(q));
    },
  );

  it('should quarantine an NDJSON line with invalid UTF-8 with its line and land the others', { timeout: 60_000 }, async () => {
    const { f } = await ingest('invalid UTF-8 (ndjson)', 'events', 'utf8.ndjson');
    assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [10, 9, 1]);
    const [q, landed] = await Promise.all([quarantine('events', 'utf8.ndjson'), ids('events', 'u%')]);
    assert.equal(q.length, 1);
    assert.equal(q[0]!.line, 5);
    assert.match(q[0]!.reason, /not valid UTF-8.*offset/);
    assert.deepEqual(landed, ['u0', 'u1', 'u2', 'u3', 'u5', 'u6', 'u7', 'u8', 'u9']);
  });

  it('should quarantine a CSV row with invalid UTF-8 naming line and field and land the others', { timeout: 60_000 }, async () => {
    const { f } = await ingest('invalid UTF-8 (csv)', 'rows', 'utf8.csv');
    assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [10, 9, 1]);
    const [q, landed] = await Promise.all([quarantine('rows', 'utf8.csv'), ids('rows', 'c%')]);
    assert.deepEqual(q.map((r) => [r.line, r.field]), [[6, 'label']]);
    assert.match(q[0]!.reason, /not valid UTF-8/);
    assert.deepEqual(landed, ['c0', 'c1', 'c2', 'c3', 'c5', 'c6', 'c7', 'c8', 'c9']);
  });

  it(
    'should quarantine a 10 MB record over max_record_size (1MB), cut, and land the others',
    { timeout: 60_000 },
    async () => {
      const { f } = await ingest('10 MB field over the 1MB limit (ndjson)', 'events', 'field10.ndjson');
      unlinkSync(join(input, 'field10.ndjson'));
      assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [3, 2, 1]);
      const [q, landed] = await Promise.all([quarantine('events', 'field10.ndjson'), ids('events', 's%')]);
      assert.deepEqual(landed, ['s0', 's2']);
      assert.equal(q.length, 1);
      assert.equal(q[0]!.line, 2);
      assert.match(q[0]!.reason, /record is .*the limit is/);
      assert.equal(q[0]!.record_truncated, true);
    },
  );

  it('should land a 10 MB NDJSON field under the default max_record_size', { timeout: 60_000 }, async () => {
    const { f } = await ingest('10 MB field under the default limit (ndjson)', 'big', 'bigfield.ndjson');
    unlinkSync(join(input, 'bigfield.ndjson'));
    assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [3, 3, 0]);
    const rows = await sql<{ id: string; len: number }>(`SELECT id, length(payload) AS len FROM clean.big ORDER BY id`);
    assert.deepEqual(rows, [
      { id: 'b0', len: 5 },
      { id: 'b1', len: TEN_MIB },
      { id: 'b2', len: 9 },
    ]);
  });

  it('should land a 10 MB CSV field under the default max_record_size', { timeout: 60_000 }, async () => {
    const { f } = await ingest('10 MB field under the default limit (csv)', 'rows', 'bigfield.csv');
    unlinkSync(join(input, 'bigfield.csv'));
    assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [3, 3, 0]);
    const rows = await sql<{ id: string; len: number }>(`SELECT id, length(label) AS len FROM clean.rows WHERE id LIKE 'q%' ORDER BY id`);
    assert.deepEqual(rows, [
      { id: 'q0', len: 1 },
      { id: 'q1', len: TEN_MIB },
      { id: 'q2', len: 1 },
    ]);
  });

  it('should refuse a CSV with 10,000 columns as a whole, say so, and write no clean table', { timeout: 60_000 }, async () => {
    // The human output this time: it must name the file and the problem.
    const r = await ingestRun('10,000 columns (csv)', 'wide', 'wide.csv', false);
    assert.match(r.stdout, /wide\.csv: the header has 10,000 columns; the limit is 4,096/);
    const [q, tables, runs] = await Promise.all([
      quarantine('wide', 'wide.csv'),
      ade('--json', '--as', 'engineer', 'tables'),
      ade('--json', 'runs', '--kind', 'ingest', '--limit', '1'),
    ]);
    assert.equal(q.length, 1);
    assert.equal(q[0]!.line, 1);
    assert.match(q[0]!.reason, /10,000 columns; the limit is 4,096/);
    const names = (JSON.parse(tables.stdout) as { table: string }[]).map((t) => t.table);
    assert.ok(!names.includes('clean.wide'), `nothing half-written: ${names.join(', ')}`);
    assert.ok(names.includes('quarantine.wide'));
    const [last] = JSON.parse(runs.stdout) as { target: string; state: string; info: { rowsWritten: number; quarantined: number } }[];
    assert.deepEqual([last!.target, last!.state, last!.info.rowsWritten, last!.info.quarantined], ['clean.wide', 'succeeded', 0, 1]);
  });

  it('should quarantine an NDJSON record with 10,000 keys and land the others', { timeout: 60_000 }, async () => {
    const { f } = await ingest('10,000 keys in one record (ndjson)', 'events', 'keys.ndjson');
    assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [3, 2, 1]);
    const [q, landed] = await Promise.all([quarantine('events', 'keys.ndjson'), ids('events', 'k%')]);
    assert.deepEqual(landed, ['k0', 'k2']);
    assert.deepEqual(q.map((r) => r.line), [2]);
    assert.match(q[0]!.reason, /10,002 top-level keys; the limit is 4,096/);
  });

  it(
    'should quarantine a record with 10,000 keys among 100 normal ones and apply the field policies to the others',
    {
      timeout: 60_000,
    },
    async () => {
      const { f } = await ingest('10,000 keys among 100 records (ndjson)', 'mixed', 'mixed.ndjson');
      const [all, described] = await Promise.all([ade('sql', 'SELECT * FROM clean.mixed', '--format', 'ndjson'), ade('--json', 'describe', 'clean.mixed')]);
      assert.equal(all.code, 0, all.stderr);
      assert.ok(!all.stdout.includes('s3cr3t'), 'a field with policy drop must not reach clean');
      const columns = (JSON.parse(described.stdout) as { columns: { name: string }[] }).columns.map((c) => c.name);
      assert.deepEqual(columns.sort(), ['id', 'n']);
      assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [101, 100, 1]);
      const q = await quarantine('mixed', 'mixed.ndjson');
      assert.deepEqual(q.map((r) => r.line), [51]);
      assert.match(q[0]!.reason, /10,002 top-level keys; the limit is 4,096/);
    },
  );

  it(
    'should quarantine a record with 10,000 keys that comes after 21,000 normal ones',
    { timeout: 60_000 },
    async () => {
      const { f } = await ingest('10,000 keys past the sample (ndjson)', 'events', 'latewide.ndjson');
      assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [PAST_SAMPLE + 2, PAST_SAMPLE + 1, 1]);
      const [q, x] = await Promise.all([quarantine('events', 'latewide.ndjson'), ids('events', 'lwX')]);
      assert.deepEqual(x, []);
      assert.deepEqual(q.map((r) => r.line), [PAST_SAMPLE + 1]);
      assert.match(q[0]!.reason, /10,002 top-level keys/);
    },
  );

  it('should quarantine an NDJSON line nested 10,000 deep and land the others', { timeout: 60_000 }, async () => {
    const { f } = await ingest('nested 10,000 deep (ndjson)', 'events', 'deep.ndjson');
    assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [3, 2, 1]);
    const [q, landed] = await Promise.all([quarantine('events', 'deep.ndjson'), ids('events', 'd%')]);
    assert.deepEqual(landed, ['d0', 'd2']);
    assert.deepEqual(q.map((r) => r.line), [2]);
    assert.match(q[0]!.reason, /nested deeper than 64 levels/);
  });

  it('should quarantine a JSON array element nested 10,000 deep and land the others', { timeout: 60_000 }, async () => {
    const { f } = await ingest('nested 10,000 deep (json array)', 'docs', 'deep.json');
    assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [3, 2, 1]);
    const [q, landed] = await Promise.all([quarantine('docs', 'deep.json'), ids('docs', 'j%')]);
    assert.deepEqual(landed, ['j0', 'j2']);
    assert.deepEqual(q.map((r) => r.line), [2]);
    assert.match(q[0]!.reason, /nested deeper than 64 levels/);
  });

  it(
    'should quarantine a line nested 10,000 deep that comes after 21,000 normal ones',
    { timeout: 60_000 },
    async () => {
      const { f } = await ingest('nested 10,000 deep past the sample (ndjson)', 'events', 'latedeep.ndjson');
      assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [PAST_SAMPLE + 2, PAST_SAMPLE + 1, 1]);
      const [q, x] = await Promise.all([quarantine('events', 'latedeep.ndjson'), ids('events', 'ldX')]);
      assert.deepEqual(x, []);
      assert.deepEqual(q.map((r) => r.line), [PAST_SAMPLE + 1]);
      assert.match(q[0]!.reason, /nested deeper than 64 levels/);
    },
  );

  it('should quarantine ragged CSV rows with line numbers and field counts and land the others', { timeout: 60_000 }, async () => {
    const { f } = await ingest('ragged rows (csv)', 'rows', 'ragged.csv');
    assert.deepEqual([f.rowsRead, f.rowsWritten, f.quarantined], [6, 4, 2]);
    const [q, landed] = await Promise.all([quarantine('rows', 'ragged.csv'), ids('rows', 'r%')]);
    assert.deepEqual(landed, ['r0', 'r2', 'r4', 'r5']);
    assert.deepEqual(q.map((r) => r.line), [3, 5]);
    assert.match(q[0]!.reason, /2 fields; the header has 3/);
    assert.match(q[1]!.reason, /4 fields; the header has 3/);
  });

  it('should leave a lake that verifies, with every ingest run succeeded', { timeout: 60_000 }, async () => {
    const [verify, runs] = await Promise.all([ade('verify', '--read'), ade('--json', 'runs', '--kind', 'ingest', '--limit', '100')]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const states = (JSON.parse(runs.stdout) as { state: string }[]).map((r) => r.state);
    assert.ok(states.length > 0 && states.every((s) => s === 'succeeded'), states.join(', '));
  });
});

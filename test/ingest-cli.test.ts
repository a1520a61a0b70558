// `ade ingest` end to end: sources in an object store, and --watch picking up
// files as they appear. Real processes, real s3rver on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

const BIN = new URL('../packages/ade/bin/ade.js', import.meta.url).pathname;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}
/** Asynchronous on purpose: s3rver answers from this very process. */
function ade(cwd: string, env: Record<string, string>, ...args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
function json<T = any>(r: Ran): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
const ndjson = (rows: readonly object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('ade ingest from an object-store location', () => {
  it('should list the bucket by glob, ingest each new object once, and name it in the ledger', { timeout: 120_000 }, async () => {
    const { startS3rver } = await import('../packages/ade/src/test-support/s3rver.js');
    const { openObjectStore } = await import('../packages/ade/src/storage/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'ade-ingest-s3-'));
    const s3 = await startS3rver(dir);
    const landing = await openObjectStore({ ...s3.settings(join(dir, 'cache-test')), prefix: '' });
    try {
      const project = join(dir, 'p');
      mkdirSync(project);
      writeFileSync(
        join(project, 'ade.yaml'),
        `name: s3ingest
storage:
  kind: s3
  bucket: ade-lake
  prefix: lake
  endpoint: ${s3.endpoint}
  access_key_id_env: K
  secret_access_key_env: S
access:
  default_role: engineer
sources:
  events:
    format: ndjson
    location: s3://ade-lake/landing/**/*.ndjson.gz
    event_id: id
    fields:
      email: { tokenize: email }
`,
      );
      const env = { K: 'S3RVER', S: 'S3RVER', ADE_KEYRING_FILE: join(dir, 'keys', 'k.json') };
      assert.equal((await ade(project, env, 'keys', 'create')).code, 0);
      await landing.put('landing/2026/11/a.ndjson.gz', gzipSync(ndjson([{ id: 1, email: 'a@example.com' }, { id: 2, email: 'b@example.com' }])));
      await landing.put('landing/2026/11/b.ndjson.gz', gzipSync(ndjson([{ id: 3, email: 'c@example.com' }])));
      await landing.put('landing/2026/11/skip.csv', 'id\n9\n');
      const first = json(await ade(project, env, '--json', 'ingest', 'events'));
      assert.deepEqual([first.filesIngested, first.rowsWritten], [2, 3]);
      assert.deepEqual(first.files.map((f: any) => f.file), ['s3://ade-lake/landing/2026/11/a.ndjson.gz', 's3://ade-lake/landing/2026/11/b.ndjson.gz']);
      await landing.put('landing/2026/12/c.ndjson.gz', gzipSync(ndjson([{ id: 4, email: 'd@example.com' }])));
      const second = json(await ade(project, env, '--json', 'ingest', 'events'));
      assert.deepEqual([second.filesIngested, second.filesSkipped, second.rowsWritten], [1, 2, 1]);
      const rows = json<any[]>(await ade(project, env, '--json', 'sql', 'SELECT id, email FROM clean.events ORDER BY id'));
      assert.deepEqual(rows.map((r) => r.id), [1, 2, 3, 4]);
      for (const r of rows) assert.match(r.email, /^tok_/);
    } finally {
      await landing.close();
      await s3.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ade ingest --watch', () => {
  it('should ingest files as they appear in the location and stop on SIGINT', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ade-ingest-watch-'));
    try {
      const project = join(dir, 'p');
      mkdirSync(join(project, 'landing'), { recursive: true });
      writeFileSync(
        join(project, 'ade.yaml'),
        `name: watch
access:
  default_role: engineer
sources:
  events:
    format: ndjson
    location: landing/*.ndjson
    event_id: id
`,
      );
      const env = { ADE_KEYRING_FILE: join(dir, 'keys', 'k.json') };
      assert.equal((await ade(project, env, 'keys', 'create')).code, 0);
      const child = spawn(process.execPath, [BIN, 'ingest', 'events', '--watch', '--interval', '0.3'], {
        cwd: project,
        env: { ...process.env, ...env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const count = async () => {
        const r = await ade(project, env, '--json', 'sql', 'SELECT count(*) AS n FROM clean.events');
        return r.code === 0 ? Number(JSON.parse(r.stdout)[0].n) : 0;
      };
      const until = async (n: number) => {
        for (let i = 0; i < 200 && (await count()) < n; i++) await new Promise((r) => setTimeout(r, 150));
        return count();
      };
      try {
        writeFileSync(join(project, 'landing', 'a.ndjson'), ndjson([{ id: 1 }, { id: 2 }]));
        assert.equal(await until(2), 2, out);
        writeFileSync(join(project, 'landing', 'b.ndjson'), ndjson([{ id: 2 }, { id: 3 }]));
        assert.equal(await until(3), 3, out);
      } finally {
        child.kill('SIGINT');
      }
      assert.equal(await exited, 0, out);
      assert.match(out, /ingested 1 file\(s\) into clean\.events/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

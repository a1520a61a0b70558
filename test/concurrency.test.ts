// Concurrency: 4 processes × 200 appends to one table → 800 commits, each
// visible exactly once, in one linear history — on both catalog backends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Lake, verifyLake } from '../packages/ade/src/lake/index.js';
import { backendFixture, BACKENDS } from './support/backends.js';

const WRITERS = 4;
const APPENDS = Number(process.env.ADE_CONCURRENCY_APPENDS ?? 200);
const CHILD = new URL('./support/commit-loop.mjs', import.meta.url).pathname;

function runWriter(configPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer failed (${code}): ${err}`))));
  });
}

describe('concurrent appends from several processes', () => {
  for (const backend of BACKENDS) {
    it(`should land ${WRITERS}×${APPENDS} appends exactly once in a linear history (${backend})`, { timeout: 600_000 }, async (t) => {
      const fx = await backendFixture(backend, 'conc');
      if (!fx) return t.skip('Postgres not available');
      const ref = { zone: 'clean', name: 'events' };
      const lake = await Lake.open(fx.lake);
      try {
        const seed = await lake.writeSelect({ name: 'test', role: 'engineer' }, {
          table: ref,
          sql: 'SELECT range AS id FROM range(3)',
          mode: 'replace',
        });
        const template = await lake.store.localPath((await lake.catalog.files(ref))[0]!.path);
        const configs = Array.from({ length: WRITERS }, (_, w) => {
          const path = join(fx.dir, `writer-${w}.json`);
          writeFileSync(
            path,
            JSON.stringify({
              catalog: fx.catalog,
              storage: fx.lake.storage,
              table: 'clean.events',
              template,
              templateRows: 3,
              columns: seed.columns.map((c) => ({ name: c.name, type: c.type })),
              writer: `w${w}`,
              count: APPENDS,
              replaceEvery: 0,
            }),
          );
          return path;
        });
        const outputs = await Promise.all(configs.map(runWriter));
        const acked = outputs.flatMap((o) => o.split('\n').filter((l) => l.startsWith('c ')));
        assert.equal(acked.length, WRITERS * APPENDS);

        const history = await lake.catalog.history(ref, { limit: 100_000 });
        const commits = history.filter((s) => s.committer.startsWith('w'));
        assert.equal(commits.length, WRITERS * APPENDS, 'every append is one snapshot');
        const seen = new Set(commits.map((s) => `${s.summary.writer}/${s.summary.i}`));
        assert.equal(seen.size, WRITERS * APPENDS, 'each (writer, i) appears exactly once');
        // Linear: seq 1..n, each parent is the previous snapshot.
        const ordered = [...history].sort((a, b) => a.seq - b.seq);
        ordered.forEach((s, i) => {
          assert.equal(s.seq, i + 1);
          assert.equal(s.parentId, i === 0 ? undefined : ordered[i - 1]!.id);
        });
        const files = await lake.catalog.files(ref);
        assert.equal(files.length, 1 + WRITERS * APPENDS);
        const session = await lake.session({ name: 'test', role: 'analyst' });
        try {
          const r = await session.query('SELECT count(*) AS n FROM clean.events');
          assert.equal(Number(r.rows[0]!.n), 3 * (1 + WRITERS * APPENDS));
        } finally {
          await session.close();
        }
        assert.deepEqual((await verifyLake(lake)).problems, []);
        const retries = commits.length; // reported for the note
        console.log(`# ${backend}: ${retries} appends from ${WRITERS} processes, linear history of ${history.length} snapshots`);
      } finally {
        await lake.close();
        await fx.cleanup();
      }
    });
  }
});

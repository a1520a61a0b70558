// Crash safety: a child process commits in a loop while the parent kills it
// with SIGKILL at random moments, on both catalog backends. Afterwards every
// table is at an old or a new snapshot, every referenced file exists and reads,
// and the catalog passes its integrity check.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createInterface } from 'node:readline';
import { openCatalog } from '../packages/ade/src/catalog/index.js';
import { Lake, verifyLake } from '../packages/ade/src/lake/index.js';
import { backendFixture, BACKENDS } from './support/backends.js';

const KILLS = Number(process.env.ADE_CRASH_KILLS ?? 200);
const CHILD = new URL('./support/commit-loop.mjs', import.meta.url).pathname;

/**
 * Starts the writer, waits until it is open and has acknowledged `acks` commits,
 * then kills it after a random fraction of one commit's duration. Kill moments are
 * paced by the writer's own progress rather than the wall clock, so a slow or busy
 * machine moves them later but does not stop them from landing mid-commit.
 */
async function killOnce(configPath: string, acks: number, pace: CommitPace): Promise<{ acked: number[]; reached: boolean }> {
  const child = spawn(process.execPath, [CHILD, configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: number[] = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let reached = false;
  let last = 0;
  await new Promise<void>((resolve, reject) => {
    const arm = () => {
      setTimeout(() => {
        reached = child.exitCode === null;
        child.kill('SIGKILL');
        resolve();
      }, Math.random() * pace.meanMs() * 1.5);
    };
    lines.on('line', (line) => {
      const now = performance.now();
      if (line === 'ready') {
        last = now;
        if (acks === 0) arm();
      } else if (line.startsWith('c ')) {
        acked.push(Number(line.split(' ')[2]));
        pace.observe(now - last);
        last = now;
        if (acked.length === acks) arm();
      }
    });
    child.on('exit', (code) => {
      if (code !== null) reject(new Error(`writer exited by itself (${code}): ${stderr}`));
    });
  });
  await exited;
  return { acked, reached };
}

/** A running mean of how long one commit takes on this machine, right now. */
class CommitPace {
  #mean = 20;
  observe(ms: number): void {
    this.#mean = 0.8 * this.#mean + 0.2 * ms;
  }
  meanMs(): number {
    return this.#mean;
  }
}

describe('crash safety under SIGKILL', () => {
  for (const backend of BACKENDS) {
    it(`should leave every table at an old or a new snapshot with all files present (${backend})`, { timeout: 600_000 }, async (t) => {
      const fx = await backendFixture(backend, 'crash');
      if (!fx) return t.skip('Postgres not available');
      const lake = await Lake.open(fx.lake);
      try {
        // A real Parquet file the writer commits over and over under new keys.
        const seed = await lake.writeSelect({ name: 'test', role: 'engineer' }, {
          table: { zone: 'clean', name: 'crash' },
          sql: 'SELECT range AS id, range * 2 AS v FROM range(50)',
          mode: 'replace',
        });
        const seedFile = (await lake.catalog.files({ zone: 'clean', name: 'crash' }))[0]!;
        const config = {
          catalog: fx.catalog,
          storage: fx.lake.storage,
          table: 'clean.crash',
          template: await lake.store.localPath(seedFile.path),
          templateRows: 50,
          columns: seed.columns.map((c) => ({ name: c.name, type: c.type })),
          writer: 'crash',
          count: 0,
          replaceEvery: 7,
        };
        const configPath = join(fx.dir, 'writer.json');
        writeFileSync(configPath, JSON.stringify(config));

        let reached = 0;
        let commits = 0;
        let inFlightLanded = 0;
        let lastAcked = seed.snapshot.id;
        let planned = 0;
        const pace = new CommitPace();
        const check = await openCatalog(fx.catalog);
        try {
          for (let k = 0; k < KILLS; k++) {
            // 0, 1 or 2 whole commits first, then a kill somewhere in the next one.
            const acks = k % 3;
            planned += acks;
            const r = await killOnce(configPath, acks, pace);
            if (r.reached) reached++;
            commits += r.acked.length;
            if (r.acked.length) lastAcked = r.acked.at(-1)!;
            // The table is at the last acknowledged snapshot, or at the one commit in flight when killed.
            const table = await check.getTable({ zone: 'clean', name: 'crash' });
            const current = table!.currentSnapshotId!;
            if (current !== lastAcked) {
              const history = await check.history({ zone: 'clean', name: 'crash' }, { limit: 2 });
              assert.equal(history[0]!.id, current);
              assert.equal(history[1]!.id, lastAcked, `after kill ${k}: current ${current} is not the successor of acknowledged ${lastAcked}`);
              inFlightLanded++;
              lastAcked = current;
            }
          }
        } finally {
          await check.close();
        }
        console.log(`# ${backend}: ${reached} kill points reached, ${commits} acknowledged commits, ${inFlightLanded} in-flight commits landed`);
        assert.ok(reached >= Math.min(KILLS, 200), `only ${reached} kills landed while the writer ran`);
        // Every planned commit was acknowledged before its kill (more land when a kill comes after a further commit).
        assert.ok(commits >= planned, `the writer should commit ${planned} times between kills, got ${commits}`);

        const report = await verifyLake(lake, { readFiles: true });
        assert.deepEqual(report.problems, []);
        // Every retained snapshot's files exist too, not only the current one's.
        for (const s of await lake.catalog.history({ zone: 'clean', name: 'crash' }, { limit: 30 })) {
          for (const f of await lake.catalog.files({ zone: 'clean', name: 'crash' }, { snapshotId: s.id })) {
            assert.ok(await lake.store.stat(f.path), `snapshot ${s.id} references missing ${f.path}`);
          }
        }
        const session = await lake.session({ name: 'test', role: 'analyst' });
        try {
          const files = await lake.catalog.files({ zone: 'clean', name: 'crash' });
          const r = await session.query('SELECT count(*) AS n FROM clean.crash');
          assert.equal(Number(r.rows[0]!.n), files.length * 50);
        } finally {
          await session.close();
        }
      } finally {
        await lake.close();
        await fx.cleanup();
      }
    });
  }
});

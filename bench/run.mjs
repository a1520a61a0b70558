#!/usr/bin/env node
// ade benchmarks. Every figure is a ratio against a baseline measured in the
// same run on the same machine and data:
//
//   1. load:  `ade load` of an NDJSON file (library call and the whole CLI)
//             vs DuckDB's own read_json → COPY to zstd Parquet of the same file.
//             Throughput ratio = baseline seconds / ade seconds (target ≥ 0.9).
//   2. query: the engine layer (sandboxed session over catalog views) vs raw
//             DuckDB over the same Parquet files: a ~1 s aggregate (target ≤ 1.05×)
//             and a ~10 ms query (target ≤ 2 ms extra), on an open session and
//             including session open.
//
//   npm run bench [-- --rows 2000000 --repeat 5]
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { Lake, loadFile } from '../packages/ade/dist/lake/index.js';
import { DEFAULT_ENGINE_CONFIG } from '../packages/ade/dist/engine/index.js';
import { median } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'query-rows': { type: 'string', default: '30000000' },
    repeat: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);
const QUERY_ROWS = Number(args['query-rows']);
const REPEAT = Number(args.repeat);
const THREADS = Number(args.threads);
const dir = join(tmpdir(), `ade-bench-${process.pid}`);
mkdirSync(dir, { recursive: true });
const engineer = { name: 'bench', role: 'engineer' };
const analyst = { name: 'bench', role: 'analyst' };

const fmt = (s) => `${(s * 1000).toFixed(1)} ms`;
async function time(fn) {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

/** A deterministic NDJSON file of app events (no faker: generation is not what we measure). */
async function writeNdjson(path, rows) {
  const out = createWriteStream(path);
  const events = ['app_open', 'product_viewed', 'added_to_cart', 'checkout_started', 'order_completed'];
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < rows; i++) {
    const line = JSON.stringify({
      event_id: `e-${i}`,
      user_id: Math.floor(rnd() * 100000),
      event: events[Math.floor(rnd() * events.length)],
      ts: new Date(1_750_000_000_000 + i * 1000).toISOString(),
      price: Math.round(rnd() * 10000) / 100,
      qty: 1 + Math.floor(rnd() * 4),
      country: ['US', 'GB', 'DE', 'FR'][i % 4],
      app_version: `4.${i % 7}.${i % 3}`,
    });
    if (!out.write(line + '\n')) await new Promise((r) => out.once('drain', r));
  }
  out.end();
  await finished(out);
}

function lakeConfig(name) {
  return {
    storage: { kind: 'local', root: join(dir, name, 'lake') },
    catalog: { kind: 'sqlite', path: join(dir, name, 'catalog.db') },
    engine: { ...DEFAULT_ENGINE_CONFIG, threads: THREADS, memoryLimit: '4GB', queryTimeoutMs: 600_000, tempDir: join(dir, name, 'tmp') },
  };
}

async function benchLoad() {
  const file = join(dir, 'events.ndjson');
  await writeNdjson(file, ROWS);
  const inputBytes = statSync(file).size;
  console.log(`\n## load: ${ROWS.toLocaleString('en-US')} NDJSON rows (${(inputBytes / 1e6).toFixed(1)} MB), ${THREADS} threads, median of ${REPEAT}`);

  // Baseline, library and CLI runs are interleaved so that drift on a busy
  // machine (page cache, CPU frequency, neighbours) hits all three alike.
  const duck = await DuckDBInstance.create(':memory:', { threads: String(THREADS) });
  const conn = await duck.connect();
  const lake = await Lake.open(lakeConfig('load'));
  const projectDir = join(dir, 'cli-project');
  spawnSync(process.execPath, ['packages/ade/bin/ade.js', 'init', projectDir, '-q'], { stdio: 'ignore' });
  const baseline = [];
  const ours = [];
  const cli = [];
  try {
    for (let r = 0; r < REPEAT; r++) {
      const out = join(dir, `baseline-${r}.parquet`);
      baseline.push(
        await time(() =>
          conn.run(`COPY (SELECT * FROM read_json('${file}', format='newline_delimited')) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`),
        ),
      );
      rmSync(out, { force: true });
      ours.push(await time(() => loadFile(lake, engineer, { file, table: { zone: 'clean', name: 'events' }, mode: 'replace' })));
      cli.push(
        await time(async () => {
          const p = spawnSync(process.execPath, ['packages/ade/bin/ade.js', '-p', projectDir, '--as', 'engineer', '-q', 'load', file, '--table', 'clean.events', '--mode', 'replace'], {
            stdio: ['ignore', 'ignore', 'inherit'],
          });
          if (p.status !== 0) throw new Error(`ade load exited ${p.status}`);
        }),
      );
    }
  } finally {
    await lake.close();
    conn.closeSync();
    duck.closeSync();
  }
  const b = median(baseline);
  const o = median(ours);
  const c = median(cli);
  console.log(`DuckDB read_json → COPY parquet (baseline)   ${fmt(b)}   ${(inputBytes / 1e6 / b).toFixed(1)} MB/s`);
  console.log(`ade loadFile (library)                        ${fmt(o)}   throughput ratio ${(b / o).toFixed(3)}× (target ≥ 0.9)`);
  console.log(`ade load (CLI, process start included)        ${fmt(c)}   throughput ratio ${(b / c).toFixed(3)}×`);
  return { baseline: b, library: o, cli: c, ratioLibrary: b / o, ratioCli: b / c };
}

async function benchQuery() {
  console.log(`\n## query overhead: ${QUERY_ROWS.toLocaleString('en-US')} rows in Parquet, ${THREADS} threads, median of ${REPEAT}`);
  const lake = await Lake.open(lakeConfig('query'));
  try {
    await lake.writeSelect(engineer, {
      table: { zone: 'clean', name: 'facts' },
      mode: 'replace',
      sql: `SELECT range AS id, range % 1000 AS k, (range * 7919) % 100003 AS v, 'g' || (range % 37) AS g FROM range(${QUERY_ROWS})`,
    });
    const files = await Promise.all((await lake.catalog.files({ zone: 'clean', name: 'facts' })).map((f) => lake.store.localPath(f.path)));
    const list = `[${files.map((f) => `'${f}'`).join(', ')}]`;

    const heavy = (t) => `SELECT g, k % 10 AS b, count(*) AS n, sum(v) AS s, avg(v) AS a, approx_count_distinct(id) AS d FROM ${t} GROUP BY ALL ORDER BY ALL`;
    const light = (t) => `SELECT count(*) AS n, sum(v) AS s FROM ${t} WHERE id BETWEEN 1000000 AND 1200000`;

    const duck = await DuckDBInstance.create(':memory:', { threads: String(THREADS), memory_limit: '4GB' });
    const conn = await duck.connect();
    await conn.run(`CREATE VIEW facts AS SELECT * FROM read_parquet(${list})`);
    const session = await lake.session(analyst);
    const results = {};
    for (const [name, q] of [
      ['aggregate', heavy],
      ['small query', light],
    ]) {
      // warm both (file cache, metadata)
      await conn.runAndReadAll(q('facts'));
      await session.query(q('clean.facts'));
      const raw = [];
      const ours = [];
      const oursWithOpen = [];
      for (let r = 0; r < REPEAT * (name === 'small query' ? 6 : 1); r++) {
        raw.push(await time(() => conn.runAndReadAll(q('facts'))));
        ours.push(await time(() => session.query(q('clean.facts'))));
        oursWithOpen.push(
          await time(async () => {
            const s = await lake.session(analyst);
            try {
              await s.query(q('clean.facts'));
            } finally {
              await s.close();
            }
          }),
        );
      }
      const b = median(raw);
      const o = median(ours);
      const w = median(oursWithOpen);
      console.log(`${name.padEnd(12)} raw DuckDB ${fmt(b)} · ade session ${fmt(o)} = ${(o / b).toFixed(3)}× (+${((o - b) * 1000).toFixed(2)} ms) · incl. session open ${fmt(w)} = ${(w / b).toFixed(3)}× (+${((w - b) * 1000).toFixed(2)} ms)`);
      results[name] = { raw: b, session: o, sessionWithOpen: w };
    }
    await session.close();
    conn.closeSync();
    duck.closeSync();
    return results;
  } finally {
    await lake.close();
  }
}

try {
  const load = await benchLoad();
  const query = await benchQuery();
  console.log('\n' + JSON.stringify({ load, query }, null, 2));
} finally {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}

#!/usr/bin/env node
// ade ingest benchmark. The figure is a ratio against a baseline measured in
// the same run on the same machine and file:
//
//   ade:      `ingest()` of one NDJSON file through the privacy path — hash,
//             raw copy, typed read, 2 tokenized fields (email, phone),
//             1 generalized (ip → /24), 1 redacted free-text field (message,
//             ~1 in 4 messages carries an email or phone), dedup by event id,
//             zstd Parquet, one commit.
//   baseline: DuckDB's own read_json → COPY to zstd Parquet of the same file.
//
//   throughput ratio = baseline seconds / ade seconds        (target ≥ 0.6)
//   bytes ratio      = clean Parquet bytes / baseline bytes   (target ≤ 1.3)
//
// Runs alternate (baseline, ade, baseline, ade, …) and the medians are
// compared. Peak RSS of the process is reported too (memory stays bounded:
// files are streamed, never loaded whole).
//
//   npm run bench:ingest [-- --rows 5000000 --repeat 3 --threads 2]
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { Lake } from '../packages/ade/dist/lake/index.js';
import { DEFAULT_ENGINE_CONFIG } from '../packages/ade/dist/engine/index.js';
import { ingest, SOURCE_DEFAULTS } from '../packages/ade/dist/ingest/index.js';
import { median } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '5000000' },
    repeat: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    data: { type: 'string', default: join(tmpdir(), 'ade-bench-data') },
    keep: { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);
const REPEAT = Number(args.repeat);
const THREADS = Number(args.threads);
const dir = join(tmpdir(), `ade-bench-ingest-${process.pid}`);
mkdirSync(dir, { recursive: true });
mkdirSync(args.data, { recursive: true });

/** Deterministic events: 200,000 users (so emails and phones repeat), free text with PII in ~1 of 4 messages. */
async function writeEvents(path, rows) {
  let a = 20261127;
  const rnd = () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const words = 'the order arrived late please refund my package was damaged thanks for the help when will it ship i need to change the address'.split(' ');
  const events = ['app_open', 'product_viewed', 'added_to_cart', 'checkout_started', 'order_completed', 'support_message'];
  const out = createWriteStream(path);
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const u = Math.floor(rnd() * 200_000);
    let message = Array.from({ length: 6 + Math.floor(rnd() * 12) }, () => words[Math.floor(rnd() * words.length)]).join(' ');
    const r = rnd();
    if (r < 0.12) message += ` - email me at user${u}@example.com`;
    else if (r < 0.22) message += ` or call +1 415 555 ${String(u % 10000).padStart(4, '0')}`;
    else if (r < 0.3) message += ` (order ${100000 + Math.floor(rnd() * 900000)}, item ${1 + Math.floor(rnd() * 9)})`;
    const row = {
      event_id: `e-${i}`,
      ts: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      user_id: u,
      event: events[i % events.length],
      email: `user${u}@example.com`,
      phone: `+1 415 ${String(200 + (u % 700)).padStart(3, '0')} ${String(u % 10000).padStart(4, '0')}`,
      ip: `10.${u % 256}.${(u >> 8) % 256}.${Math.floor(rnd() * 256)}`,
      amount: Math.round(rnd() * 100_000) / 100,
      message,
    };
    buf += JSON.stringify(row) + '\n';
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise((res) => out.once('drain', res));
      buf = '';
    }
  }
  out.end(buf);
  await new Promise((res, rej) => out.on('finish', res).on('error', rej));
}

const input = join(args.data, `events-${ROWS}.ndjson`);
if (!existsSync(input)) {
  process.stderr.write(`generating ${ROWS.toLocaleString('en-US')} events into ${input} …\n`);
  await writeEvents(input, ROWS);
}
const inputBytes = statSync(input).size;

const source = {
  ...SOURCE_DEFAULTS,
  name: 'events',
  format: 'ndjson',
  eventId: 'event_id',
  eventTime: 'ts',
  fields: {
    email: { action: 'tokenize', kind: 'email' },
    phone: { action: 'tokenize', kind: 'phone' },
    ip: { action: 'generalize', to: 'ip', v4Prefix: 24, v6Prefix: 48 },
    message: { action: 'redact' },
    event_id: { action: 'keep' },
    ts: { action: 'keep' },
    user_id: { action: 'keep' },
    event: { action: 'keep' },
    amount: { action: 'keep' },
  },
};
const keyring = { activeKeyId: 'bench', keys: { bench: randomBytes(32) } };

async function baseline(n) {
  const out = join(dir, `baseline-${n}.parquet`);
  const instance = await DuckDBInstance.create(':memory:', { threads: String(THREADS), memory_limit: DEFAULT_ENGINE_CONFIG.memoryLimit });
  const c = await instance.connect();
  const t = performance.now();
  await c.run(`COPY (SELECT * FROM read_json('${input}', format='newline_delimited')) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
  const s = (performance.now() - t) / 1000;
  c.closeSync();
  instance.closeSync();
  const bytes = statSync(out).size;
  rmSync(out);
  return { s, bytes };
}

async function ade(n) {
  const root = join(dir, `lake-${n}`);
  const lake = await Lake.open({
    storage: { kind: 'local', root: join(root, 'lake') },
    catalog: { kind: 'sqlite', path: join(root, 'catalog.db') },
    engine: { ...DEFAULT_ENGINE_CONFIG, threads: THREADS, tempDir: join(root, 'tmp') },
  });
  try {
    const t = performance.now();
    const stages = [];
    const report = await ingest(lake, { name: 'bench', role: 'engineer' }, {
      source,
      paths: [input],
      baseDir: dir,
      keyring,
      onStage: (stage, fraction) => {
        if (fraction === undefined && stages.at(-1)?.[0] !== stage) stages.push([stage, performance.now()]);
      },
    });
    stages.push(['end', performance.now()]);
    stageSeconds.push(Object.fromEntries(stages.slice(0, -1).map(([stage, at], i) => [stage, (stages[i + 1][1] - at) / 1000])));
    const s = (performance.now() - t) / 1000;
    const files = readdirSync(join(root, 'lake', 'clean', 'events', 'data', '_'));
    const bytes = files.reduce((sum, f) => sum + statSync(join(root, 'lake', 'clean', 'events', 'data', '_', f)).size, 0);
    if (report.rowsWritten !== ROWS) throw new Error(`wrote ${report.rowsWritten} rows, expected ${ROWS}`);
    return { s, bytes, report };
  } finally {
    await lake.close();
    rmSync(root, { recursive: true, force: true });
  }
}

const base = [];
const ours = [];
/** Seconds per ingest stage (hashing, copying, reading, obfuscating, writing, committing), per run. */
const stageSeconds = [];
let last;
for (let i = 0; i < REPEAT; i++) {
  base.push(await baseline(i));
  const r = await ade(i);
  ours.push(r);
  last = r.report;
  process.stderr.write(`run ${i + 1}/${REPEAT}: baseline ${base.at(-1).s.toFixed(2)} s, ade ${r.s.toFixed(2)} s\n`);
}
const b = median(base.map((x) => x.s));
const o = median(ours.map((x) => x.s));
const found = last.detections.map((d) => `${d.field}/${d.detector} ${d.count.toLocaleString('en-US')}`).join(', ');
console.log(`ade ingest benchmark: ${ROWS.toLocaleString('en-US')} rows, ${(inputBytes / 2 ** 20).toFixed(0)} MiB NDJSON, ${THREADS} threads, median of ${REPEAT}`);
console.log(`  baseline DuckDB read_json → Parquet  ${b.toFixed(2)} s  ${(ROWS / b / 1e6).toFixed(2)} M rows/s`);
console.log(`  ade ingest (privacy path)            ${o.toFixed(2)} s  ${(ROWS / o / 1e6).toFixed(2)} M rows/s`);
console.log(`  throughput ratio ade/baseline        ${(b / o).toFixed(2)}×   (target ≥ 0.6)`);
console.log(`  Parquet bytes ade/baseline           ${(ours[0].bytes / base[0].bytes).toFixed(2)}×   (target ≤ 1.3; ${(ours[0].bytes / 2 ** 20).toFixed(1)} vs ${(base[0].bytes / 2 ** 20).toFixed(1)} MiB)`);
console.log(`  detections                           ${found}`);
const stageNames = [...new Set(stageSeconds.flatMap((s) => Object.keys(s)))];
console.log(`  stages (median s)                    ${stageNames.map((n) => `${n} ${median(stageSeconds.map((s) => s[n] ?? 0)).toFixed(2)}`).join(' · ')}`);
console.log(`  peak RSS of this process             ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
if (!args.keep) rmSync(dir, { recursive: true, force: true });

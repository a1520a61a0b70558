#!/usr/bin/env node
// What the HTTP API adds to a query: the same SQL through POST /v1/query of
// `ade serve` (a child process; JSON, read and parsed by fetch) and through
// the library in this process (`lake.session(principal).query(sql)`, rows in
// hand), alternating, on a project with a `--rows`-row table clean.items.
// The library is timed with the session opened per query (as the server
// does per request) and on a session kept open. Prints medians, the ratio
// HTTP ÷ library and the extra milliseconds per query.
//
//   npm run build && node bench/query-http.mjs [-- --rows 100000 --repeat 15 --json --keep]
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openContext } from '../packages/ade/dist/cli/context.js';
import { log, median, scratchCleanup } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    repeat: { type: 'string', default: '15' },
    'gap-ms': { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);
const REPEAT = Number(args.repeat);
const GAP_MS = Number(args['gap-ms']);

const BIN = new URL('../packages/ade/bin/ade.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ade-bench-query-http-'));
const cleanup = scratchCleanup(dir, args.keep);
const project = join(dir, 'p');
const env = { ...process.env, NO_COLOR: '1', ADE_SERVER_SECRET: randomBytes(32).toString('hex'), ADE_KEYRING_FILE: join(dir, 'keys.json') };
const ade = (...a) => {
  const r = spawnSync(process.execPath, [BIN, ...a], { cwd: project, env, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ade ${a.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

spawnSync(process.execPath, [BIN, 'init', 'p'], { cwd: dir, env });
const yaml = join(project, 'ade.yaml');
writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(/granted_roles: \[[^\]]*\]/, 'granted_roles: [analyst, engineer, admin]'));
// The token's rate limit is raised so that queries can follow each other without pauses, as the library's do.
writeFileSync(yaml, `${readFileSync(yaml, 'utf8')}\nserver:\n  rate_limit: { requests_per_second: 100000, burst: 100000 }\n`);
const csv = join(dir, 'items.csv');
await new Promise((resolve, reject) => {
  const out = createWriteStream(csv);
  out.on('error', reject).on('finish', resolve);
  out.write('id,name,category,amount,created_at\n');
  for (let i = 1; i <= ROWS; i++) out.write(`${i},item ${i},c${i % 17},${(i % 1000) / 10},2026-01-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z\n`);
  out.end();
});
ade('--as', 'engineer', 'load', csv, '--table', 'clean.items');
ade('--as', 'engineer', 'keys', 'create'); // ade serve refuses to start without the keyring
const token = JSON.parse(ade('--json', '--as', 'admin', 'tokens', 'create', '--role', 'analyst', '--name', 'bench')).token;

const server = spawn(process.execPath, [BIN, '--json', 'serve', '--port', '0'], { cwd: project, env, stdio: ['ignore', 'pipe', 'inherit'] });
let text = '';
for await (const line of createInterface({ input: server.stdout })) {
  text += line;
  if (line.startsWith('}')) break;
}
const { url } = JSON.parse(text);
const exited = new Promise((r) => server.once('exit', r));

// The library, in this process, on the same project (as the analyst role the token has).
const ctx = await openContext({ project, as: 'analyst', quiet: true });
const { lake, principal } = ctx;

const QUERIES = [
  ['count', 'SELECT count(*) AS n FROM clean.items', 1],
  ['100 rows', 'SELECT * FROM clean.items WHERE id <= 100', 100],
  [`${ROWS.toLocaleString('en-US')} rows`, 'SELECT * FROM clean.items', ROWS],
];

async function viaHttp(sql) {
  const t0 = performance.now();
  const r = await fetch(`${url}/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
  if (r.status !== 200) throw new Error(`POST /v1/query: ${r.status} ${await r.text()}`);
  const rows = await r.json();
  return { ms: performance.now() - t0, rows: rows.length };
}
async function viaLibrary(sql, session) {
  const t0 = performance.now();
  const s = session ?? (await lake.session(principal, { forSql: sql }));
  try {
    const { rows } = await s.query(sql);
    return { ms: performance.now() - t0, rows: rows.length };
  } finally {
    if (!session) await s.close();
  }
}

log(`${ROWS.toLocaleString('en-US')} rows in clean.items; server at ${url}; ${REPEAT} runs per query after 3 warm-ups, ${GAP_MS} ms apart; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const results = {};
const open = await lake.session(principal);
for (const [name, sql, expected] of QUERIES) {
  const http = [];
  const lib = [];
  const libOpen = [];
  for (let i = 0; i < REPEAT + 3; i++) {
    // --gap-ms pauses before each of the three, so that each starts from an idle machine (processes asleep, caches cooler).
    const gap = () => (GAP_MS > 0 ? new Promise((r) => setTimeout(r, GAP_MS)) : undefined);
    const runs = [];
    for (const run of [() => viaHttp(sql), () => viaLibrary(sql), () => viaLibrary(sql, open)]) {
      await gap();
      runs.push(await run());
    }
    for (const r of runs) if (r.rows !== expected) throw new Error(`${name}: ${r.rows} rows, expected ${expected}`);
    if (i < 3) continue;
    http.push(runs[0].ms);
    lib.push(runs[1].ms);
    libOpen.push(runs[2].ms);
  }
  const [h, l, o] = [median(http), median(lib), median(libOpen)];
  results[name] = { httpMs: round(h), libraryMs: round(l), libraryOpenSessionMs: round(o), ratio: round(h / l), extraMs: round(h - l), ratioOpenSession: round(h / o), extraMsOpenSession: round(h - o) };
  log(
    `${name.padEnd(12)} HTTP ${h.toFixed(2)} ms · library ${l.toFixed(2)} ms (session opened per query) = ${(h / l).toFixed(2)}× (+${(h - l).toFixed(2)} ms) · ` +
      `on an open session ${o.toFixed(2)} ms = ${(h / o).toFixed(2)}× (+${(h - o).toFixed(2)} ms)`,
  );
}
await open.close();
await ctx.quality.drain?.();
await lake.close();
server.kill('SIGTERM');
await exited;
if (args.json) process.stdout.write(`${JSON.stringify({ rows: ROWS, repeat: REPEAT, gapMs: GAP_MS, results, loadAverage: loadavg() })}\n`);
cleanup();

function round(x) {
  return Math.round(x * 100) / 100;
}

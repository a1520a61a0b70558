#!/usr/bin/env node
// Collector durability under SIGKILL: many connections send Segment batches
// to `ade serve` while the server is killed at random moments and started
// again; at the end every event acknowledged with 200 must be in clean.web
// exactly once. Reports acknowledged, lost (must be 0), duplicated (must be
// 0) and indefinite (sent, never acknowledged: may or may not have landed).
//
//   npm run build && node bench/collector-durability.mjs [-- --events 100000 --kills 20 --connections 32 --batch 50 --json]
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { log, scratchCleanup } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    kills: { type: 'string', default: '20' },
    connections: { type: 'string', default: '32' },
    batch: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const TARGET = Number(args.events);
const KILLS = Number(args.kills);
const CONNECTIONS = Number(args.connections);
const BATCH = Number(args.batch);
/** Events per second: the kills come every 0.3–2 s (1.15 s on average). */
const RATE = TARGET / (KILLS * 1.15);

const BIN = new URL('../packages/ade/bin/ade.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ade-collector-durability-'));
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
appendFileSync(
  yaml,
  `
collector:
  flush_interval: 1s
sources:
  web:
    format: ndjson
    location: data/web/*.ndjson
    event_id: messageId
    event_time: timestamp
    undeclared: tokenize
`,
);
ade('--as', 'engineer', 'keys', 'create');
const writeKey = JSON.parse(ade('--json', '--as', 'admin', 'tokens', 'create', '--ingest', 'web', '--name', 'load')).token;
const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

let server;
let url;
async function start() {
  server = spawn(process.execPath, [BIN, '--json', 'serve', '--port', '0'], { cwd: project, env, stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  for await (const line of createInterface({ input: server.stdout })) {
    text += line;
    if (line.startsWith('}')) break;
  }
  url = JSON.parse(text).url;
}
const exited = (p) => new Promise((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', (code) => r(code))));

const acked = new Set();
const everSent = new Set();
let next = 0;
let requests = 0;
let failures = 0;
let done = false;
const started = performance.now();

async function sender() {
  let batch;
  while (!done) {
    if (!batch) {
      if (next >= TARGET) break;
      // Paced so that the load spans the kills: about TARGET events over the time KILLS kills take.
      const due = (performance.now() - started) / 1000 * RATE;
      if (next > due) {
        await new Promise((r) => setTimeout(r, Math.min(200, ((next - due) / RATE) * 1000)));
        continue;
      }
      batch = Array.from({ length: BATCH }, () => `m${next++}`);
    }
    const body = JSON.stringify({ batch: batch.map((id) => ({ type: 'track', messageId: id, userId: `u${id.length}`, event: 'Load Test', properties: { n: Number(id.slice(1)) } })) });
    for (const id of batch) everSent.add(id);
    requests++;
    try {
      const r = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body, signal: AbortSignal.timeout(10_000) });
      await r.arrayBuffer();
      if (r.status === 200) {
        for (const id of batch) acked.add(id);
        batch = undefined;
        continue;
      }
    } catch {
      // The server died under us: the batch is indefinite until a retry is acknowledged.
    }
    failures++;
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
  }
}

await start();
let kills = 0;
const killer = (async () => {
  while (kills < KILLS || acked.size < TARGET) {
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 1700));
    if (kills >= KILLS && acked.size >= TARGET) break;
    server.kill('SIGKILL');
    await exited(server);
    kills++;
    log(`kill ${kills}: ${acked.size.toLocaleString('en-US')} acknowledged so far`);
    await start();
  }
  done = true;
})();
await Promise.all([killer, ...Array.from({ length: CONNECTIONS }, () => sender())]);
done = true;
// A last clean stop flushes everything the buffer holds.
server.kill('SIGTERM');
const code = await exited(server);
const seconds = (performance.now() - started) / 1000;

const counts = new Map();
for (const r of JSON.parse(ade('--json', 'sql', 'SELECT message_id AS id, count(*) AS n FROM clean.web GROUP BY 1'))) counts.set(r.id, Number(r.n));
let lost = 0;
let duplicated = 0;
for (const id of acked) if (!counts.has(id)) lost++;
for (const n of counts.values()) if (n > 1) duplicated++;
const indefinite = [...everSent].filter((id) => !acked.has(id));
const result = {
  events: TARGET,
  acknowledged: acked.size,
  lost,
  duplicated,
  indefinite: indefinite.length,
  indefiniteLanded: indefinite.filter((id) => counts.has(id)).length,
  rowsInTable: [...counts.values()].reduce((a, b) => a + b, 0),
  kills,
  requests,
  failedRequests: failures,
  connections: CONNECTIONS,
  batch: BATCH,
  lastStopExitCode: code,
  seconds: Math.round(seconds * 10) / 10,
};
if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  log('');
  for (const [k, v] of Object.entries(result)) log(`${k.padEnd(18)} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`);
  log(lost === 0 && duplicated === 0 ? 'ok: every acknowledged event is in clean.web exactly once' : 'FAILED: acknowledged events were lost or duplicated');
}
cleanup();
process.exit(lost === 0 && duplicated === 0 ? 0 : 1);

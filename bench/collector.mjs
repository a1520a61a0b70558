#!/usr/bin/env node
// Collector throughput: `ade serve` (a child process) takes Segment /v1/batch
// requests of 50 track events (~300 bytes each, unique messageIds) from
// autocannon (100 connections, in this process) — first against the
// parse-only route (`POST /v1/_bench/batch`: authenticated, parsed and
// validated like /v1/batch, nothing appended; `--bench-endpoints`), then
// against /v1/batch, answered once the events are fsynced in the durable
// buffer. Prints durable events/s, latency p50/p99, errors, durable ÷
// parse-only, the buffer's backlog (bytes not yet flushed into clean.web,
// sampled during the run) and the server's CPU; then waits for the flusher,
// stops the server (SIGTERM flushes the rest) and checks that every
// acknowledged event is in clean.web exactly once.
//
//   npm run build && node bench/collector.mjs [-- --duration 20 --connections 100 --batch 50 --json --keep]
//   node bench/collector.mjs -- --duration 5 --warmup 1                     # quick
//   node bench/collector.mjs -- --server-flags=--cpu-prof,--cpu-prof-dir=/tmp/prof   # profile the server
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { log, scratchCleanup } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '100' },
    batch: { type: 'string', default: '50' },
    'flush-interval': { type: 'string' },
    'flush-size': { type: 'string' },
    'server-flags': { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const BATCH = Number(args.batch);

const BIN = new URL('../packages/ade/bin/ade.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ade-bench-collector-'));
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
const collectorYaml = [args['flush-interval'] && `  flush_interval: ${args['flush-interval']}`, args['flush-size'] && `  flush_size: ${args['flush-size']}`].filter(Boolean);
appendFileSync(
  yaml,
  `${collectorYaml.length ? `\ncollector:\n${collectorYaml.join('\n')}\n` : ''}
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

const serverFlags = args['server-flags'] ? args['server-flags'].split(',') : [];
const server = spawn(process.execPath, [...serverFlags, BIN, '--json', 'serve', '--port', '0', '--bench-endpoints'], { cwd: project, env, stdio: ['ignore', 'pipe', 'inherit'] });
let text = '';
for await (const line of createInterface({ input: server.stdout })) {
  text += line;
  if (line.startsWith('}')) break;
}
const { url, pid } = JSON.parse(text);
const exited = new Promise((r) => server.once('exit', (code) => r(code)));

/** CPU seconds (user + system) the server has used so far. */
const serverCpu = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const stats = async (reset = false) => (await fetch(`${url}/v1/_bench/stats${reset ? '?reset=1' : ''}`, { headers: { authorization: auth } })).json();

// One body per request, made as it is sent: 50 track events of ~300 bytes with messageIds `<request>-<i>`.
let nextRequest = 0;
const acked = new Uint8Array(1 << 24);
const eventJson = (r, i, ts) =>
  `{"type":"track","messageId":"${r}-${i}","userId":"user-${(r * 7 + i) % 10_000}","event":"Product Viewed","timestamp":"${ts}",` +
  `"properties":{"product_id":"sku-${(r + i * 13) % 5_000}","name":"Running shoe, blue","price":${(r % 100) + 0.99},"currency":"EUR","category":"footwear","position":${i}},` +
  `"context":{"locale":"en-GB","page":{"path":"/products/sku-${i}"}}}`;
const batchBody = (r) => {
  const ts = new Date().toISOString();
  const events = [];
  for (let i = 0; i < BATCH; i++) events.push(eventJson(r, i, ts));
  return `{"batch":[${events.join(',')}]}`;
};
log(`one event is ${Buffer.byteLength(eventJson(123456, 7, new Date().toISOString()))} bytes, a request ${Buffer.byteLength(batchBody(123456))} bytes`);

/** autocannon against `path` for `seconds`; 200s are recorded as acknowledged when `record`. */
async function load(path, seconds, record) {
  const statuses = {};
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', authorization: auth },
        setupRequest: (req, context) => {
          context.r = nextRequest++;
          return { ...req, body: batchBody(context.r) };
        },
        onResponse: (status, _body, context) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === 200 && record) acked[context.r] = 1;
        },
      },
    ],
  });
  return { result, statuses };
}

function summary(name, { result, statuses }, cpu) {
  const ok = result['2xx'];
  return {
    name,
    eventsPerSecond: Math.round((ok * BATCH) / result.duration),
    requestsPerSecond: Math.round(ok / result.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statuses,
    serverCpuSeconds: Math.round(cpu * 10) / 10,
    serverCpuShare: Math.round((cpu / result.duration) * 100) / 100,
  };
}

log(`server pid ${pid} at ${url}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
log(`warm-up: ${WARMUP} s parse-only, ${WARMUP} s durable`);
await load('/v1/_bench/batch', WARMUP, false);
await load('/v1/batch', WARMUP, true);

log(`parse-only: ${CONNECTIONS} connections, ${DURATION} s of POST /v1/_bench/batch`);
await stats(true);
let cpu0 = serverCpu();
const parseOnly = summary('parse-only', await load('/v1/_bench/batch', DURATION, false), serverCpu() - cpu0);
parseOnly.eventLoop = (await stats(true)).eventLoop;

log(`durable: ${CONNECTIONS} connections, ${DURATION} s of POST /v1/batch`);
const backlog = [];
const sampler = setInterval(() => {
  stats().then((s) => backlog.push(s.pendingBytes + s.queuedBytes), () => undefined);
}, 500);
cpu0 = serverCpu();
const durable = summary('durable', await load('/v1/batch', DURATION, true), serverCpu() - cpu0);
clearInterval(sampler);
const end = await stats();
durable.eventLoop = end.eventLoop;

// The flusher catches up (or gives up after 10 minutes), then a SIGTERM flushes what is left.
const drainStart = performance.now();
let left = end.pendingBytes + end.queuedBytes;
while (left > 0 && performance.now() - drainStart < 600_000) {
  await new Promise((r) => setTimeout(r, 500));
  const s = await stats();
  left = s.pendingBytes + s.queuedBytes;
}
const drainSeconds = (performance.now() - drainStart) / 1000;
server.kill('SIGTERM');
const code = await exited;

const landed = new Map();
for (const row of JSON.parse(ade('--json', 'sql', "SELECT split_part(message_id, '-', 1) AS r, count(*) AS n, count(DISTINCT message_id) AS ids FROM clean.web GROUP BY 1"))) {
  landed.set(Number(row.r), { n: Number(row.n), ids: Number(row.ids) });
}
let ackedEvents = 0;
let lost = 0;
let duplicated = 0;
for (let r = 0; r < nextRequest; r++) {
  const l = landed.get(r);
  if (l) duplicated += l.n - l.ids;
  if (!acked[r]) continue;
  ackedEvents += BATCH;
  lost += BATCH - (l?.ids ?? 0);
}

const result = {
  parseOnly,
  durable,
  durableOverParseOnly: Math.round((durable.eventsPerSecond / parseOnly.eventsPerSecond) * 100) / 100,
  backlogBytes: { max: Math.max(0, ...backlog), atEnd: end.pendingBytes + end.queuedBytes, samples: backlog.length },
  buffer: { fsyncs: end.fsyncs, appends: end.appends, eventsPerFsync: Math.round((end.events ?? end.records) / Math.max(1, end.fsyncs)) },
  drainSeconds: Math.round(drainSeconds * 10) / 10,
  ackedEvents,
  lost,
  duplicated,
  rowsInTable: [...landed.values()].reduce((a, b) => a + b.n, 0),
  lastStopExitCode: code,
  connections: CONNECTIONS,
  batch: BATCH,
  seconds: DURATION,
  loadAverage: loadavg().map((x) => Math.round(x * 10) / 10),
};
const ok = lost === 0 && duplicated === 0 && code === 0;
if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  const fmt = (n) => n.toLocaleString('en-US');
  log('');
  for (const s of [parseOnly, durable]) {
    log(
      `${s.name.padEnd(11)} ${fmt(s.eventsPerSecond).padStart(9)} events/s (${fmt(s.requestsPerSecond)} requests/s)  p50 ${s.p50Ms} ms  p99 ${s.p99Ms} ms  max ${s.maxMs} ms  ` +
        `errors ${s.errors}  timeouts ${s.timeouts}  non-2xx ${s.non2xx} ${JSON.stringify(s.statuses)}  server CPU ${s.serverCpuShare} cores`,
    );
  }
  const loopText = (l) => (l ? `p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms, max ${l.maxMs.toFixed(1)} ms` : 'n/a');
  log(`event-loop delay       parse-only ${loopText(parseOnly.eventLoop)}; durable ${loopText(durable.eventLoop)}`);
  log(`durable ÷ parse-only   ${result.durableOverParseOnly}×   (targets: ≥ 0.8×, ≥ 150,000 events/s, p99 ≤ 50 ms)`);
  log(`backlog (not flushed)  max ${fmt(result.backlogBytes.max)} bytes, ${fmt(result.backlogBytes.atEnd)} at the end; drained in ${result.drainSeconds} s after the load`);
  log(`group commit           ${fmt(end.fsyncs)} fsyncs for ${fmt(end.appends)} requests (${result.buffer.eventsPerFsync} events per fsync)`);
  log(`acknowledged           ${fmt(ackedEvents)} events; lost ${lost}, duplicated ${duplicated}; ${fmt(result.rowsInTable)} rows in clean.web`);
  log(`load average           ${result.loadAverage.join(' ')} (2 cores shared by server, load generator and anything else running)`);
  log(ok ? 'ok: every acknowledged event is in clean.web exactly once' : 'FAILED: acknowledged events were lost or duplicated, or the server did not stop cleanly');
}
cleanup();
process.exit(ok ? 0 : 1);

#!/usr/bin/env node
// ade experiments benchmark: what an experiment analysis costs against one
// plain scan of its exposures. In a scratch lake (removed at the end unless
// --keep), DuckDB generates with range():
//
//   clean.exposures  --users × --per-user rows (default 1M users × 10 = 10M):
//                    experiment, user_id (VARCHAR), variant (control or
//                    treatment, 50/50 by a hash of the user), ts — each user's
//                    exposures every ~3 days from a first one in the first 2 weeks;
//   clean.orders     --orders per user on average (default 1: 1M rows) over the
//                    month before and the month of the experiment: user_id,
//                    amount, refunded, ts (treatment users order a little more);
//   clean.sessions   --sessions per user on average (default 3: 3M rows): user_id, ts.
//
// and times, in the same run and the same engine (the lake's, --threads and
// --memory), runs alternating:
//
//   (1) analyzeExperiment with 3 metrics (purchased: binomial in 14 days;
//       revenue: mean with a 14-day CUPED covariate; sessions: mean);
//   (2) analyzeExperiment with 10 metrics (those, plus a ratio, a p90 quantile,
//       orders, a binomial on big orders, 7-day revenue and sessions, refunds);
//   (3) the baseline: one `SELECT user_id, count(*) FROM clean.exposures GROUP BY
//       user_id` through a session of the same lake — (a) wrapped in a count so
//       that the engine does the whole GROUP BY and returns one row (the ratios'
//       baseline), (b) its rows written by `session.writeTo` to a null
//       sink, and (c) every table the analysis reads (exposures, orders,
//       sessions), each with a plain GROUP BY user_id in one query: the floor
//       no analysis can go under (both printed too).
//
// Each figure includes opening and closing its session; the analyses include
// storing their result in the catalog. Medians of --repeat (default 3), of
// wall time and of the process's CPU time (steadier on a busy machine).
// Targets (issue 7): (1) ≤ 1.2× and (2) ≤ 1.5× of (3a).
//
//   npm run build -w packages/ade && npm run bench:experiments [-- --quick] [-- --users 1000000 --repeat 3 --threads 2 --json]
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Lake } from '../packages/ade/dist/lake/index.js';
import { DEFAULT_ENGINE_CONFIG } from '../packages/ade/dist/engine/index.js';
import { analyzeExperiment } from '../packages/ade/dist/experiments/analyze-experiment.js';
import { median, log, scratchCleanup } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string' },
    'per-user': { type: 'string', default: '10' },
    orders: { type: 'string', default: '1' },
    sessions: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    memory: { type: 'string', default: DEFAULT_ENGINE_CONFIG.memoryLimit },
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const USERS = Number(args.users ?? (args.quick ? 100_000 : 1_000_000));
const PER_USER = Number(args['per-user']);
const REPEAT = Number(args.repeat);
const THREADS = Number(args.threads);
for (const [k, v] of Object.entries({ users: USERS, 'per-user': PER_USER, repeat: REPEAT, threads: THREADS })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive whole number`);
}
const ORDERS = Math.round(USERS * Number(args.orders));
const SESSIONS = Math.round(USERS * Number(args.sessions));
const EXPOSURES = USERS * PER_USER;

const dir = mkdtempSync(join(tmpdir(), 'ade-bench-experiments-'));
const cleanup = scratchCleanup(dir, args.keep);
const engineer = { name: 'bench', role: 'engineer' };
const analyst = { name: 'bench-analyst', role: 'analyst' };
const AS_OF = new Date('2026-11-01T00:00:00Z');
const DAY = 86_400_000;
const table = (name) => ({ zone: 'clean', name });

/** A uniform in [0, 1) from integer `expr` and a salt. */
const u = (expr, salt) => `(CAST(hash(${expr}, ${salt}) % 1000000 AS DOUBLE) / 1000000)`;
const variantOf = (user) => `CASE WHEN hash(${user}, 1) % 2 = 0 THEN 'control' ELSE 'treatment' END`;

const EXPOSURES_SQL = `
  SELECT 'bench' AS experiment, 'u' || CAST(i % ${USERS} AS VARCHAR) AS user_id, ${variantOf(`i % ${USERS}`)} AS variant,
         TIMESTAMP '2026-10-01' + to_microseconds(CAST((${u(`i % ${USERS}`, 2)} * 14 + (i // ${USERS}) * 3 + ${u('i', 3)} * 2) * ${DAY * 1000} AS BIGINT)) AS ts
    FROM range(${EXPOSURES}) AS t(i)`;
// Orders over September (before exposure: CUPED's covariate) and October; treatment users order ~5% more.
const ORDERS_SQL = `
  SELECT user_id, round(10 + 150 * ${u('j', 6)} * ${u('j', 7)}, 2) AS amount, ${u('j', 8)} < 0.04 AS refunded,
         TIMESTAMP '2026-09-01' + to_microseconds(CAST(${u('j', 9)} * 61 * ${DAY * 1000} AS BIGINT)) AS ts
    FROM (SELECT j, hash(j, 5) % ${USERS} AS uid, 'u' || CAST(uid AS VARCHAR) AS user_id FROM range(${Math.round(ORDERS * 1.05)}) AS t(j))
   WHERE ${variantOf('uid')} = 'treatment' OR ${u('j', 10)} < 1 / 1.05`;
const SESSIONS_SQL = `
  SELECT 'u' || CAST(hash(k, 11) % ${USERS} AS VARCHAR) AS user_id,
         TIMESTAMP '2026-09-01' + to_microseconds(CAST(${u('k', 12)} * 61 * ${DAY * 1000} AS BIGINT)) AS ts
    FROM range(${SESSIONS}) AS t(k)`;

const src = (name, value = '1', where) => ({ table: table(name), unit: 'user_id', time: 'ts', value, ...(where ? { where } : {}) });
const METRICS = [
  { name: 'purchased', type: 'binomial', source: src('orders'), windowMs: 14 * DAY, higherIsBetter: true },
  { name: 'revenue', type: 'mean', source: src('orders', 'amount'), covariateMs: 14 * DAY, higherIsBetter: true },
  { name: 'sessions', type: 'mean', source: src('sessions'), higherIsBetter: true },
  { name: 'revenue_per_session', type: 'ratio', numerator: src('orders', 'amount'), denominator: src('sessions'), higherIsBetter: true },
  { name: 'p90_revenue', type: 'quantile', quantile: 0.9, source: src('orders', 'amount'), higherIsBetter: true },
  { name: 'orders', type: 'mean', source: src('orders'), higherIsBetter: true },
  { name: 'big_order', type: 'binomial', source: src('orders', '1', 'amount > 100'), higherIsBetter: true },
  { name: 'revenue_7d', type: 'mean', source: src('orders', 'amount'), windowMs: 7 * DAY, higherIsBetter: true },
  { name: 'sessions_7d', type: 'mean', source: src('sessions'), windowMs: 7 * DAY, higherIsBetter: true },
  { name: 'refunded', type: 'binomial', source: src('orders', '1', 'refunded'), higherIsBetter: false },
];
const experiment = (metrics) => ({
  key: 'bench',
  status: 'running',
  variants: [
    { name: 'control', weight: 1 },
    { name: 'treatment', weight: 1 },
  ],
  coverage: 1,
  seed: 'bench',
  targeting: {},
  exposures: { table: table('exposures'), unit: 'user_id', variant: 'variant', time: 'ts', key: 'experiment' },
  metrics: { primary: [metrics[0]], secondary: metrics.slice(1), guardrails: [] },
  alpha: 0.05,
});
const THREE = experiment(METRICS.slice(0, 3).map((m) => m.name));
const TEN = experiment(METRICS.map((m) => m.name));

/** Wall seconds, the result, and CPU seconds of this process (user + system: DuckDB's threads run in it, ade's and the baseline's alike). */
async function seconds(fn) {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const r = await fn();
  const used = process.cpuUsage(cpu);
  return [(performance.now() - t) / 1000, r, (used.user + used.system) / 1e6];
}

const BASELINE_SQL = 'SELECT user_id, count(*) AS exposures FROM clean.exposures GROUP BY user_id';
/** (3a): the GROUP BY, whole, in the engine; one row back. */
async function baselineEngine(lake) {
  const session = await lake.session(analyst, { forSql: 'clean.exposures' });
  try {
    const { rows } = await session.query(`SELECT count(*) AS users, sum(exposures) AS exposures FROM (${BASELINE_SQL})`);
    return { users: Number(rows[0].users), exposures: Number(rows[0].exposures) };
  } finally {
    await session.close();
  }
}
/**
 * (3c): the floor — every table the analysis must read, each scanned with a
 * plain `GROUP BY user_id` in one query (exposures, orders, sessions). No
 * analysis can read less; it is printed beside the issue's baseline.
 */
async function baselineAllTables(lake) {
  const session = await lake.session(analyst, { forSql: 'clean.exposures clean.orders clean.sessions' });
  try {
    const per = (t) => `(SELECT count(*) AS users FROM (SELECT user_id, count(*) FROM clean.${t} GROUP BY user_id))`;
    const { rows } = await session.query(`SELECT ${['exposures', 'orders', 'sessions'].map((t) => `${per(t)} AS ${t}`).join(', ')}`);
    return Number(rows[0].exposures);
  } finally {
    await session.close();
  }
}
/** (3b): the GROUP BY's rows, encoded as CSV into a sink that drops them. */
async function baselineRows(lake) {
  const session = await lake.session(analyst, { forSql: 'clean.exposures' });
  try {
    const sink = new Writable({ write: (_chunk, _enc, done) => done() });
    return (await session.writeTo(BASELINE_SQL, 'csv', sink)).rowCount;
  } finally {
    await session.close();
  }
}

let lake;
let report;
try {
  lake = await Lake.open({
    storage: { kind: 'local', root: join(dir, 'lake') },
    catalog: { kind: 'sqlite', path: join(dir, 'catalog.db') },
    engine: { ...DEFAULT_ENGINE_CONFIG, threads: THREADS, memoryLimit: args.memory, queryTimeoutMs: 1_800_000, tempDir: join(dir, 'tmp') },
  });
  const [gen] = await seconds(async () => {
    await lake.writeSelect(engineer, { table: table('exposures'), mode: 'replace', sql: EXPOSURES_SQL });
    await lake.writeSelect(engineer, { table: table('orders'), mode: 'replace', sql: ORDERS_SQL });
    await lake.writeSelect(engineer, { table: table('sessions'), mode: 'replace', sql: SESSIONS_SQL });
  });
  const rowsOf = async (name) => (await lake.catalog.pin(table(name))).files.reduce((n, f) => n + f.rows, 0);
  const sizes = { exposures: await rowsOf('exposures'), orders: await rowsOf('orders'), sessions: await rowsOf('sessions') };
  log(`data: ${sizes.exposures.toLocaleString('en-US')} exposures of ${USERS.toLocaleString('en-US')} users, ${sizes.orders.toLocaleString('en-US')} orders, ${sizes.sessions.toLocaleString('en-US')} sessions (generated in ${gen.toFixed(1)} s; ${THREADS} threads, ${args.memory}, ${cpus().length} cores)`);

  const runs = { baseline: [], baselineRows: [], baselineAll: [], three: [], ten: [] };
  const cpu = { baseline: [], three: [], ten: [] };
  let three;
  let ten;
  for (let i = 0; i < REPEAT; i++) {
    const [b, scan, bCpu] = await seconds(() => baselineEngine(lake));
    if (scan.users !== USERS || scan.exposures !== EXPOSURES) throw new Error(`the baseline saw ${scan.users} users and ${scan.exposures} exposures`);
    const [r3, a3, r3Cpu] = await seconds(() => analyzeExperiment(lake, analyst, THREE, METRICS, { asOf: AS_OF }));
    const [br, rowCount] = await seconds(() => baselineRows(lake));
    if (rowCount !== USERS) throw new Error(`the baseline wrote ${rowCount} rows`);
    const [ba, allUsers] = await seconds(() => baselineAllTables(lake));
    if (allUsers !== USERS) throw new Error(`the all-tables baseline saw ${allUsers} users`);
    const [r10, a10, r10Cpu] = await seconds(() => analyzeExperiment(lake, analyst, TEN, METRICS, { asOf: AS_OF }));
    for (const a of [a3, a10]) {
      const failed = a.metrics.find((m) => m.error);
      if (failed) throw new Error(`${failed.metric}: ${failed.error.message}`);
      const units = a.units.reduce((n, x) => n + x.units, 0);
      if (units !== USERS) throw new Error(`the analysis found ${units} units`);
    }
    runs.baseline.push(b);
    runs.baselineRows.push(br);
    runs.baselineAll.push(ba);
    runs.three.push(r3);
    runs.ten.push(r10);
    cpu.baseline.push(bCpu);
    cpu.three.push(r3Cpu);
    cpu.ten.push(r10Cpu);
    [three, ten] = [a3, a10];
    log(`run ${i + 1}/${REPEAT}: GROUP BY ${b.toFixed(2)} s (rows out ${br.toFixed(2)} s, all tables ${ba.toFixed(2)} s), 3 metrics ${r3.toFixed(2)} s, 10 metrics ${r10.toFixed(2)} s; CPU ${bCpu.toFixed(2)}, ${r3Cpu.toFixed(2)}, ${r10Cpu.toFixed(2)} s (load ${loadavg()[0].toFixed(1)})`);
  }
  const m = Object.fromEntries(Object.entries(runs).map(([k, xs]) => [k, median(xs)]));
  const mc = Object.fromEntries(Object.entries(cpu).map(([k, xs]) => [k, median(xs)]));
  const purchased = three.metrics[0].comparisons[0];
  report = {
    users: USERS,
    exposures: sizes.exposures,
    orders: sizes.orders,
    sessions: sizes.sessions,
    threads: THREADS,
    memory: args.memory,
    repeat: REPEAT,
    seconds: m,
    cpuSeconds: mc,
    ratios: {
      threeMetrics: m.three / m.baseline,
      tenMetrics: m.ten / m.baseline,
      threeMetricsVsRowsOut: m.three / m.baselineRows,
      tenMetricsVsRowsOut: m.ten / m.baselineRows,
      threeMetricsVsAllTables: m.three / m.baselineAll,
      tenMetricsVsAllTables: m.ten / m.baselineAll,
      threeMetricsCpu: mc.three / mc.baseline,
      tenMetricsCpu: mc.ten / mc.baseline,
    },
    targets: { threeMetrics: 1.2, tenMetrics: 1.5 },
    sanity: { srmPValue: three.srm?.pValue, purchasedLift: purchased.frequentist.relative?.estimate, tenMetricsAnalysed: ten.metrics.length },
  };
  const r = report.ratios;
  const mark = (x, target) => `${x.toFixed(2)}× ${x <= target ? '(target met)' : `(target ≤ ${target}× missed)`}`;
  log('');
  log(`baseline (3a) GROUP BY user_id, in the engine:  ${m.baseline.toFixed(2)} s`);
  log(`baseline (3b) the same, rows to a null sink:    ${m.baselineRows.toFixed(2)} s`);
  log(`baseline (3c) every table read, GROUP BY user: ${m.baselineAll.toFixed(2)} s (the floor for any analysis)`);
  log(`(1) 3-metric analysis:  ${m.three.toFixed(2)} s = ${mark(r.threeMetrics, 1.2)} of (3a); ${r.threeMetricsVsRowsOut.toFixed(2)}× of (3b); ${r.threeMetricsVsAllTables.toFixed(2)}× of (3c)`);
  log(`(2) 10-metric analysis: ${m.ten.toFixed(2)} s = ${mark(r.tenMetrics, 1.5)} of (3a); ${r.tenMetricsVsRowsOut.toFixed(2)}× of (3b); ${r.tenMetricsVsAllTables.toFixed(2)}× of (3c)`);
  log(`CPU seconds: GROUP BY ${mc.baseline.toFixed(2)}, 3 metrics ${mc.three.toFixed(2)} (${r.threeMetricsCpu.toFixed(2)}×), 10 metrics ${mc.ten.toFixed(2)} (${r.tenMetricsCpu.toFixed(2)}×)`);
  log(`sanity: SRM p ${report.sanity.srmPValue?.toFixed(3)}, purchased lift ${(report.sanity.purchasedLift * 100).toFixed(1)}%`);
  if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await lake?.close();
  cleanup();
}

#!/usr/bin/env node
// ade data-quality benchmark: what checks (write-audit-publish) and profiles
// cost. Every figure is a ratio against a baseline measured in the same run,
// on the same machine and the same Parquet input, with the same DuckDB
// thread count and memory limit:
//
//   1. write-audit-publish: `lake.writeSelect` appending N rows read from a
//      Parquet file into a fresh table clean.orders,
//        (a) baseline: no QualityService installed;
//        (b) ade: a QualityService with 9 typical checks (parsed by
//            parseChecksSection as from ade.yaml): not_null on 3 columns,
//            unique(order_id), accepted_values(status), range(amount ≥ 0),
//            regex(status), row_count ≥ 1, anomaly(rows by day, weekday
//            seasonality, window 10, sensitivity 3).
//      ratio (b)/(a) end to end (target ≤ 1.5×); the audit itself (the
//      write gate's time, measured by wrapping it) against (a).
//      Incremental: the table holds N rows, a ~1% batch (the next days of
//      orders) is appended: the audit against that batch's write. Row checks
//      scan the added rows only; unique and anomaly scan the whole table.
//   2. profile: profileTable (what a commit runs in the background) of the
//      N-row table vs DuckDB's own SUMMARIZE of the same Parquet files on a
//      raw connection (target ≤ 2×); the number of scans ade took.
//   3. day profiles: profileDays of a snapshot written as 365 day partitions
//      (lake.writeParts, one part per day) vs profileTable of the same snapshot.
//
// Runs alternate (baseline, ade, …) and medians of --repeat are compared. A
// per-check breakdown (runChecks with one check, or the row checks together,
// on the same target) shows where the audit's time goes.
//
//   npm run build && npm run bench:quality [-- --rows 5000000 --repeat 3 --threads 2 --json]
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { Lake } from '../packages/ade/dist/lake/index.js';
import { DEFAULT_ENGINE_CONFIG } from '../packages/ade/dist/engine/index.js';
import { parseChecksSection } from '../packages/ade/dist/quality/parse-checks.js';
import { profileDays, profileTable } from '../packages/ade/dist/quality/profile-table.js';
import { QualityService } from '../packages/ade/dist/quality/quality-service.js';
import { QUALITY_PRINCIPAL, runChecks } from '../packages/ade/dist/quality/run-checks.js';
import { median, log, scratchCleanup } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '5000000' },
    repeat: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    memory: { type: 'string', default: DEFAULT_ENGINE_CONFIG.memoryLimit },
    increment: { type: 'string', default: '0.01' },
    data: { type: 'string', default: join(tmpdir(), 'ade-bench-data') },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);
const REPEAT = Number(args.repeat);
const THREADS = Number(args.threads);
const MEMORY = args.memory;
/** The incremental batch is whole days of orders at the table's daily rate (so the anomaly check sees a normal day): ~--increment of the rows. */
const DAYS = 365;
const INC_DAYS = Math.max(1, Math.round(DAYS * Number(args.increment)));
const INC_ROWS = Math.round((ROWS * INC_DAYS) / DAYS);
for (const [k, v] of Object.entries({ rows: ROWS, repeat: REPEAT, threads: THREADS, increment: INC_ROWS })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive whole number`);
}
const CUSTOMERS = Math.max(1, Math.round(ROWS / 20));
const STATUSES = ['placed', 'paid', 'shipped', 'delivered'];
const START = '2025-01-01';

const dir = mkdtempSync(join(tmpdir(), 'ade-bench-quality-'));
mkdirSync(args.data, { recursive: true });
const cleanup = scratchCleanup(dir, args.keep);

const engineer = { name: 'bench', role: 'engineer' };
const ORDERS = { zone: 'clean', name: 'orders' };
const BY_DAY = { zone: 'clean', name: 'orders_by_day' };
/** Wall seconds, the result, and CPU seconds of this process (user + system: DuckDB's threads run in it, so the baselines' and ade's alike). */
async function time(fn) {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const r = await fn();
  const s = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  return [s, r, (used.user + used.system) / 1e6];
}

/** The checks under test, as ade.yaml declares them. */
const CHECKS = parseChecksSection(
  {
    'clean.orders': [
      { not_null: ['order_id', 'customer_id', 'ordered_at'] },
      { unique: 'order_id' },
      { accepted_values: { column: 'status', values: STATUSES } },
      { range: { column: 'amount', min: 0 } },
      { regex: { column: 'status', pattern: '^[a-z_]+$' } },
      { row_count: { min: 1 } },
      { anomaly: { metric: 'rows', by: 'day', seasonality: 'weekday', window: 10, sensitivity: 3 } },
    ],
  },
  (path, message) => {
    throw new Error(`checks.${path.join('.')}: ${message}`);
  },
);
const ROW_KINDS = new Set(['not_null', 'accepted_values', 'range', 'regex', 'relationships']);

// ── data: generated once by DuckDB into --data (generation is not measured) ───
/**
 * Orders `from+1 … from+count` with ordered_at uniform over `days` days from
 * `START + firstDay`, written in time order (order ids increase with time, as
 * an order system assigns them); about 30% of notes are null.
 */
const ordersSql = (from, count, firstDay, days) => `
  WITH t AS (
    SELECT range AS i,
           TIMESTAMP '${START}' + INTERVAL ${firstDay} DAY
             + to_microseconds(CAST(hash(range, 11) % ${days * 86_400_000_000} AS BIGINT)) AS ordered_at
    FROM range(${from}, ${from + count}))
  SELECT CAST(${from} + row_number() OVER (ORDER BY ordered_at, i) AS BIGINT) AS order_id,
         CAST(hash(i, 12) % ${CUSTOMERS} AS BIGINT) AS customer_id,
         CAST(hash(i, 13) % 100000 AS DOUBLE) / 100 AS amount,
         ${JSON.stringify(STATUSES).replaceAll('"', "'")}[CAST(hash(i, 14) % ${STATUSES.length} AS INTEGER) + 1] AS status,
         ordered_at,
         CASE WHEN hash(i, 15) % 10 < 3 THEN NULL
              ELSE ['leave at the door', 'gift, no invoice', 'call on arrival', 'fragile', 'second floor'][CAST(hash(i, 16) % 5 AS INTEGER) + 1]
                   || ' #' || CAST(hash(i, 17) % 1000 AS VARCHAR) END AS note
  FROM t
  ORDER BY ordered_at`;

async function rawConnection() {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(THREADS), memory_limit: MEMORY, temp_directory: join(dir, 'duckdb-tmp') });
  return { instance, c: await instance.connect() };
}

async function generate(path, sql) {
  if (existsSync(path)) return;
  const { instance, c } = await rawConnection();
  try {
    await c.run(`COPY (${sql}) TO '${path}.tmp' (FORMAT parquet, COMPRESSION zstd)`);
    renameSync(`${path}.tmp`, path);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

const input = join(args.data, `quality-orders-${ROWS}.parquet`);
/** Increment j: the INC_DAYS days after the table's (and after increment j-1's). */
const increments = Array.from({ length: REPEAT }, (_, j) => join(args.data, `quality-orders-${ROWS}-inc-${INC_DAYS}d-${j}.parquet`));

// ── lakes: one per measured state, under a temp dir ─────────────────────────
const lakes = [];
async function openLake(name) {
  const root = join(dir, name);
  const lake = await Lake.open({
    storage: { kind: 'local', root: join(root, 'lake') },
    catalog: { kind: 'sqlite', path: join(root, 'catalog.db') },
    engine: { ...DEFAULT_ENGINE_CONFIG, threads: THREADS, memoryLimit: MEMORY, queryTimeoutMs: 600_000, tempDir: join(root, 'tmp') },
  });
  lakes.push(lake);
  return { lake, root };
}
async function dropLake({ lake, root }) {
  await lake.close();
  lakes.splice(lakes.indexOf(lake), 1);
  rmSync(root, { recursive: true, force: true });
}

/**
 * Installs a QualityService with the checks, its write gate wrapped so that
 * the audit (runChecks on the staged write) and the settle (recording results
 * and alerts) are timed. Nothing else changes.
 */
function installQuality(lake) {
  const timings = {};
  const setWriteGate = lake.setWriteGate.bind(lake);
  lake.setWriteGate = (gate) =>
    setWriteGate(
      gate && {
        audit: async (w) => {
          const t = performance.now();
          const verdict = await gate.audit(w);
          timings.audit = (performance.now() - t) / 1000;
          if (!verdict) return verdict;
          return {
            ...verdict,
            settle: async (outcome) => {
              const s = performance.now();
              try {
                await verdict.settle(outcome);
              } finally {
                timings.settle = (performance.now() - s) / 1000;
              }
            },
          };
        },
      },
    );
  const quality = new QualityService(lake, {
    project: 'bench',
    checks: CHECKS,
    timeColumns: new Map([['clean.orders', 'ordered_at']]),
    sinks: [],
    profileOnCommit: false,
  }).install();
  return { quality, timings };
}

const appendSql = (file) => ({ table: ORDERS, mode: 'append', sql: `SELECT * FROM read_parquet('${file}')`, readPaths: [file] });

async function write(lake, file, expected) {
  const [s, w, cpu] = await time(() => lake.writeSelect(engineer, appendSql(file)));
  if (w.rows !== expected) throw new Error(`wrote ${w.rows} rows, expected ${expected}`);
  return { s, w, cpu };
}

/** The statuses of the last audit's results, e.g. "9 pass" or "8 pass, anomaly(rows by day): fail (…)". */
function statuses(results) {
  const pass = results.filter((r) => r.status === 'pass').length;
  const other = results.filter((r) => r.status !== 'pass').map((r) => `${r.check}: ${r.status} (${r.message})`);
  return [`${pass} pass`, ...other].join('; ');
}

/** The audit's target as QualityService builds it, for the last write to `lake`'s orders (added = that batch). */
async function checkTarget(lake, batchId) {
  const pinned = await lake.catalog.pin(ORDERS);
  const local = (fs) => Promise.all(fs.map((f) => lake.store.localPath(f.path)));
  const added = pinned.files.filter((f) => f.batchId === batchId);
  return {
    table: ORDERS,
    columns: pinned.schema.columns.map((c) => ({ name: c.name, type: c.type })),
    files: await local(pinned.files),
    addedFiles: await local(added),
    rows: pinned.files.reduce((s, f) => s + f.rows, 0),
    addedRows: added.reduce((s, f) => s + f.rows, 0),
    timeColumn: 'ordered_at',
  };
}

/** Each check alone (and the row checks together, as the audit runs them) on the same target: median seconds of runChecks. */
async function breakdown(lake, target) {
  const groups = [
    ['all 9 checks (as the audit runs them)', CHECKS],
    [`${CHECKS.filter((d) => ROW_KINDS.has(d.spec.kind)).length} row checks together (one scan)`, CHECKS.filter((d) => ROW_KINDS.has(d.spec.kind))],
    ...CHECKS.map((d) => [d.name, [d]]),
  ];
  const out = [];
  for (const [name, defs] of groups) {
    const xs = [];
    for (let i = 0; i < REPEAT; i++) {
      const [s, outcomes] = await time(() => runChecks(lake, defs, target, { now: new Date() }));
      const bad = outcomes.find((o) => o.status === 'error');
      if (bad) throw new Error(`${bad.def.name}: ${bad.message}`);
      xs.push(s);
    }
    out.push({ name, seconds: median(xs) });
  }
  return out;
}

const localFiles = async (lake, ref) => Promise.all((await lake.catalog.pin(ref)).files.map((f) => lake.store.localPath(f.path)));
const bytesOf = (files) => files.reduce((s, f) => s + statSync(f).size, 0);

let report;
try {
  // ── inputs ──────────────────────────────────────────────────────────────────
  {
    const [s] = await time(async () => {
      await generate(input, ordersSql(0, ROWS, 0, DAYS));
      for (const [j, file] of increments.entries()) await generate(file, ordersSql(ROWS + j * INC_ROWS, INC_ROWS, DAYS + j * INC_DAYS, INC_DAYS));
    });
    log(`inputs: ${ROWS.toLocaleString('en-US')} orders over ${DAYS} days (${(statSync(input).size / 2 ** 20).toFixed(0)} MiB Parquet) + ${REPEAT} increment(s) of ${INC_ROWS.toLocaleString('en-US')} (${INC_DAYS} days) in ${args.data} (${s.toFixed(1)} s)`);
  }

  // ── 1. write-audit-publish, first batch ───────────────────────────────────
  const first = { plain: [], checked: [], audit: [], settle: [], plainCpu: [], checkedCpu: [] };
  let plain;
  let checked;
  let quality;
  let checkedTimings;
  let firstBatchId;
  for (let i = 0; i < REPEAT; i++) {
    const last = i === REPEAT - 1;
    const runPlain = async () => {
      const l = await openLake(`plain-${i}`);
      const { s, cpu } = await write(l.lake, input, ROWS);
      first.plain.push(s);
      first.plainCpu.push(cpu);
      if (last) plain = l;
      else await dropLake(l);
      return s;
    };
    const runChecked = async () => {
      const l = await openLake(`checked-${i}`);
      const q = installQuality(l.lake);
      const { s, w, cpu } = await write(l.lake, input, ROWS);
      first.checked.push(s);
      first.checkedCpu.push(cpu);
      first.audit.push(q.timings.audit);
      first.settle.push(q.timings.settle);
      if (last) {
        checked = l;
        quality = q.quality;
        checkedTimings = q.timings;
        firstBatchId = w.batchId;
      } else await dropLake(l);
      return s;
    };
    // Alternate which goes first, so drift (page cache, neighbours) hits both alike.
    const [a, b] = i % 2 === 0 ? [await runPlain(), await runChecked()] : [null, await runChecked()];
    const plainS = a ?? (await runPlain());
    log(`first batch ${i + 1}/${REPEAT}: no checks ${plainS.toFixed(2)} s, with checks ${b.toFixed(2)} s (audit ${first.audit.at(-1).toFixed(2)} s, record ${first.settle.at(-1).toFixed(3)} s)`);
  }
  const firstStatuses = statuses(quality.auditedResults.slice(-CHECKS.length));
  log(`  checks: ${firstStatuses}`);
  const inputFiles = await localFiles(checked.lake, ORDERS);
  log(`  clean.orders: ${inputFiles.length} file(s), ${(bytesOf(inputFiles) / 2 ** 20).toFixed(0)} MiB`);

  log('breakdown of the first-batch audit by check …');
  const firstBreakdown = await breakdown(checked.lake, await checkTarget(checked.lake, firstBatchId));

  // ── 2. profile vs SUMMARIZE on the N-row table ───────────────────────────
  const tableFiles = await localFiles(plain.lake, ORDERS);
  const columns = (await plain.lake.catalog.pin(ORDERS)).schema.columns.map((c) => `"${c.name}"`).join(', ');
  const summarizeSql = `SUMMARIZE SELECT ${columns} FROM read_parquet([${tableFiles.map((f) => `'${f}'`).join(', ')}])`;
  const prof = { summarize: [], profile: [], summarizeCpu: [], profileCpu: [] };
  let lastProfile;
  {
    const { instance, c } = await rawConnection();
    try {
      for (let i = 0; i < REPEAT; i++) {
        const [b, , bCpu] = await time(() => c.runAndReadAll(summarizeSql));
        const [a, p, aCpu] = await time(() => profileTable(plain.lake, QUALITY_PRINCIPAL, ORDERS));
        if (p.rows !== ROWS) throw new Error(`profile saw ${p.rows} rows, expected ${ROWS}`);
        prof.summarize.push(b);
        prof.profile.push(a);
        prof.summarizeCpu.push(bCpu);
        prof.profileCpu.push(aCpu);
        lastProfile = p;
        log(`profile ${i + 1}/${REPEAT}: SUMMARIZE ${b.toFixed(2)} s, profileTable ${a.toFixed(2)} s (${p.scans} scans)`);
      }
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  }
  const topColumns = lastProfile.columns.filter((c) => c.top).map((c) => c.name);

  // ── 3. day profiles: 365 day partitions ──────────────────────────────────
  log(`writing ${DAYS} day partitions (lake.writeParts, one part per day) …`);
  const days = Array.from({ length: DAYS }, (_, d) => new Date(Date.parse(`${START}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10));
  const batchId = randomUUID();
  const [partsS, parts] = await time(() =>
    plain.lake.writeParts(engineer, {
      table: BY_DAY,
      mode: 'replace',
      batchId,
      filePrefix: batchId,
      parts: days.map((day) => ({
        sql: `SELECT * FROM read_parquet('${input}') WHERE ordered_at >= TIMESTAMP '${day}' AND ordered_at < TIMESTAMP '${day}' + INTERVAL 1 DAY`,
        tables: [],
        readPaths: [input],
        partition: day,
      })),
    }),
  );
  if (parts.rows !== ROWS) throw new Error(`day partitions hold ${parts.rows} rows, expected ${ROWS}`);
  log(`  ${parts.files} files in ${partsS.toFixed(1)} s`);
  const snapshotId = parts.snapshot.id;
  const dayProf = { table: [], days: [], tableCpu: [], daysCpu: [] };
  for (let i = 0; i < REPEAT; i++) {
    const [a, p, aCpu] = await time(() => profileTable(plain.lake, QUALITY_PRINCIPAL, BY_DAY, { snapshotId }));
    const [b, d, bCpu] = await time(() => profileDays(plain.lake, QUALITY_PRINCIPAL, BY_DAY, { snapshotId, days, timeColumn: 'ordered_at' }));
    if (p.rows !== ROWS || d.length !== DAYS) throw new Error(`profiles saw ${p.rows} rows and ${d.length} days`);
    dayProf.table.push(a);
    dayProf.days.push(b);
    dayProf.tableCpu.push(aCpu);
    dayProf.daysCpu.push(bCpu);
    log(`day profiles ${i + 1}/${REPEAT}: profileTable ${a.toFixed(2)} s, profileDays (${DAYS} days) ${b.toFixed(2)} s`);
  }

  // ── 1b. incremental: append ~1% to the N-row tables ──────────────────────
  const inc = { plain: [], checked: [], audit: [], settle: [], plainCpu: [], checkedCpu: [] };
  let incBatchId;
  for (let j = 0; j < REPEAT; j++) {
    const rows = ROWS + (j + 1) * INC_ROWS;
    const runPlain = async () => {
      const { s, cpu } = await write(plain.lake, increments[j], INC_ROWS);
      inc.plainCpu.push(cpu);
      return s;
    };
    const runChecked = async () => {
      const { s, w, cpu } = await write(checked.lake, increments[j], INC_ROWS);
      inc.checkedCpu.push(cpu);
      incBatchId = w.batchId;
      return s;
    };
    const [a, b] = j % 2 === 0 ? [await runPlain(), await runChecked()] : [null, await runChecked()];
    const plainS = a ?? (await runPlain());
    inc.plain.push(plainS);
    inc.checked.push(b);
    inc.audit.push(checkedTimings.audit);
    inc.settle.push(checkedTimings.settle);
    log(`increment ${j + 1}/${REPEAT} (+${INC_ROWS.toLocaleString('en-US')} rows onto ${(rows - INC_ROWS).toLocaleString('en-US')}): no checks ${plainS.toFixed(2)} s, with checks ${b.toFixed(2)} s (audit ${checkedTimings.audit.toFixed(2)} s, record ${checkedTimings.settle.toFixed(3)} s)`);
  }
  const incStatuses = statuses(quality.auditedResults.slice(-CHECKS.length));
  log(`  checks: ${incStatuses}`);
  log('breakdown of the incremental audit by check …');
  const incTarget = await checkTarget(checked.lake, incBatchId);
  const incBreakdown = await breakdown(checked.lake, incTarget);

  // ── report ───────────────────────────────────────────────────────────────
  const m = (xs) => median(xs);
  const pairedExtra = (x) => median(x.checked.map((c, i) => c - x.plain[i]));
  const f1 = { plain: m(first.plain), checked: m(first.checked), audit: m(first.audit), settle: m(first.settle), plainCpu: m(first.plainCpu), checkedCpu: m(first.checkedCpu) };
  const i1 = { plain: m(inc.plain), checked: m(inc.checked), audit: m(inc.audit), settle: m(inc.settle), plainCpu: m(inc.plainCpu), checkedCpu: m(inc.checkedCpu) };
  const p2 = { summarize: m(prof.summarize), profile: m(prof.profile), summarizeCpu: m(prof.summarizeCpu), profileCpu: m(prof.profileCpu) };
  const d3 = { table: m(dayProf.table), days: m(dayProf.days), tableCpu: m(dayProf.tableCpu), daysCpu: m(dayProf.daysCpu) };
  const verdict = (v, target) => (v <= target ? 'ok' : 'MISSED');
  const s2 = (v) => v.toFixed(2);
  const x2 = (v) => `${v.toFixed(2)}×`;
  const table = [
    ['', 'baseline s', 'ade s', 'ratio', 'CPU ratio', 'target (on wall time)'],
    [`first batch: append ${ROWS.toLocaleString('en-US')} rows (no checks | 9 checks), e2e`, s2(f1.plain), s2(f1.checked), x2(f1.checked / f1.plain), x2(f1.checkedCpu / f1.plainCpu), `≤ 1.5× ${verdict(f1.checked / f1.plain, 1.5)}`],
    ['  audit alone (the write gate)', '', s2(f1.audit), x2(f1.audit / f1.plain), '', `of the write without checks (e2e extra ${s2(pairedExtra(first))} s)`],
    [`incremental: append ${INC_ROWS.toLocaleString('en-US')} rows onto ${ROWS.toLocaleString('en-US')}+, e2e`, s2(i1.plain), s2(i1.checked), x2(i1.checked / i1.plain), x2(i1.checkedCpu / i1.plainCpu), '—'],
    ['  audit alone (the write gate)', '', s2(i1.audit), x2(i1.audit / i1.plain), '', `of the batch's write (e2e extra ${s2(pairedExtra(inc))} s; batch = ${(INC_ROWS / ROWS).toFixed(3)}× the table's rows)`],
    [`profile: SUMMARIZE | profileTable (${lastProfile.scans} scans)`, s2(p2.summarize), s2(p2.profile), x2(p2.profile / p2.summarize), x2(p2.profileCpu / p2.summarizeCpu), `≤ 2× ${verdict(p2.profile / p2.summarize, 2)}`],
    [`day profiles: profileTable | profileDays (${DAYS} days, ${parts.files} files)`, s2(d3.table), s2(d3.days), x2(d3.days / d3.table), x2(d3.daysCpu / d3.tableCpu), '—'],
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 || i === r.length - 1 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ').trimEnd();
  const bd = [['check (runChecks alone, session open included)', 'first batch s', 'incremental s']];
  for (const [k, b] of firstBreakdown.entries()) bd.push([b.name, s2(b.seconds), s2(incBreakdown[k].seconds)]);
  const bdWidths = bd[0].map((_, i) => Math.max(...bd.map((r) => String(r[i]).length)));
  const bdLine = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(bdWidths[i]) : String(c).padStart(bdWidths[i]))).join('  ').trimEnd();
  const load = loadavg()[0];
  const text = [
    `ade quality benchmark: ${ROWS.toLocaleString('en-US')} orders (6 columns, ${DAYS} days), ${THREADS} DuckDB threads, memory_limit ${MEMORY} (baseline the same); ${cpus().length} CPUs, load ${load.toFixed(1)}; median of ${REPEAT}`,
    ...table.map(line),
    `baseline: the same lake.writeSelect without a QualityService; DuckDB SUMMARIZE of the table's Parquet files on a raw connection; profileTable of the ${DAYS}-partition snapshot.`,
    `CPU ratio: this process's user+system seconds (DuckDB's threads included) during ade's operation / during the baseline's; steadier than wall time on a busy machine.`,
    `audit alone: the write gate's time (runChecks on the staged write); recording results and alerts took ${(f1.settle * 1000).toFixed(0)} ms (first) and ${(i1.settle * 1000).toFixed(0)} ms (incremental) more.`,
    `checks on the last audits: first batch ${firstStatuses}; incremental ${incStatuses}.`,
    `profile: ${lastProfile.scans} scans (1 for the statistics + top values of ${topColumns.join(', ') || 'no column'}); its own seconds ${lastProfile.seconds.toFixed(2)}.`,
    `day profiles: profileTable of the ${parts.files}-file snapshot took ${x2(d3.table / p2.profile)} the time of the same rows in ${tableFiles.length} file(s); writing the ${DAYS} parts took ${partsS.toFixed(1)} s (not measured against anything).`,
    '',
    ...bd.map(bdLine),
    `row checks read the added rows only (first batch: all ${ROWS.toLocaleString('en-US')}; incremental: ${incTarget.addedRows.toLocaleString('en-US')}); unique and anomaly read the whole table (${incTarget.rows.toLocaleString('en-US')} rows in the incremental case).`,
    `peak RSS of this process ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB.`,
    ...(load > cpus().length ? [`note: the load average (${load.toFixed(1)}) exceeds the CPU count; wall times are disturbed by other work.`] : []),
  ];
  report = {
    benchmark: 'quality',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
    config: { rows: ROWS, repeat: REPEAT, threads: THREADS, memoryLimit: MEMORY, incrementRows: INC_ROWS, incrementDays: INC_DAYS, checks: CHECKS.map((c) => c.name) },
    firstBatch: { ...f1, ratio: f1.checked / f1.plain, cpuRatio: f1.checkedCpu / f1.plainCpu, auditRatio: f1.audit / f1.plain, extra: pairedExtra(first), target: 1.5, statuses: firstStatuses, runs: first, breakdown: firstBreakdown },
    incremental: { ...i1, ratio: i1.checked / i1.plain, cpuRatio: i1.checkedCpu / i1.plainCpu, auditRatio: i1.audit / i1.plain, extra: pairedExtra(inc), tableRows: incTarget.rows, statuses: incStatuses, runs: inc, breakdown: incBreakdown },
    profile: { ...p2, ratio: p2.profile / p2.summarize, cpuRatio: p2.profileCpu / p2.summarizeCpu, target: 2, scans: lastProfile.scans, topValueColumns: topColumns, runs: prof },
    dayProfiles: { ...d3, ratio: d3.days / d3.table, cpuRatio: d3.daysCpu / d3.tableCpu, days: DAYS, files: parts.files, writePartsSeconds: partsS, runs: dayProf },
  };
  if (args.json) {
    process.stderr.write(`${text.join('\n')}\n`);
    console.log(JSON.stringify(report, null, 2));
  } else console.log(text.join('\n'));
} finally {
  for (const lake of [...lakes]) await lake.close().catch(() => {});
  cleanup();
}

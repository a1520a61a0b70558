// Shared by the ETL property test (test/etl-property.test.ts): a fixed model
// project, generated scenarios of input batches, runs, removals and crashes,
// an in-process "process death" for the lake, and the from-scratch oracle.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { openCatalog } from '../../packages/ade/src/catalog/index.js';
import type { Engine } from '../../packages/ade/src/engine/index.js';
import { formatTableRef, type Principal, type TableRef } from '../../packages/ade/src/kernel/index.js';
import { Lake } from '../../packages/ade/src/lake/index.js';
import { loadModels, ModelGraph, planModels, runModels, type BuildOptions, type ModelResult } from '../../packages/ade/src/models/index.js';
import { openObjectStore } from '../../packages/ade/src/storage/index.js';

export const ENGINEER: Principal = { name: 'etl-property', role: 'engineer' };

/** The source tables the project reads. */
export const INPUTS = ['events', 'customers', 'changes'] as const;
export type InputName = (typeof INPUTS)[number];
export const SOURCE_TABLES = INPUTS.map((n) => `clean.${n}`);

/** The model project: one file per table (`<zone>/<name>.sql`). */
export const MODEL_FILES: Readonly<Record<string, string>> = {
  // A dimension over a source that may repeat a customer (a plan change arriving later): one row per key, chosen deterministically.
  'model/customer_d.sql':
    "/*\nkind: dimension\nkey: customer_id\n*/\nSELECT customer_id, plan FROM ref('clean.customers')\nQUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY plan) = 1\n",
  // A fact driven by clean.events alone; dimension keys by sk(), no lookup. Rows with amount 0 are dropped.
  'model/event_f.sql':
    "/*\nkind: fact\ntime: ts\n*/\nSELECT id, sk('model.customer_d', customer_id) AS customer_sk, customer_id, ts, amount FROM ref('clean.events') WHERE amount > 0\n",
  // A fact with a lookup: a new dimension snapshot rebuilds every batch.
  'model/event_plan_f.sql':
    "/*\nkind: fact\ntime: ts\n*/\nSELECT e.id, e.ts, e.amount, coalesce(c.plan, 'unknown') AS plan FROM ref('clean.events') e LEFT JOIN ref('model.customer_d') c USING (customer_id)\n",
  // Daily totals over the fact: one partition per day.
  'model/revenue_day_d.sql':
    "/*\nkind: day\ntime: day\n*/\nSELECT CAST(ts AS DATE) AS day, count(*) AS n, sum(amount) AS revenue FROM ref('model.event_f') GROUP BY 1\n",
  // Current state of accounts from a change stream (c/u/d).
  'model/account_c.sql': "/*\nkind: current\nkey: account_id\ntime: pos\n*/\nSELECT account_id, pos, op, balance FROM ref('clean.changes')\n",
  // A report joining the fact and the dimension through the surrogate key.
  'report/revenue_by_plan.sql':
    "SELECT coalesce(c.plan, 'unknown') AS plan, count(*) AS n, sum(f.amount) AS revenue\nFROM ref('model.event_f') f LEFT JOIN ref('model.customer_d') c USING (customer_sk)\nGROUP BY 1\n",
};

export const MODEL_TABLES = Object.keys(MODEL_FILES)
  .map((f) => f.replace(/\.sql$/, '').replace('/', '.'))
  .sort();

export const TIME_COLUMNS: ReadonlyMap<string, string> = new Map([['clean.events', 'ts']]);
export const BUILD: BuildOptions = { timeColumns: TIME_COLUMNS };

export async function writeProject(dir: string, files: Readonly<Record<string, string>> = MODEL_FILES): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, 'models', path.split('/')[0]!), { recursive: true });
    await writeFile(join(dir, 'models', path), text);
  }
}

// ---------------------------------------------------------------------------
// Input batches

export type EventRow = readonly [id: number, customer: number, day: number, minute: number, amount: number];
export type CustomerRow = readonly [customer: number, plan: string];
export type ChangeRow = readonly [account: number, pos: number, op: 'c' | 'u' | 'd', balance: number];

export type Batch =
  | { readonly table: 'events'; readonly rows: readonly EventRow[] }
  | { readonly table: 'customers'; readonly rows: readonly CustomerRow[] }
  | { readonly table: 'changes'; readonly rows: readonly ChangeRow[] };

/** 2026-03-01 plus `day` days and `minute` minutes: five days, so later batches bring late data. */
function timestamp(day: number, minute: number): string {
  const d = new Date(Date.UTC(2026, 2, 1 + day, 0, minute));
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** The SELECT that writes one batch, typed the same way every time (an empty batch too). */
export function batchSql(b: Batch): string {
  const values = (rows: readonly string[], cols: string) =>
    rows.length ? `(VALUES ${rows.join(', ')}) t(${cols})` : `(SELECT ${cols.split(', ').map((c) => `NULL AS ${c}`).join(', ')}) t WHERE false`;
  switch (b.table) {
    case 'events':
      return `SELECT CAST(id AS INTEGER) AS id, CAST(customer_id AS INTEGER) AS customer_id, CAST(ts AS TIMESTAMP) AS ts, CAST(amount AS INTEGER) AS amount FROM ${values(
        b.rows.map(([id, c, day, minute, amount]) => `(${id}, ${c}, '${timestamp(day, minute)}', ${amount})`),
        'id, customer_id, ts, amount',
      )}`;
    case 'customers':
      return `SELECT CAST(customer_id AS INTEGER) AS customer_id, CAST(plan AS VARCHAR) AS plan FROM ${values(
        b.rows.map(([c, plan]) => `(${c}, '${plan}')`),
        'customer_id, plan',
      )}`;
    case 'changes':
      return `SELECT CAST(account_id AS INTEGER) AS account_id, CAST(pos AS INTEGER) AS pos, CAST(op AS VARCHAR) AS op, CAST(balance AS INTEGER) AS balance FROM ${values(
        b.rows.map(([a, pos, op, bal]) => `(${a}, ${pos}, '${op}', ${op === 'd' ? 'NULL' : bal})`),
        'account_id, pos, op, balance',
      )}`;
  }
}

export async function writeBatch(lake: Lake, b: Batch, batchId: string): Promise<void> {
  await lake.writeSelect(ENGINEER, { table: { zone: 'clean', name: b.table }, mode: 'append', sql: batchSql(b), batchId });
}

// ---------------------------------------------------------------------------
// Scenarios

export type Step =
  | { readonly kind: 'batch'; readonly batch: Batch }
  /** `ade run`: over all models or `select`; `times` 2 is a repeat. */
  | { readonly kind: 'run'; readonly select?: readonly string[]; readonly times: 1 | 2; readonly parallel: 1 | 2 }
  /** A run that dies at the `at`-th lake mutation (before it, or just after it took effect). */
  | { readonly kind: 'crash'; readonly select?: readonly string[]; readonly at: number; readonly after: boolean }
  /** An input batch removed (a source rebuild or an erasure): the `pick`-th live batch, modulo their number. */
  | { readonly kind: 'remove'; readonly pick: number };

const eventRow: fc.Arbitrary<EventRow> = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 9 }));
const customerRow: fc.Arbitrary<CustomerRow> = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom('free', 'pro', 'team'));
const changeRow: fc.Arbitrary<ChangeRow> = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom('c' as const, 'u' as const, 'd' as const), fc.integer({ min: 0, max: 99 }));

export function batchArb(emptyBatches: boolean): fc.Arbitrary<Batch> {
  const min = emptyBatches ? 0 : 1;
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ table: fc.constant('events' as const), rows: fc.array(eventRow, { minLength: min, maxLength: 5 }) }) },
    { weight: 2, arbitrary: fc.record({ table: fc.constant('customers' as const), rows: fc.array(customerRow, { minLength: min, maxLength: 5 }) }) },
    { weight: 2, arbitrary: fc.record({ table: fc.constant('changes' as const), rows: fc.array(changeRow, { minLength: min, maxLength: 5 }) }) },
  );
}

const selectArb: fc.Arbitrary<readonly string[] | undefined> = fc.option(fc.subarray(MODEL_TABLES, { minLength: 1 }), { nil: undefined, freq: 2 });

export function stepArb(opts: { emptyBatches: boolean; maxCrashAt: number }): fc.Arbitrary<Step> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('batch' as const), batch: batchArb(opts.emptyBatches) }) },
    {
      weight: 3,
      arbitrary: fc.record(
        { kind: fc.constant('run' as const), select: selectArb, times: fc.constantFrom(1 as const, 2 as const), parallel: fc.constantFrom(1 as const, 2 as const) },
        { requiredKeys: ['kind', 'times', 'parallel'] },
      ),
    },
    {
      weight: 2,
      arbitrary: fc.record(
        { kind: fc.constant('crash' as const), select: selectArb, at: fc.integer({ min: 1, max: opts.maxCrashAt }), after: fc.boolean() },
        { requiredKeys: ['kind', 'at', 'after'] },
      ),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat({ max: 20 }) }) },
  );
}

export function scenarioArb(opts: { maxSteps?: number; emptyBatches?: boolean; maxCrashAt?: number } = {}): fc.Arbitrary<Step[]> {
  return fc.array(stepArb({ emptyBatches: opts.emptyBatches ?? true, maxCrashAt: opts.maxCrashAt ?? 40 }), { minLength: 1, maxLength: opts.maxSteps ?? 8 });
}

// ---------------------------------------------------------------------------
// Process death, in process

/** Methods that change the lake (object store or catalog): the points where a crash may strike. */
const MUTATIONS = new Set([
  'put',
  'putFile',
  'delete',
  'copy',
  'commit',
  'createTable',
  'ensureTable',
  'dropTable',
  'registerStaged',
  'unregisterStaged',
  'createRun',
  'updateRun',
  'forgetFiles',
  'expireSnapshots',
  'audit',
]);

export class ProcessDeath extends Error {
  constructor(where: string) {
    super(`simulated process death at ${where}`);
  }
}

/**
 * A "process" using the lake: counts the mutations of its object store and
 * catalog and dies at the `at`-th (before it runs, or just after it took
 * effect). Once dead, every call into the store or the catalog throws, as if
 * the process were gone: nothing cleans up after the crash. `settled()` waits
 * for the calls in flight at the moment of death.
 */
export class CrashSwitch {
  calls = 0;
  dead = false;
  diedAt: string | undefined;
  #inFlight = new Set<Promise<unknown>>();
  readonly log: string[] = [];
  constructor(readonly at: number | undefined, readonly after: boolean) {}

  wrap<T extends object>(target: T, label: string): T {
    return new Proxy(target, {
      get: (t, prop) => {
        const v = Reflect.get(t, prop, t) as unknown;
        if (typeof v !== 'function' || typeof prop !== 'string' || prop === 'constructor') return v;
        const fn = v as (...a: unknown[]) => unknown;
        return (...args: unknown[]) => {
          if (this.dead) throw new ProcessDeath(`${label}.${prop} (after death)`);
          if (!MUTATIONS.has(prop)) return fn.apply(t, args);
          const n = ++this.calls;
          const where = `${label}.${prop} #${n}`;
          this.log.push(where);
          if (this.at === n && !this.after) {
            this.dead = true;
            this.diedAt = `before ${where}`;
            return Promise.reject(new ProcessDeath(this.diedAt));
          }
          const p = Promise.resolve(fn.apply(t, args));
          this.#inFlight.add(p);
          const done = p.finally(() => this.#inFlight.delete(p));
          done.catch(() => undefined);
          if (this.at === n && this.after) {
            return p.then(
              () => {
                this.dead = true;
                this.diedAt = `after ${where}`;
                throw new ProcessDeath(this.diedAt);
              },
              (e) => {
                this.dead = true;
                this.diedAt = `after ${where} (which failed)`;
                throw e;
              },
            );
          }
          return p.then((r) => {
            // The call completed but its caller would continue in a dead process: nothing more happens.
            if (this.dead) throw new ProcessDeath(`${where} returned after death`);
            return r;
          });
        };
      },
    });
  }

  async settled(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
    // Let rejected continuations run.
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A case's lake: its own catalog and object store, a shared engine. */
export class CaseLake {
  private constructor(
    readonly dir: string,
    readonly base: Lake,
  ) {}

  static async open(dir: string, engine: Engine): Promise<CaseLake> {
    const store = await openObjectStore({ kind: 'local', root: join(dir, 'lake') });
    const catalog = await openCatalog({ kind: 'sqlite', path: join(dir, 'catalog.db') });
    return new CaseLake(dir, new Lake(store, catalog, engine));
  }

  /** The lake as one process sees it; with a crash switch, that process can die. */
  process(crash?: CrashSwitch): Lake {
    if (!crash) return this.base;
    return new Lake(crash.wrap(this.base.store, 'store'), crash.wrap(this.base.catalog, 'catalog'), this.base.engine, this.base.clock);
  }

  async close(): Promise<void> {
    // The engine is shared: close only the catalog and the store.
    await Promise.allSettled([this.base.catalog.close(), this.base.store.close()]);
  }
}

export async function graphOf(projectDir: string): Promise<ModelGraph> {
  return new ModelGraph(await loadModels(projectDir), new Set(SOURCE_TABLES));
}

// ---------------------------------------------------------------------------
// Running a scenario

export interface LiveBatch {
  readonly id: string;
  readonly batch: Batch;
  removed: boolean;
}

export interface ScenarioTrace {
  readonly batches: LiveBatch[];
  readonly events: string[];
}

/** Plays the steps on `lake`, then one final clean run over all models. */
export async function playScenario(cl: CaseLake, graph: ModelGraph, steps: readonly Step[], opts: { engineThreads?: number } = {}): Promise<{ trace: ScenarioTrace; final: ModelResult[] }> {
  void opts;
  const lake = cl.base;
  const batches: LiveBatch[] = [];
  const events: string[] = [];
  let n = 0;
  for (const step of steps) {
    switch (step.kind) {
      case 'batch': {
        const id = `in-${step.batch.table}-${++n}`;
        await writeBatch(lake, step.batch, id);
        batches.push({ id, batch: step.batch, removed: false });
        events.push(`batch ${id} (${step.batch.rows.length} rows)`);
        break;
      }
      case 'remove': {
        const live = batches.filter((b) => !b.removed);
        if (live.length === 0) {
          events.push('remove: nothing to remove');
          break;
        }
        const b = live[step.pick % live.length]!;
        await lake.catalog.commit({ table: { zone: 'clean', name: b.batch.table }, operation: 'overwrite', added: [], removeBatchIds: [b.id], committer: 'etl-property' });
        b.removed = true;
        events.push(`remove ${b.id}`);
        break;
      }
      case 'run': {
        for (let i = 0; i < step.times; i++) {
          const r = await runModels(lake, ENGINEER, graph, { ...BUILD, parallel: step.parallel, ...(step.select ? { select: step.select } : {}) });
          const failed = r.filter((x) => x.status === 'failed');
          if (failed.length) throw new Error(`a clean run failed: ${failed.map((f) => `${f.table}: ${f.error}`).join('; ')}`);
          events.push(`run ${step.select ? step.select.join(',') : 'all'}: ${r.map((x) => `${x.table}=${x.status}`).join(' ')}`);
        }
        break;
      }
      case 'crash': {
        const sw = new CrashSwitch(step.at, step.after);
        const proc = cl.process(sw);
        let outcome: string;
        try {
          const r = await runModels(proc, ENGINEER, graph, { ...BUILD, parallel: 1, ...(step.select ? { select: step.select } : {}) });
          outcome = r.map((x) => `${x.table}=${x.status}`).join(' ');
        } catch (e) {
          outcome = `threw ${(e as Error).message}`;
        }
        await sw.settled();
        events.push(`crash run ${step.select ? step.select.join(',') : 'all'} at mutation ${step.at} ${step.after ? 'after' : 'before'}: ${sw.diedAt ? `died ${sw.diedAt}` : `no crash (${sw.calls} mutations)`}; ${outcome}`);
        break;
      }
    }
  }
  const final = await runModels(lake, ENGINEER, graph, BUILD);
  events.push(`final run: ${final.map((x) => `${x.table}=${x.status}`).join(' ')}`);
  return { trace: { batches, events }, final };
}

/** The from-scratch build: the surviving batches (same rows, same ids, same order) into a fresh lake, then one run. */
export async function buildOracle(cl: CaseLake, graph: ModelGraph, trace: ScenarioTrace): Promise<ModelResult[]> {
  const lake = cl.base;
  for (const b of trace.batches) if (!b.removed) await writeBatch(lake, b.batch, b.id);
  // A source that had batches, all removed since, still exists (empty) in the scenario's lake.
  for (const name of INPUTS) {
    const had = trace.batches.some((b) => b.batch.table === name);
    const table = await lake.catalog.getTable({ zone: 'clean', name });
    if (had && !table) await writeBatch(lake, { table: name, rows: [] } as Batch, `in-${name}-empty`);
  }
  return runModels(lake, ENGINEER, graph, BUILD);
}

// ---------------------------------------------------------------------------
// Comparing tables

export interface TableRows {
  /** Sorted md5 of each row (without ade_batch_id). */
  readonly hashes: readonly string[];
  /** The rows as text, in the same order (for messages). */
  readonly rows: readonly string[];
  readonly exists: boolean;
}

export async function tableRows(lake: Lake, table: string): Promise<TableRows> {
  const [zone, name] = table.split('.') as [string, string];
  const info = await lake.catalog.getTable({ zone, name });
  if (!info || info.currentSnapshotId === undefined) return { hashes: [], rows: [], exists: false };
  const s = await lake.session(ENGINEER, { forSql: table });
  try {
    const { rows } = await s.query(
      `SELECT md5(CAST(t AS VARCHAR)) AS h, CAST(t AS VARCHAR) AS r FROM (SELECT * EXCLUDE (ade_batch_id) FROM ${zone}.${name}) t ORDER BY 1`,
    );
    return { hashes: rows.map((r) => String(r.h)), rows: rows.map((r) => String(r.r)), exists: true };
  } finally {
    await s.close();
  }
}

export interface TableDiff {
  readonly table: string;
  readonly onlyIncremental: readonly string[];
  readonly onlyScratch: readonly string[];
}

/** Multiset difference of two tables' rows. */
export function diffRows(table: string, a: TableRows, b: TableRows): TableDiff | undefined {
  const count = new Map<string, number>();
  for (const r of a.rows) count.set(r, (count.get(r) ?? 0) + 1);
  const onlyScratch: string[] = [];
  for (const r of b.rows) {
    const c = count.get(r) ?? 0;
    if (c > 0) count.set(r, c - 1);
    else onlyScratch.push(r);
  }
  const onlyIncremental = [...count].flatMap(([r, c]) => Array<string>(c).fill(r));
  const sameHashes = a.hashes.length === b.hashes.length && a.hashes.every((h, i) => h === b.hashes[i]);
  if (sameHashes && onlyScratch.length === 0 && onlyIncremental.length === 0) return undefined;
  return { table, onlyIncremental, onlyScratch };
}

/** Every model table's current snapshot id (undefined: not built). */
export async function snapshotIds(lake: Lake, tables: readonly string[]): Promise<Record<string, number | undefined>> {
  const out: Record<string, number | undefined> = {};
  for (const t of tables) {
    const [zone, name] = t.split('.') as [string, string];
    out[t] = (await lake.catalog.getTable({ zone, name } satisfies TableRef))?.currentSnapshotId;
  }
  return out;
}

/**
 * Plans that are not `fresh`, except models that wait for an input that never
 * had data (directly, or through a model that waits).
 */
export async function notFresh(lake: Lake, graph: ModelGraph): Promise<string[]> {
  const plans = await planModels(lake, graph, BUILD);
  const waiting = new Set<string>();
  const out: string[] = [];
  for (const p of plans) {
    if (p.status === 'fresh') continue;
    const waits =
      p.batchId === undefined &&
      !p.work &&
      !p.problem &&
      p.reasons.some((r) => /has no data yet/.test(r)) &&
      p.reasons.every((r) => /has no data yet|^never built$/.test(r) || [...waiting].some((w) => r === `input ${w} is rebuilt first`));
    const cascades = p.reasons.every((r) => /^never built$/.test(r) || [...waiting].some((w) => r === `input ${w} is rebuilt first`)) && p.reasons.some((r) => / is rebuilt first$/.test(r));
    if (waits || (cascades && p.batchId === undefined)) waiting.add(p.table);
    else out.push(`${p.table}: ${p.reasons.join('; ')}`);
  }
  return out;
}

export { formatTableRef };

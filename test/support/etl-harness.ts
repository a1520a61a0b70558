// Shared by the ETL property test (test/etl-property.test.ts): a fixed model
// project, generated scenarios of input batches, runs, removals and crashes,
// an in-process "process death" for the lake, and the from-scratch oracle.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { openCatalog } from '../../packages/ade/src/catalog/index.js';
import { DEFAULT_ENGINE_CONFIG, Engine } from '../../packages/ade/src/engine/index.js';
import { type Principal, type TableRef } from '../../packages/ade/src/kernel/index.js';
import { Lake, verifyLake } from '../../packages/ade/src/lake/index.js';
import { loadModels, ModelGraph, planModels, runModels, type BuildOptions, type ModelResult } from '../../packages/ade/src/models/index.js';
import { openObjectStore } from '../../packages/ade/src/storage/index.js';

/** Where test lakes go: tmpfs when there is one (fsync is what a lake write waits on), else the OS temp dir. */
export function fastTmpDir(): string {
  return process.env.ADE_TEST_TMPDIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
}

export const ENGINEER: Principal = { name: 'etl-property', role: 'engineer' };

/** The source tables the project reads. */
export const INPUTS = ['events', 'customers', 'changes'] as const;
export type InputName = (typeof INPUTS)[number];
export const SOURCE_TABLES = INPUTS.map((n) => `clean.${n}`);

/**
 * Versions of the project's models a scenario switches between (a developer
 * editing a model and deploying it): `fact` 1 doubles the amount (same
 * columns), 2 halves it (the amount becomes a DOUBLE: a schema change);
 * `day` 1 keeps only days with more than one event (days with input rows but
 * no output rows).
 */
export interface Variant {
  readonly fact: 0 | 1 | 2;
  readonly day: 0 | 1;
}
export const SHIPPED: Variant = { fact: 0, day: 0 };
export const VARIANTS: readonly Variant[] = [0, 1, 2].flatMap((fact) => [0, 1].map((day) => ({ fact, day }) as Variant));
const variantKey = (v: Variant) => `f${v.fact}d${v.day}`;

/** The model project: one file per table (`<zone>/<name>.sql`). */
export function modelFiles(v: Variant = SHIPPED): Record<string, string> {
  const amount = ['e.amount', 'CAST(e.amount * 2 AS INTEGER) AS amount', 'e.amount / 2 AS amount'][v.fact];
  return {
    // A dimension over a source that may repeat a customer (a plan change arriving later): one row per key, chosen deterministically.
    'model/customer_d.sql':
      "/*\nkind: dimension\nkey: customer_id\n*/\nSELECT customer_id, plan FROM ref('clean.customers')\nQUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY plan) = 1\n",
    // A fact driven by clean.events (its first input): dimension keys by sk(), without a lookup; the plan at the
    // time of the build by a lookup of the dimension (a new dimension snapshot rebuilds every batch). Amount 0 is dropped.
    'model/event_f.sql': `/*\nkind: fact\ntime: ts\n*/\nSELECT e.id, sk('model.customer_d', e.customer_id) AS customer_sk, e.customer_id, e.ts, ${amount}, coalesce(c.plan, 'unknown') AS plan\nFROM ref('clean.events') e LEFT JOIN ref('model.customer_d') c USING (customer_id)\nWHERE e.amount > 0\n`,
    // Daily totals over the fact: one partition per day.
    'model/revenue_day_d.sql': `/*\nkind: day\ntime: day\n*/\nSELECT CAST(ts AS DATE) AS day, count(*) AS n, sum(amount) AS revenue FROM ref('model.event_f') GROUP BY 1${v.day ? ' HAVING count(*) > 1' : ''}\n`,
    // Current state of accounts from a change stream (c/u/d).
    'model/account_c.sql': "/*\nkind: current\nkey: account_id\ntime: pos\n*/\nSELECT account_id, pos, op, balance FROM ref('clean.changes')\n",
    // A report joining the fact and the dimension through the surrogate key.
    'report/revenue_by_plan.sql':
      "SELECT coalesce(c.plan, 'unknown') AS plan, count(*) AS n, sum(f.amount) AS revenue\nFROM ref('model.event_f') f LEFT JOIN ref('model.customer_d') c USING (customer_sk)\nGROUP BY 1\n",
  };
}

export const MODEL_TABLES = Object.keys(modelFiles())
  .map((f) => f.replace(/\.sql$/, '').replace('/', '.'))
  .sort();

export const TIME_COLUMNS: ReadonlyMap<string, string> = new Map([['clean.events', 'ts']]);
export const BUILD: BuildOptions = { timeColumns: TIME_COLUMNS };

export async function writeProject(dir: string, v: Variant = SHIPPED): Promise<void> {
  for (const [path, text] of Object.entries(modelFiles(v))) {
    await mkdir(join(dir, 'models', path.split('/')[0]!), { recursive: true });
    await writeFile(join(dir, 'models', path), text);
  }
}

/** Every variant of the project written out once, with its model graph. */
export class Projects {
  private constructor(
    readonly root: string,
    readonly graphs: ReadonlyMap<string, ModelGraph>,
  ) {}

  static async create(dir: string): Promise<Projects> {
    const graphs = new Map<string, ModelGraph>();
    for (const v of VARIANTS) {
      const at = join(dir, variantKey(v));
      await writeProject(at, v);
      graphs.set(variantKey(v), await graphOf(at));
    }
    return new Projects(dir, graphs);
  }

  graph(v: Variant): ModelGraph {
    return this.graphs.get(variantKey(v))!;
  }

  /** The project folder of a variant. */
  dir(v: Variant): string {
    return join(this.root, variantKey(v));
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
  | { readonly kind: 'remove'; readonly pick: number }
  /** A model edit is deployed: later runs use this version of the project. */
  | { readonly kind: 'edit'; readonly variant: Variant };

const eventRow = (minAmount: number): fc.Arbitrary<EventRow> =>
  fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 1439 }), fc.integer({ min: minAmount, max: 9 }));
const customerRow: fc.Arbitrary<CustomerRow> = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom('free', 'pro', 'team'));
const changeRow: fc.Arbitrary<ChangeRow> = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom('c' as const, 'u' as const, 'd' as const), fc.integer({ min: 0, max: 99 }));

/** Generation knobs. */
export interface ScenarioOptions {
  /** At most this many steps, the first batches included (default 8). */
  readonly maxSteps?: number;
  /** At most this many rounds of input steps and a run after the first batches (default 3). */
  readonly maxRounds?: number;
  /** Batches may have no rows (default true). */
  readonly emptyBatches?: boolean;
  /** Events may have amount 0, which model.event_f drops (default true). */
  readonly zeroAmounts?: boolean;
  /** A crash strikes at one of the first this many lake mutations of a run (default 30). */
  readonly maxCrashAt?: number;
  /** Model edits: none, only those that keep every model's columns, or also ones that change a column's type (default). */
  readonly edits?: 'none' | 'same-schema' | 'all';
}

/** A batch for one of the sources (or for `table`). */
export function batchArb(opts: ScenarioOptions = {}, table?: InputName): fc.Arbitrary<Batch> {
  const min = opts.emptyBatches === false ? 1 : 0;
  const event = eventRow(opts.zeroAmounts === false ? 1 : 0);
  const arbs = {
    events: fc.record({ table: fc.constant('events' as const), rows: fc.array(event, { minLength: min, maxLength: 5 }) }),
    customers: fc.record({ table: fc.constant('customers' as const), rows: fc.array(customerRow, { minLength: min, maxLength: 5 }) }),
    changes: fc.record({ table: fc.constant('changes' as const), rows: fc.array(changeRow, { minLength: min, maxLength: 5 }) }),
  };
  if (table) return arbs[table];
  return fc.oneof({ weight: 3, arbitrary: arbs.events }, { weight: 2, arbitrary: arbs.customers }, { weight: 2, arbitrary: arbs.changes });
}

const selectArb: fc.Arbitrary<readonly string[] | undefined> = fc.option(fc.subarray(MODEL_TABLES, { minLength: 1 }), { nil: undefined, freq: 2 });

/** Something happens before a run: a batch arrives (mostly), a live batch is removed, or a model edit is deployed. */
export function inputStepArb(opts: ScenarioOptions = {}): fc.Arbitrary<Step> {
  const edits = opts.edits ?? 'all';
  const variants = VARIANTS.filter((v) => edits === 'all' || (edits === 'same-schema' && v.fact !== 2) || (v.fact === 0 && v.day === 0));
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('batch' as const), batch: batchArb(opts) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat({ max: 20 }) }) },
    { weight: edits === 'none' ? 0 : 1, arbitrary: fc.record({ kind: fc.constant('edit' as const), variant: fc.constantFrom(...variants) }) },
  );
}

/** `ade run`: a clean one (maybe repeated), or one that dies. */
export function runStepArb(opts: ScenarioOptions = {}): fc.Arbitrary<Step> {
  return fc.oneof(
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
        { kind: fc.constant('crash' as const), select: fc.option(fc.subarray(MODEL_TABLES, { minLength: 1 }), { nil: undefined, freq: 4 }), at: fc.integer({ min: 1, max: opts.maxCrashAt ?? 30 }), after: fc.boolean() },
        { requiredKeys: ['kind', 'at', 'after'] },
      ),
    },
  );
}

/**
 * A scenario: a first batch for each source (so that most runs have
 * something to build), then rounds of one or two input steps followed
 * (mostly) by a run, crashed ones too; at most `maxSteps` steps in all. The
 * final clean run is not part of it.
 */
export function scenarioArb(opts: ScenarioOptions = {}): fc.Arbitrary<Step[]> {
  const first = fc.tuple(...INPUTS.map((t) => batchArb({ ...opts, emptyBatches: false }, t))).map((bs) => bs.map((batch): Step => ({ kind: 'batch', batch })));
  const round = fc.tuple(fc.array(inputStepArb(opts), { minLength: 1, maxLength: 2 }), fc.option(runStepArb(opts), { nil: undefined, freq: 5 }));
  return fc
    .tuple(first, fc.array(round, { minLength: 1, maxLength: opts.maxRounds ?? 3 }))
    .map(([firstBatches, rounds]) => [...firstBatches, ...rounds.flatMap(([inputs, run]) => (run ? [...inputs, run] : inputs))].slice(0, opts.maxSteps ?? 8));
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
  /** The version of the project deployed at the end. */
  variant: Variant;
  /** Models that failed in a run that did not crash. */
  readonly failures: string[];
}

/** Plays the steps on `lake`, then one final clean run over all models. */
export async function playScenario(cl: CaseLake, projects: Projects, steps: readonly Step[]): Promise<{ trace: ScenarioTrace; final: ModelResult[] }> {
  const lake = cl.base;
  const trace: ScenarioTrace = { batches: [], events: [], variant: SHIPPED, failures: [] };
  const { batches, events } = trace;
  let n = 0;
  for (const step of steps) {
    const graph = projects.graph(trace.variant);
    switch (step.kind) {
      case 'edit': {
        trace.variant = step.variant;
        events.push(`edit: fact version ${step.variant.fact}, day version ${step.variant.day}`);
        break;
      }
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
          for (const f of r.filter((x) => x.status === 'failed')) trace.failures.push(`${f.table}: ${f.error}`);
          events.push(`run ${step.select ? step.select.join(',') : 'all'}${step.parallel === 1 ? ' (one at a time)' : ''}: ${r.map((x) => `${x.table}=${x.status}${x.error ? ` (${x.error})` : ''}`).join(' ')}`);
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
  const final = await runModels(lake, ENGINEER, projects.graph(trace.variant), BUILD);
  events.push(`final run: ${final.map((x) => `${x.table}=${x.status}${x.error ? ` (${x.error})` : ''}`).join(' ')}`);
  return { trace, final };
}

/**
 * Checks that the scenario's source tables hold exactly the surviving
 * batches of the trace, with their row counts (catalog metadata only).
 */
export async function checkInputs(lake: Lake, trace: ScenarioTrace): Promise<string[]> {
  const problems: string[] = [];
  for (const name of INPUTS) {
    const expected = new Map<string, number>();
    for (const b of trace.batches) if (b.batch.table === name && !b.removed && b.batch.rows.length) expected.set(b.id, b.batch.rows.length);
    const table = await lake.catalog.getTable({ zone: 'clean', name });
    const actual = new Map<string, number>();
    if (table) for (const f of await lake.catalog.files({ zone: 'clean', name })) actual.set(f.batchId ?? `file-${f.id}`, (actual.get(f.batchId ?? `file-${f.id}`) ?? 0) + f.rows);
    const fmt = (m: Map<string, number>) => JSON.stringify([...m].sort());
    if (fmt(expected) !== fmt(actual)) problems.push(`clean.${name} holds batches ${fmt(actual)}, the scenario left ${fmt(expected)}`);
  }
  return problems;
}

/**
 * The from-scratch build: the surviving input batches, in the order they
 * arrived and with their batch ids, committed to a fresh lake (the same
 * Parquet files: check them first with `checkInputs`), then one run.
 */
export async function buildOracle(cl: CaseLake, projects: Projects, from: Lake, trace: ScenarioTrace): Promise<ModelResult[]> {
  const lake = cl.base;
  const files = new Map<string, { table: InputName; files: Awaited<ReturnType<Lake['catalog']['files']>> }>();
  for (const name of INPUTS) {
    if (!(await from.catalog.getTable({ zone: 'clean', name }))) continue;
    for (const f of await from.catalog.files({ zone: 'clean', name })) {
      const entry = files.get(f.batchId!) ?? { table: name, files: [] };
      files.set(f.batchId!, { ...entry, files: [...entry.files, f] });
    }
  }
  const columns = async (name: InputName) => (await from.catalog.pin({ zone: 'clean', name })).schema.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }));
  const commit = async (name: InputName, batchId: string, fs: readonly { path: string; rows: number; bytes: number; columnStats: Record<string, { min?: unknown; max?: unknown; nulls: number }> }[]) =>
    lake.commitFiles(ENGINEER, {
      table: { zone: 'clean', name },
      // putFile moves its file: commit copies.
      files: await Promise.all(
        fs.map(async (f, i) => {
          const localPath = join(cl.dir, 'copies', `${batchId}-${i}.parquet`);
          await mkdir(dirname(localPath), { recursive: true });
          await copyFile(await from.store.localPath(f.path), localPath);
          return { localPath, rows: f.rows, bytes: f.bytes, columnStats: f.columnStats };
        }),
      ),
      columns: await columns(name),
      batchId,
    });
  for (const b of trace.batches) {
    const held = files.get(b.id);
    if (!b.removed && held) await commit(held.table, b.id, held.files);
  }
  // A source whose batches were all empty or removed still exists (empty) in the scenario's lake.
  for (const name of INPUTS) {
    if ((await from.catalog.getTable({ zone: 'clean', name })) && !(await lake.catalog.getTable({ zone: 'clean', name }))) await commit(name, `in-${name}-empty`, []);
  }
  return runModels(lake, ENGINEER, projects.graph(trace.variant), BUILD);
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

/** Every table's rows, read in one session (tables never built read as absent and empty). */
export async function tablesRows(lake: Lake, tables: readonly string[]): Promise<Map<string, TableRows>> {
  const out = new Map<string, TableRows>();
  const built: string[] = [];
  for (const table of tables) {
    const [zone, name] = table.split('.') as [string, string];
    const info = await lake.catalog.getTable({ zone, name });
    if (!info || info.currentSnapshotId === undefined) out.set(table, { hashes: [], rows: [], exists: false });
    else built.push(table);
  }
  if (built.length === 0) return out;
  const s = await lake.session(ENGINEER, { forSql: built.join(' ') });
  try {
    for (const table of built) {
      const { rows } = await s.query(`SELECT md5(CAST(t AS VARCHAR)) AS h, CAST(t AS VARCHAR) AS r FROM (SELECT * EXCLUDE (ade_batch_id) FROM ${table}) t ORDER BY 1, 2`);
      out.set(table, { hashes: rows.map((r) => String(r.h)), rows: rows.map((r) => String(r.r)), exists: true });
    }
  } finally {
    await s.close();
  }
  return out;
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


/** What a case found, and where its lakes are. */
export interface CaseOutcome {
  /** Every way the property failed (empty: it held). */
  readonly problems: readonly string[];
  readonly trace: ScenarioTrace;
  /** Milliseconds spent in each phase. */
  readonly ms: Readonly<Record<'scenario' | 'oracle' | 'checks', number>>;
}

/**
 * One case of the property: plays `steps` on a fresh lake, builds the
 * oracle on another, and checks (1) the sources hold what the scenario left,
 * (2) no clean run failed, (3) every model equals the from-scratch build
 * (sorted row hashes without ade_batch_id), (4) every model is fresh, (5) a
 * repeat run commits nothing, (6) verify finds no damage.
 */
export async function checkScenario(dir: string, engine: Engine, projects: Projects, steps: readonly Step[]): Promise<CaseOutcome> {
  const incremental = await CaseLake.open(join(dir, 'incremental'), engine);
  const scratch = await CaseLake.open(join(dir, 'scratch'), engine);
  const problems: string[] = [];
  let t = performance.now();
  const lap = () => performance.now() - t + 0 * (t = performance.now());
  try {
    const { trace, final } = await playScenario(incremental, projects, steps);
    const scenarioMs = lap();
    const graph = projects.graph(trace.variant);
    problems.push(...trace.failures.map((f) => `a run without a crash failed: ${f}`));
    problems.push(...final.filter((r) => r.status === 'failed').map((r) => `the final run failed: ${r.table}: ${r.error}`));
    problems.push(...(await checkInputs(incremental.base, trace)));
    const oracle = await buildOracle(scratch, projects, incremental.base, trace);
    problems.push(...oracle.filter((r) => r.status === 'failed').map((r) => `the from-scratch run failed: ${r.table}: ${r.error}`));
    const oracleMs = lap();
    const mine = await tablesRows(incremental.base, MODEL_TABLES);
    const theirs = await tablesRows(scratch.base, MODEL_TABLES);
    for (const t of MODEL_TABLES) {
      const d = diffRows(t, mine.get(t)!, theirs.get(t)!);
      if (d) problems.push(`${t} differs from the from-scratch build: only incremental ${JSON.stringify(d.onlyIncremental)}; only from scratch ${JSON.stringify(d.onlyScratch)}`);
    }
    const stale = await notFresh(incremental.base, graph);
    if (stale.length) problems.push(`not fresh after the final run: ${stale.join(' | ')}`);
    const before = await snapshotIds(incremental.base, MODEL_TABLES);
    const again = await runModels(incremental.base, ENGINEER, graph, BUILD);
    const after = await snapshotIds(incremental.base, MODEL_TABLES);
    const moved = MODEL_TABLES.filter((t) => before[t] !== after[t]);
    if (moved.length) {
      const why = again.filter((r) => r.status === 'built').map((r) => `${r.table}: ${r.reasons.join('; ')}`);
      problems.push(`a repeat run committed to ${moved.join(', ')} (${why.join(' | ')})`);
    }
    const verified = await verifyLake(incremental.base);
    problems.push(...verified.problems.map((p) => `verify: ${p.table}: ${p.problem}`));
    if (problems.length) problems.push(`trace:\n    ${trace.events.join('\n    ')}`);
    return { problems, trace, ms: { scenario: scenarioMs, oracle: oracleMs, checks: lap() } };
  } finally {
    await incremental.close();
    await scratch.close();
  }
}

// ---------------------------------------------------------------------------
// Real processes: `ade run` killed with SIGKILL

export const ADE_BIN = new URL('../../packages/ade/bin/ade.js', import.meta.url).pathname;

export interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from spawn to exit. */
  readonly ms: number;
}

/** When to kill a child: `ms` after the spawn, or `ms` after the `nth` line of its stderr that matches `line`. */
export interface KillAt {
  readonly ms: number;
  readonly line?: RegExp;
  readonly nth?: number;
}

/**
 * Runs the ade CLI in `cwd`; with `kill`, sends it SIGKILL at that moment
 * (unless it has exited by then).
 */
export function ade(cwd: string, args: readonly string[], opts: { kill?: KillAt } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [ADE_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer ??= setTimeout(() => child.kill('SIGKILL'), opts.kill!.ms));
    let seen = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      const before = stderr.split('\n').length - 1;
      stderr += d;
      const lines = stderr.split('\n').slice(before, -1);
      if (opts.kill?.line) for (const l of lines) if (opts.kill.line.test(l) && ++seen === (opts.kill.nth ?? 1)) arm();
    });
    if (opts.kill && !opts.kill.line) arm();
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

// ---------------------------------------------------------------------------
// A stream of generated cases (run in a worker process: see etl-property-worker.ts)

export interface StreamConfig {
  readonly seed: number;
  readonly numRuns: number;
  readonly generate: ScenarioOptions;
}

export interface StreamResult {
  readonly seed: number;
  readonly numRuns: number;
  /** Cases run (shrinking included). */
  readonly cases: number;
  /** The fast-check report (seed, path, counterexample, what failed), when the property failed. */
  readonly failure?: string;
  /** Where crash steps struck: the mutation, before or after it; or that the run finished first. */
  readonly crashes: Record<string, number>;
  /** Milliseconds per phase, summed over the cases. */
  readonly phases: Record<string, number>;
}

/** Runs `numRuns` generated scenarios from `seed`, each on lakes of its own under a temp dir, one shared engine. */
export async function runStream(cfg: StreamConfig): Promise<StreamResult> {
  const dir = await mkdtemp(join(fastTmpDir(), 'ade-etl-prop-'));
  const engine = await Engine.create({ ...DEFAULT_ENGINE_CONFIG, threads: 1, tempDir: join(dir, 'tmp') });
  const crashes: Record<string, number> = {};
  const phases: Record<string, number> = {};
  let cases = 0;
  try {
    const projects = await Projects.create(join(dir, 'projects'));
    await fc.assert(
      fc.asyncProperty(scenarioArb(cfg.generate), async (steps) => {
        const caseDir = join(dir, `case-${++cases}`);
        try {
          const { problems, trace, ms } = await checkScenario(caseDir, engine, projects, steps);
          for (const [k, v] of Object.entries(ms)) phases[k] = (phases[k] ?? 0) + v;
          for (const e of trace.events) {
            const m = /^crash run .*?: (?:died (before|after) (\w+\.\w+)|no crash)/.exec(e);
            if (!m) continue;
            const key = m[1] ? `${m[1]} ${m[2]}` : 'run finished first';
            crashes[key] = (crashes[key] ?? 0) + 1;
          }
          if (problems.length) throw new Error(problems.join('\n'));
        } finally {
          await rm(caseDir, { recursive: true, force: true });
        }
      }),
      { seed: cfg.seed, numRuns: cfg.numRuns },
    );
    return { seed: cfg.seed, numRuns: cfg.numRuns, cases, crashes, phases };
  } catch (e) {
    return { seed: cfg.seed, numRuns: cfg.numRuns, cases, crashes, phases, failure: (e as Error).message };
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

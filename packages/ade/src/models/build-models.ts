import type { TableBinding } from '../engine/index.js';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AdeError, assertCanRead, formatTableRef, parseTableRef, quoteIdent, quoteList, quoteLiteral, processAlive, uuidv5, uuidv7, type Principal } from '../kernel/index.js';
import type { Lake, WriteResult } from '../lake/index.js';
import { dayBindings, dayWork, describeDays, factBatchId, factWork, type DayWork, type FactWork } from './model-work.js';
import type { ModelGraph } from './model-graph.js';
import type { SqlModel } from './model-file.js';
import { surrogateKeySql } from './surrogate-key.js';
import type { ModelContext, ModelOutput, ModelRow } from './ts-model.js';

/** Every kind builds: dimension, report and current replace the table; fact and day write only what changed. */
export const BUILDABLE_KINDS = ['report', 'dimension', 'current', 'fact', 'day'] as const;

/** How `planModels` and `runModels` read the project. */
export interface BuildOptions {
  readonly select?: readonly string[];
  readonly fullRefresh?: boolean;
  /** Time column by input table (`clean.events` → `timestamp`): sources' `event_time` and models' `time`. Day models read these inputs one day at a time. */
  readonly timeColumns?: ReadonlyMap<string, string>;
  /** Day models: only days from (inclusive, `YYYY-MM-DD`). */
  readonly from?: string;
  /** Day models: only days to (inclusive). */
  readonly to?: string;
}

/** What `ade plan` says of one model. */
export interface ModelPlan {
  readonly table: string;
  readonly kind: string;
  /** `fresh`: built from these inputs and this code already; `stale`: `ade run` builds it. */
  readonly status: 'fresh' | 'stale';
  readonly reasons: readonly string[];
  /** The batch id a build would have (model, code version, inputs); undefined while an input is rebuilt first. */
  readonly batchId: string | undefined;
  /** Why the model cannot build as declared (e.g. a day model none of whose inputs has a time column). */
  readonly problem?: string;
  /** Fact and day models: the batches or days a build writes. */
  readonly work?: FactWork | DayWork;
}

/** What `ade run` did with one model. */
export interface ModelResult {
  readonly table: string;
  readonly status: 'built' | 'fresh' | 'failed' | 'skipped';
  readonly reasons: readonly string[];
  readonly rows?: number;
  readonly snapshot?: number;
  readonly seconds?: number;
  readonly runId?: string;
  readonly error?: string;
  readonly hint?: string;
}

/** Column holding a dimension's surrogate key: `customer_d` → `customer_sk`. */
export function surrogateColumn(model: SqlModel): string {
  return `${model.table.name.replace(/_d$/, '')}_sk`;
}

/**
 * Decides, in build order, which models are stale. Report, dimension and
 * current models: never built, code changed, an input has a new snapshot, or
 * an input is rebuilt first. Fact models: batches of the driving input no
 * output batch covers, or output batches whose code, lookups or input batches
 * changed. Day models: days whose input batches changed, missing days, days
 * no input holds any more. `fullRefresh` marks every selected model stale.
 */
export async function planModels(lake: Lake, graph: ModelGraph, opts: BuildOptions = {}): Promise<ModelPlan[]> {
  const selected = new Set(opts.select ?? graph.layers.flat());
  const plans = new Map<string, ModelPlan>();
  for (const table of graph.layers.flat()) {
    if (!selected.has(table)) continue;
    const model = graph.models.get(table)!;
    const reasons: string[] = [];
    const inputs: string[] = [];
    for (const input of model.inputs) {
      const key = formatTableRef(input);
      const upstream = plans.get(key);
      if (upstream && upstream.status === 'stale') {
        reasons.push(`input ${key} is rebuilt first`);
        continue;
      }
      const info = await lake.catalog.getTable(input);
      if (!info || info.currentSnapshotId === undefined) {
        reasons.push(`input ${key} has no data yet`);
        continue;
      }
      inputs.push(`${key}@${info.currentSnapshotId}`);
    }
    const pending = reasons.length > 0;
    const fullRefresh = opts.fullRefresh === true;
    if (!pending && model.kind === 'fact') {
      plans.set(table, factPlan(model, await factWork(lake, model, fullRefresh), fullRefresh));
      continue;
    }
    if (!pending && model.kind === 'day') {
      const timeColumns = new Map(opts.timeColumns ?? []);
      for (const [t, m] of graph.models) if (m.time) timeColumns.set(t, m.time);
      if (!model.inputs.some((t) => timeColumns.has(formatTableRef(t)))) {
        const problem = `none of its inputs (${model.inputs.map(formatTableRef).join(', ')}) has a time column to read one day at a time`;
        plans.set(table, { table, kind: model.kind, status: 'stale', reasons: [problem], batchId: undefined, problem });
        continue;
      }
      const work = await dayWork(lake, model, timeColumns, { fullRefresh, ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) });
      plans.set(table, dayPlan(model, work));
      continue;
    }
    const batchId = pending ? undefined : uuidv5(`model:${table}:${model.codeVersion}:${inputs.sort().join(',')}`);
    const current = (await lake.catalog.getTable(model.table))?.currentSnapshotId !== undefined ? (await lake.catalog.history(model.table, { limit: 1 }))[0] : undefined;
    const built = current?.summary.model as { codeVersion?: string; inputs?: string[] } | undefined;
    if (!current) reasons.push('never built');
    else if (fullRefresh) reasons.push('--full-refresh');
    else if (!pending && current.batchId === batchId) {
      plans.set(table, { table, kind: model.kind, status: 'fresh', reasons: ['inputs and code unchanged since the last build'], batchId });
      continue;
    } else {
      if (built?.codeVersion !== model.codeVersion) reasons.push(`${model.file} changed`);
      const before = new Set(built?.inputs ?? []);
      for (const i of inputs) if (!before.has(i)) reasons.push(`input ${i.replace('@', ' is now at snapshot ')}`);
      if (reasons.length === 0) reasons.push('the last build came from other inputs');
    }
    plans.set(table, { table, kind: model.kind, status: 'stale', reasons, batchId });
  }
  return [...plans.values()];
}

function factPlan(model: SqlModel, work: FactWork, fullRefresh: boolean): ModelPlan {
  const table = formatTableRef(model.table);
  const driver = formatTableRef(work.driver);
  if (work.group.length === 0 && work.removeBatches.length === 0) {
    return { table, kind: model.kind, status: 'fresh', reasons: [`all ${work.kept} batch(es) of ${driver} built; code and lookups unchanged`], batchId: undefined, work };
  }
  const reasons: string[] = [];
  if (fullRefresh) reasons.push('--full-refresh');
  else if (work.outputs === 0) reasons.push('no batch built yet');
  else if (work.replaceAll) reasons.push(`${model.file} or its lookups changed: every batch is rebuilt`);
  else if (work.removeBatches.length) reasons.push(`${work.removeBatches.length} output batch(es) replaced (an input batch was rebuilt or removed)`);
  const fresh = work.group.length - (work.replaceAll ? 0 : 0);
  if (work.group.length) reasons.push(`${fresh} batch(es) of ${driver} to process${work.kept ? `, ${work.kept} kept` : ''}`);
  return { table, kind: model.kind, status: 'stale', reasons, batchId: work.group.length ? factBatchId(model, work.lookups, work.group) : undefined, work };
}

function dayPlan(model: SqlModel, work: DayWork): ModelPlan {
  const table = formatTableRef(model.table);
  const gaps = work.gaps.length ? [`no input rows on ${describeDays(work.gaps)} (nothing to build)`] : [];
  if (work.days.length === 0 && work.removeDays.length === 0) {
    return { table, kind: model.kind, status: 'fresh', reasons: ['every day is built from its current inputs', ...gaps], batchId: undefined, work };
  }
  const reasons: string[] = [];
  for (const why of ['missing', 'changed', 'refresh'] as const) {
    const days = work.days.filter((d) => d.why === why).map((d) => d.day);
    if (days.length === 0) continue;
    reasons.push(`${why === 'missing' ? 'missing' : why === 'changed' ? 'new or late input on' : 'rebuilding'} ${describeDays(days)}`);
  }
  if (work.removeDays.length) reasons.push(`no input rows any more on ${describeDays(work.removeDays)}`);
  reasons.push(...gaps);
  const batchId = uuidv5(`model:${table}:${model.codeVersion}:days:${work.days.map((d) => d.batchId).join(',')}:${work.removeDays.join(',')}`);
  return { table, kind: model.kind, status: 'stale', reasons, batchId, work };
}

/**
 * Builds the stale selected models in dependency order. A model that fails
 * leaves its table at the previous snapshot, its run marked failed with the
 * error, and skips only the models downstream of it; independent models still
 * build. Independent models (one layer of the graph) build side by side,
 * `parallel` at a time (default 2). Every build is a run in the ledger (kind `model`).
 */
export async function runModels(
  lake: Lake,
  principal: Principal,
  graph: ModelGraph,
  opts: BuildOptions & { parallel?: number; onModel?: (table: string, index: number, total: number) => void } = {},
): Promise<ModelResult[]> {
  await closeAbandonedRuns(lake);
  const failed = new Set<string>();
  const selected = new Set(opts.select ?? graph.layers.flat());
  const order = graph.layers.flat().filter((t) => selected.has(t));
  const byTable = new Map<string, ModelResult>();
  let begun = 0;
  const record = (r: ModelResult) => void byTable.set(r.table, r);
  const buildOne = async (table: string): Promise<void> => {
    opts.onModel?.(table, begun++, order.length);
    const model = graph.models.get(table)!;
    const blockedBy = graph.upstream(table).filter((u) => failed.has(u));
    if (blockedBy.length) {
      failed.add(table);
      record({ table, status: 'skipped', reasons: [`upstream ${blockedBy.join(', ')} failed`] });
      return;
    }
    // Planned one at a time: an upstream model built a moment ago has its new snapshot now.
    const { select: _select, ...rest } = opts;
    const [plan] = await planModels(lake, graph, { ...rest, select: [table] });
    if (!plan || plan.status === 'fresh') {
      record({ table, status: 'fresh', reasons: plan?.reasons ?? [] });
      return;
    }
    if (plan.batchId === undefined && !plan.problem && !plan.work) {
      // An input has no data yet (or was not built): nothing to build from.
      record({ table, status: 'skipped', reasons: plan.reasons });
      return;
    }
    const started = performance.now();
    const run = await lake.catalog.createRun({
      kind: 'model',
      target: table,
      // host and pid let a later run tell that this one's process died (see closeAbandonedRuns).
      info: { file: model.file, kind: model.kind, reasons: plan.reasons, by: principal.name, host: hostname(), pid: process.pid, ...(plan.batchId ? { batch: plan.batchId } : {}) },
    });
    await lake.catalog.updateRun(run.id, { state: 'running', attemptsIncrement: true });
    try {
      if (plan.problem) throw new AdeError('model.invalid', `${model.file}: ${plan.problem}`, { hint: 'read a source with event_time, or a model with a time column, in a day model' });
      const written = await buildModel(lake, principal, model, plan);
      const seconds = (performance.now() - started) / 1000;
      await lake.catalog.updateRun(run.id, { state: 'succeeded', info: { rows: written.rows, snapshot: written.snapshot.id, batch: written.batchId, seconds } });
      // A model publish is an audited act: who published which snapshot of which table, from which code.
      await lake.catalog.audit({
        actor: principal.name,
        action: 'model.publish',
        target: table,
        details: { snapshot: written.snapshot.id, batch: written.batchId, rows: written.rows, file: model.file, codeVersion: model.codeVersion, run: run.id },
      });
      record({ table, status: 'built', reasons: plan.reasons, rows: written.rows, snapshot: written.snapshot.id, seconds, runId: run.id });
    } catch (e) {
      const error = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      const hint =
        (e instanceof AdeError ? e.hint : undefined) ??
        `fix ${model.file} (try its SELECT with \`ade sql\`) and run \`ade run\` again; ${table} keeps its previous snapshot meanwhile`;
      await lake.catalog.updateRun(run.id, { state: 'failed', error, info: { hint } }).catch(() => undefined);
      failed.add(table);
      record({ table, status: 'failed', reasons: plan.reasons, error, hint, runId: run.id, seconds: (performance.now() - started) / 1000 });
    }
  };
  // Layer by layer; the models of a layer are independent and build side by side (bounded).
  const parallel = Math.max(1, opts.parallel ?? 2);
  for (const layer of graph.layers) {
    const queue = layer.filter((t) => selected.has(t));
    await Promise.all(
      Array.from({ length: Math.min(parallel, queue.length) }, async () => {
        for (let t = queue.shift(); t !== undefined; t = queue.shift()) await buildOne(t);
      }),
    );
  }
  return order.map((t) => byTable.get(t)!);
}

/**
 * Model runs a killed `ade run` left `running` (or `queued`) are closed: on
 * this host, a run whose process is gone is marked failed (`abandoned`) — its
 * build never committed, so its table is at its previous snapshot and this
 * run builds it again — or succeeded when its table holds a snapshot of its
 * batch committed after the run began (the process died just after its
 * commit). Runs of other hosts are left to their own next run.
 */
export async function closeAbandonedRuns(lake: Lake): Promise<number> {
  let closed = 0;
  for (const r of await lake.catalog.listRuns({ kind: 'model', limit: 1000 })) {
    if (r.state !== 'running' && r.state !== 'queued') continue;
    const info = r.info as { host?: unknown; pid?: unknown };
    if (info.host !== hostname() || typeof info.pid !== 'number' || info.pid === process.pid || processAlive(info.pid)) continue;
    // The process may have died between its commit and recording success: the table then holds its batch.
    const batch = (r.info as { batch?: unknown }).batch;
    let committed: number | undefined;
    if (typeof batch === 'string' && r.state === 'running') {
      const history = await lake.catalog.history(parseTableRef(r.target), { limit: 20 }).catch(() => []);
      committed = history.find((h) => h.batchId === batch && h.committedAt >= r.createdAt)?.id;
    }
    const error = `abandoned: the process building it (pid ${info.pid}) ended before it finished; nothing was committed`;
    const patch =
      committed !== undefined
        ? { state: 'succeeded' as const, info: { snapshot: committed, note: `the process (pid ${info.pid}) ended after its commit, before recording it` } }
        : r.state === 'running'
          ? { state: 'failed' as const, error }
          : { state: 'cancelled' as const, error };
    await lake.catalog.updateRun(r.id, patch).then(
      () => closed++,
      () => undefined,
    );
  }
  return closed;
}


/** One model's build, written and committed atomically according to its kind. */
async function buildModel(lake: Lake, principal: Principal, model: SqlModel, plan: ModelPlan): Promise<WriteResult> {
  const table = formatTableRef(model.table);
  // Files are never overwritten: each attempt writes under its own prefix (a rebuild keeps the batch id).
  const attempt = (id: string) => `${id}-${uuidv7().slice(-12)}`;
  const create = { description: model.description };
  const docs = model.columns;
  const withBatch = (sql: string, batchId: string) => `SELECT _m.*, '${batchId}' AS ade_batch_id FROM (${sql}) AS _m`;
  // A build reads its inputs for the principal who runs it.
  for (const t of model.inputs) assertCanRead(principal, t.zone);
  const scratch = await lake.store.stagingDir();
  try {
    const work = plan.work;
    if (work?.kind === 'fact') {
      const batchId = plan.batchId ?? factBatchId(model, work.lookups, work.group);
      const tables: TableBinding[] = [];
      for (const t of model.inputs) {
        const binding = await lake.bind(await lake.catalog.pin(t));
        // The driver is read as the files of the batches processed now.
        tables.push(t === work.driver ? { ...binding, files: await Promise.all(work.groupFiles.map((f) => lake.store.localPath(f.path))) } : binding);
      }
      const parts = [];
      if (work.group.length) {
        const body = await bodyOf(lake, model, tables, {}, scratch);
        parts.push({ sql: withBatch(body.sql, batchId), tables, readPaths: body.readPaths });
      }
      const info = { codeVersion: model.codeVersion, lookups: work.lookups, inputs: work.group };
      return await lake.writeParts(principal, {
        table: model.table,
        parts,
        mode: work.replaceAll ? 'replace' : 'overwrite',
        // The batch itself too: a repeated or concurrent build of the same batches replaces, never duplicates.
        removeBatchIds: [...work.removeBatches, batchId],
        batchId,
        filePrefix: attempt(batchId),
        batchInfo: { source: 'model', model: info },
        summary: (partRows) => ({
          source: 'model',
          model: {
            file: model.file,
            kind: model.kind,
            codeVersion: model.codeVersion,
            lookups: work.lookups,
            batches: work.group.length,
            kept: work.kept,
            // A processed batch that wrote no rows is recorded here, or its input would look new on every run.
            emptyBatches: [...work.emptyBatches, ...(parts.length && partRows[0] === 0 ? [batchId] : [])],
          },
        }),
        create,
        docs,
      });
    }
    if (work?.kind === 'day') {
      // Days are independent: their bodies (a TypeScript model's build per day) are computed side by side.
      const parts = await mapLimit(work.days, DAY_PARALLELISM, async (d) => {
        const tables = await dayBindings(lake, model, work, d.day);
        const body = await bodyOf(lake, model, tables, { day: d.day }, scratch);
        const sql = `SELECT * FROM (${withBatch(body.sql, d.batchId)}) AS _d WHERE CAST(_d.${quoteIdent(model.time!)} AS DATE) = DATE '${d.day}'`;
        return { sql, tables, readPaths: body.readPaths, partition: d.day, batchId: d.batchId };
      });
      const emptyDays = (partRows: readonly number[]) => {
        const out = { ...work.emptyDays };
        for (const d of [...work.days.map((x) => x.day), ...work.removeDays]) delete out[d];
        // A day with input rows but no output rows is recorded, or it would look missing on every run.
        work.days.forEach((d, i) => partRows[i] === 0 && (out[d.day] = d.batchId));
        return out;
      };
      return await lake.writeParts(principal, {
        table: model.table,
        parts,
        mode: work.replaceAll ? 'replace' : 'overwrite',
        removePartitions: [...work.days.map((d) => d.day), ...work.removeDays],
        batchId: plan.batchId!,
        filePrefix: attempt(plan.batchId!),
        summary: (partRows) => ({
          source: 'model',
          model: { file: model.file, kind: model.kind, codeVersion: model.codeVersion, days: work.days.length, removedDays: work.removeDays.length, emptyDays: emptyDays(partRows) },
        }),
        create,
        docs,
      });
    }
    // report, dimension, current: the whole table from the current inputs.
    const batchId = plan.batchId!;
    const pinned = await Promise.all(model.inputs.map((t) => lake.catalog.pin(t)));
    const inputs = pinned.map((p) => `${formatTableRef(p.table)}@${p.snapshot?.id}`).sort();
    const tables = await Promise.all(pinned.map((p) => lake.bind(p)));
    const body = await bodyOf(lake, model, tables, {}, scratch);
    let sql: string;
    if (model.kind === 'dimension') {
      sql = `SELECT ${surrogateKeySql(table, model.key.map((k) => `_m.${quoteIdent(k)}`))} AS ${quoteIdent(surrogateColumn(model))}, _m.*, '${batchId}' AS ade_batch_id FROM (${body.sql}) AS _m`;
    } else if (model.kind === 'current') {
      sql = withBatch(currentStateSql(model, body.sql), batchId);
    } else {
      sql = withBatch(body.sql, batchId);
    }
    return await lake.writeParts(principal, {
      table: model.table,
      parts: [{ sql, tables, readPaths: body.readPaths }],
      mode: 'replace',
      batchId,
      filePrefix: attempt(batchId),
      batchInfo: { source: 'model', model: { file: model.file, kind: model.kind, codeVersion: model.codeVersion, inputs } },
      create,
      docs,
      // A dimension's surrogate keys are checked on the files just written, before they are published.
      ...(model.kind === 'dimension' ? { verify: (files: readonly string[]) => assertUniqueKey(lake, model, files) } : {}),
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Day partitions whose bodies are computed at once. */
const DAY_PARALLELISM = 4;

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
    }),
  );
  return out;
}

/** A model's SELECT for one build: the SQL file's, or what a TypeScript model's build returns for these bindings. */
interface Body {
  readonly sql: string;
  readonly readPaths: readonly string[];
}

async function bodyOf(lake: Lake, model: SqlModel, tables: readonly TableBinding[], scope: { day?: string }, scratch: string): Promise<Body> {
  if (!model.script) return { sql: model.sql, readPaths: [] };
  const names = new Set(model.inputs.map(formatTableRef));
  const ctx: ModelContext = {
    kind: model.kind,
    ...(scope.day ? { day: scope.day } : {}),
    ref: (t: string) => {
      if (!names.has(t)) throw new AdeError('model.invalid', `${model.file}: ctx.ref('${t}') is not one of its inputs (${[...names].join(', ')})`, { hint: 'declare it in inputs' });
      const r = parseTableRef(t);
      return `${quoteIdent(r.zone)}.${quoteIdent(r.name)}`;
    },
    query: async (sql: string) => [...(await lake.engine.inspect(sql, { tables })).rows],
  };
  let out: ModelOutput;
  try {
    out = await model.script.build(ctx);
  } catch (e) {
    if (e instanceof AdeError) throw e;
    throw new AdeError('model.failed', `${model.file}: build() threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, {
      hint: 'the exception came from the model\'s own code; its table keeps its previous snapshot',
    });
  }
  if (typeof out === 'string') return { sql: out, readPaths: [] };
  const path = join(scratch, `${uuidv7()}.ndjson`);
  const file = createWriteStream(path);
  let n = 0;
  const write = (row: ModelRow) => {
    n++;
    const line = JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
    return file.write(line) ? undefined : new Promise<void>((resolve) => file.once('drain', () => resolve()));
  };
  try {
    for await (const row of out as AsyncIterable<ModelRow>) {
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        throw new AdeError('model.failed', `${model.file}: build() returned a row that is not an object (row ${n + 1})`, { hint: 'return objects keyed by column name' });
      }
      await write(row);
    }
  } finally {
    await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  const schema = model.script.schema;
  if (n === 0 && !schema) throw new AdeError('model.failed', `${model.file}: build() returned no rows and the model declares no schema`, { hint: 'add schema: { column: TYPE, … } to the export' });
  const columns = schema ? `, columns = {${Object.entries(schema).map(([k, t]) => `${quoteLiteral(k)}: ${quoteLiteral(t)}`).join(', ')}}` : '';
  return { sql: `SELECT * FROM read_json(${quoteLiteral(path)}, format = 'newline_delimited'${columns})`, readPaths: [path] };
}

/**
 * A `current` model's table from its change rows: per key, the change with
 * the highest position (`time`; ties broken by the row's content, so the
 * result depends only on the set of changes), kept unless it is a delete
 * (`op = 'd'`). Replaying changes gives the same table.
 */
export function currentStateSql(model: SqlModel, body: string = model.sql): string {
  const key = model.key.map((k) => `_c.${quoteIdent(k)}`).join(', ');
  const time = `_c.${quoteIdent(model.time!)}`;
  return `SELECT * EXCLUDE (op, _ade_rank) FROM (
    SELECT _c.*, row_number() OVER (PARTITION BY ${key} ORDER BY ${time} DESC NULLS LAST, md5(CAST(_c AS VARCHAR)) DESC) AS _ade_rank
    FROM (${body}) AS _c
  ) WHERE _ade_rank = 1 AND coalesce(op, '') <> 'd'`;
}

/**
 * A dimension's natural key must identify its rows: checked on the written
 * files' surrogate keys (one per natural key), so the model's SELECT runs
 * once. Duplicates fail the build and the table keeps its snapshot.
 */
async function assertUniqueKey(lake: Lake, model: SqlModel, files: readonly string[]): Promise<void> {
  const sk = quoteIdent(surrogateColumn(model));
  const { rows } = await lake.engine.inspect(
    `SELECT count(*) AS n FROM (SELECT ${sk} FROM read_parquet(${quoteList(files)}) GROUP BY ALL HAVING count(*) > 1)`,
    { readPaths: files },
  );
  const n = Number(rows[0]?.n ?? 0);
  if (n > 0) {
    throw new AdeError('model.duplicate_key', `${model.file}: ${n} value(s) of the natural key (${model.key.join(', ')}) occur more than once`, {
      hint: 'a dimension has one row per natural key: fix the SELECT (GROUP BY, DISTINCT ON) or the key in the header',
    });
  }
}

import { AdeError, formatTableRef, quoteIdent, uuidv5, uuidv7, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import type { ModelGraph } from './model-graph.js';
import type { SqlModel } from './model-file.js';
import { surrogateKeySql } from './surrogate-key.js';

/** Kinds `ade run` builds today: both replace the whole table from the model. */
export const BUILDABLE_KINDS = ['report', 'dimension'] as const;

/** What `ade plan` says of one model. */
export interface ModelPlan {
  readonly table: string;
  readonly kind: string;
  /** `fresh`: built from these inputs and this code already; `stale`: `ade run` builds it; `unsupported`: its kind is not built yet. */
  readonly status: 'fresh' | 'stale' | 'unsupported';
  readonly reasons: readonly string[];
  /** The batch id a build would have (model, code version, input snapshots); undefined while an input is rebuilt first. */
  readonly batchId: string | undefined;
}

/** What `ade run` did with one model. */
export interface ModelResult {
  readonly table: string;
  readonly status: 'built' | 'fresh' | 'failed' | 'skipped' | 'unsupported';
  readonly reasons: readonly string[];
  readonly rows?: number;
  readonly snapshot?: number;
  readonly seconds?: number;
  readonly runId?: string;
  readonly error?: string;
}

/** Column holding a dimension's surrogate key: `customer_d` → `customer_sk`. */
export function surrogateColumn(model: SqlModel): string {
  return `${model.table.name.replace(/_d$/, '')}_sk`;
}

/**
 * Decides, in build order, which models are stale: never built, code changed,
 * an input has a new snapshot, or an input is rebuilt first. A model is fresh
 * when its table's current snapshot carries the batch id its code and inputs
 * give now. `fullRefresh` marks every selected model stale.
 */
export async function planModels(lake: Lake, graph: ModelGraph, opts: { select?: readonly string[]; fullRefresh?: boolean } = {}): Promise<ModelPlan[]> {
  const selected = new Set(opts.select ?? graph.layers.flat());
  const plans = new Map<string, ModelPlan>();
  for (const table of graph.layers.flat()) {
    if (!selected.has(table)) continue;
    const model = graph.models.get(table)!;
    if (!(BUILDABLE_KINDS as readonly string[]).includes(model.kind)) {
      plans.set(table, { table, kind: model.kind, status: 'unsupported', reasons: [`kind ${model.kind} is not built by ade run yet (report and dimension are)`], batchId: undefined });
      continue;
    }
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
    const batchId = pending ? undefined : uuidv5(`model:${table}:${model.codeVersion}:${inputs.sort().join(',')}`);
    const current = (await lake.catalog.getTable(model.table))?.currentSnapshotId !== undefined ? (await lake.catalog.history(model.table, { limit: 1 }))[0] : undefined;
    const built = current?.summary.model as { codeVersion?: string; inputs?: string[] } | undefined;
    if (!current) reasons.push('never built');
    else if (opts.fullRefresh) reasons.push('--full-refresh');
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
  opts: { select?: readonly string[]; fullRefresh?: boolean; parallel?: number; onModel?: (table: string, index: number, total: number) => void } = {},
): Promise<ModelResult[]> {
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
    const [plan] = await planModels(lake, graph, { select: [table], ...(opts.fullRefresh ? { fullRefresh: true } : {}) });
    if (!plan || plan.status === 'fresh' || plan.status === 'unsupported') {
      record({ table, status: plan?.status === 'unsupported' ? 'unsupported' : 'fresh', reasons: plan?.reasons ?? [] });
      return;
    }
    if (plan.batchId === undefined) {
      // An input has no data yet (or was not built): nothing to build from.
      record({ table, status: 'skipped', reasons: plan.reasons });
      return;
    }
    const started = performance.now();
    const run = await lake.catalog.createRun({ kind: 'model', target: table, info: { file: model.file, reasons: plan.reasons, by: principal.name } });
    await lake.catalog.updateRun(run.id, { state: 'running', attemptsIncrement: true });
    try {
      const batchId = plan.batchId;
      const inputs = await Promise.all(model.inputs.map(async (t) => `${formatTableRef(t)}@${(await lake.catalog.getTable(t))!.currentSnapshotId}`));
      if (model.kind === 'dimension') await assertUniqueKey(lake, principal, model);
      const sql =
        model.kind === 'dimension'
          ? `SELECT ${surrogateKeySql(table, model.key.map((k) => `_m.${quoteIdent(k)}`))} AS ${quoteIdent(surrogateColumn(model))}, _m.*, '${batchId}' AS ade_batch_id FROM (${model.sql}) AS _m`
          : `SELECT _m.*, '${batchId}' AS ade_batch_id FROM (${model.sql}) AS _m`;
      const written = await lake.writeSelect(principal, {
        table: model.table,
        sql,
        mode: 'replace',
        readTables: model.inputs,
        batchId,
        // Files are never overwritten: each attempt writes under its own prefix (a rebuild keeps the batch id).
        filePrefix: `${batchId}-${uuidv7().slice(-12)}`,
        batchInfo: { source: 'model', model: { file: model.file, kind: model.kind, codeVersion: model.codeVersion, inputs: inputs.sort() } },
        create: { description: model.description },
      });
      const seconds = (performance.now() - started) / 1000;
      await lake.catalog.updateRun(run.id, { state: 'succeeded', info: { rows: written.rows, snapshot: written.snapshot.id, batch: batchId, seconds } });
      record({ table, status: 'built', reasons: plan.reasons, rows: written.rows, snapshot: written.snapshot.id, seconds, runId: run.id });
    } catch (e) {
      const error = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      await lake.catalog.updateRun(run.id, { state: 'failed', error }).catch(() => undefined);
      failed.add(table);
      record({ table, status: 'failed', reasons: plan.reasons, error, runId: run.id, seconds: (performance.now() - started) / 1000 });
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
  const results = order.map((t) => byTable.get(t)!);
  return results;
}

/** A dimension's natural key must identify its rows: duplicates fail the build (the table keeps its snapshot). */
async function assertUniqueKey(lake: Lake, principal: Principal, model: SqlModel): Promise<void> {
  const keys = model.key.map((k) => `_m.${quoteIdent(k)}`).join(', ');
  const session = await lake.session(principal, { forSql: model.sql });
  try {
    const { rows } = await session.query(`SELECT count(*) AS n FROM (SELECT ${keys} FROM (${model.sql}) AS _m GROUP BY ALL HAVING count(*) > 1)`);
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) {
      throw new AdeError('model.duplicate_key', `${model.file}: ${n} value(s) of the natural key (${model.key.join(', ')}) occur more than once`, {
        hint: 'a dimension has one row per natural key: fix the SELECT (GROUP BY, DISTINCT ON) or the key in the header',
      });
    }
  } finally {
    await session.close();
  }
}

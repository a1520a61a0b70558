import type { DataFile, PinnedSnapshot } from '../catalog/index.js';
import type { TableBinding } from '../engine/index.js';
import { formatTableRef, quoteIdent, quoteList, uuidv5, type TableRef } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import type { SqlModel } from './model-file.js';

/**
 * What a build of a `fact` model has to do: process the driving input's
 * batches no current output batch covers, and remove the output batches that
 * are no longer right (their code, their lookups or one of their input
 * batches changed).
 */
export interface FactWork {
  readonly kind: 'fact';
  readonly driver: TableRef;
  /** Input batches to process now, sorted. */
  readonly group: readonly string[];
  /** The driver's files holding those batches. */
  readonly groupFiles: readonly DataFile[];
  /** Output batches to remove in the same commit. */
  readonly removeBatches: readonly string[];
  /** Every output batch is removed: the build defines the schema anew. */
  readonly replaceAll: boolean;
  /** `zone.table@snapshot` of the other inputs, read whole. */
  readonly lookups: string;
  /** How many batches the output already covers and keeps. */
  readonly kept: number;
  /** Output batches the table holds now (kept or not). */
  readonly outputs: number;
  /** Output batches kept that wrote no rows (no file shows them), carried on the snapshot (`model.emptyBatches`). */
  readonly emptyBatches: readonly string[];
}

/**
 * What a build of a `day` model has to do: rebuild the days whose inputs
 * changed (new, late or removed batches), build missing days, remove days no
 * input holds any more.
 */
export interface DayWork {
  readonly kind: 'day';
  /** Days to (re)build with the batch id each gets, sorted by day. */
  readonly days: readonly { readonly day: string; readonly batchId: string; readonly why: DayReason }[];
  /** Days to remove (no input rows on them any more). */
  readonly removeDays: readonly string[];
  /** Inputs filtered to a day, with their time column and snapshot. */
  readonly timed: readonly { readonly table: TableRef; readonly column: string; readonly snapshot: PinnedSnapshot }[];
  readonly lookups: string;
  readonly replaceAll: boolean;
  /** Days with input rows but no output rows, carried on the snapshot (`model.emptyDays`). */
  readonly emptyDays: Readonly<Record<string, string>>;
  /** Days between the first and the last day with input rows that have none: nothing to build, but worth knowing. */
  readonly gaps: readonly string[];
}

export type DayReason = 'missing' | 'changed' | 'refresh';

/** What a model's output batch records about the input batches it came from. */
interface FactBatchInfo {
  readonly codeVersion?: string;
  readonly lookups?: string;
  readonly inputs?: readonly string[];
}

/** The batch a file belongs to; a file committed without one is its own batch. */
export function batchOf(f: DataFile): string {
  return f.batchId ?? `file-${f.id}`;
}

/** `zone.table@snapshot` of each input, sorted and joined: the fingerprint of inputs read whole. */
async function lookupsOf(lake: Lake, inputs: readonly TableRef[]): Promise<string> {
  const parts: string[] = [];
  for (const t of inputs) parts.push(`${formatTableRef(t)}@${(await lake.catalog.getTable(t))?.currentSnapshotId ?? 'none'}`);
  return parts.sort().join(',');
}

/** The output batch id of a fact build over `group`. */
export function factBatchId(model: SqlModel, lookups: string, group: readonly string[]): string {
  return uuidv5(`model:${formatTableRef(model.table)}:${model.codeVersion}:${lookups}:${[...group].sort().join(',')}`);
}

/**
 * Works out a fact build. The first input drives: each of its batches is
 * processed once (many new ones together, as one output batch that records
 * them). The other inputs are lookups: a new snapshot of one rebuilds every
 * batch, so the table always equals a build from scratch.
 */
export async function factWork(lake: Lake, model: SqlModel, fullRefresh: boolean): Promise<FactWork> {
  const driver = model.inputs[0]!;
  const lookups = await lookupsOf(lake, model.inputs.slice(1));
  const input = await lake.catalog.pin(driver);
  const live = new Map<string, DataFile[]>();
  for (const f of input.files) live.set(batchOf(f), [...(live.get(batchOf(f)) ?? []), f]);
  const covered = new Set<string>();
  const removeBatches: string[] = [];
  let outputs = 0;
  const emptyBatches: string[] = [];
  const table = await lake.catalog.getTable(model.table);
  if (table?.currentSnapshotId !== undefined) {
    const out = await lake.catalog.pin(model.table);
    // Batches with rows show in the files; a batch whose rows were all filtered out is only on the snapshot.
    const empty = new Set(((out.snapshot?.summary.model as { emptyBatches?: string[] } | undefined)?.emptyBatches ?? []).filter((b) => typeof b === 'string'));
    for (const id of new Set([...out.files.map(batchOf), ...empty])) {
      outputs++;
      const info = ((await lake.catalog.getBatch(model.table, id))?.info.model ?? {}) as FactBatchInfo;
      const inputs = info.inputs ?? [];
      const valid =
        !fullRefresh &&
        info.codeVersion === model.codeVersion &&
        info.lookups === lookups &&
        inputs.length > 0 &&
        inputs.every((b) => live.has(b) && !covered.has(b)) &&
        factBatchId(model, lookups, inputs) === id;
      if (valid) {
        inputs.forEach((b) => covered.add(b));
        if (empty.has(id)) emptyBatches.push(id);
      } else removeBatches.push(id);
    }
  }
  const group = [...live.keys()].filter((b) => !covered.has(b)).sort();
  return {
    kind: 'fact',
    driver,
    group,
    groupFiles: group.flatMap((b) => live.get(b)!),
    removeBatches,
    // Nothing kept (every output batch goes, or the table holds none): the new batches define the schema, as a build from scratch would.
    replaceAll: removeBatches.length === outputs && group.length > 0,
    lookups,
    kept: covered.size,
    outputs,
    emptyBatches,
  };
}

/**
 * Works out a day build. Inputs with a time column (a source's `event_time`,
 * a model's `time`) are read one day at a time; the others are read whole
 * (lookups). A day's batch id hashes the model, its code, the lookups and the
 * input batches holding rows on that day, so new, late or removed batches
 * change exactly the days they touch. `window` limits the days considered
 * (`--from`/`--to`).
 */
export async function dayWork(
  lake: Lake,
  model: SqlModel,
  timeColumns: ReadonlyMap<string, string>,
  opts: { fullRefresh: boolean; from?: string; to?: string },
): Promise<DayWork> {
  const timed: { table: TableRef; column: string; snapshot: PinnedSnapshot }[] = [];
  const whole: TableRef[] = [];
  for (const t of model.inputs) {
    const column = timeColumns.get(formatTableRef(t));
    if (column) timed.push({ table: t, column, snapshot: await lake.catalog.pin(t) });
    else whole.push(t);
  }
  const lookups = await lookupsOf(lake, whole);
  // Input batches with rows on each day.
  const contributors = new Map<string, Set<string>>();
  for (const t of timed) {
    for (const [day, batches] of await daysOfFiles(lake, t.snapshot.files, t.column)) {
      const set = contributors.get(day) ?? new Set<string>();
      for (const b of batches) set.add(`${formatTableRef(t.table)}:${b}`);
      contributors.set(day, set);
    }
  }
  const inWindow = (d: string) => (!opts.from || d >= opts.from) && (!opts.to || d <= opts.to);
  const expected = new Map<string, string>();
  for (const [day, set] of contributors) {
    if (!inWindow(day)) continue;
    expected.set(day, uuidv5(`model:${formatTableRef(model.table)}:${model.codeVersion}:${lookups}:${day}:${[...set].sort().join(',')}`));
  }
  // What the table holds now: a batch per day partition, and days built empty.
  const current = new Map<string, string>();
  let emptyDays: Record<string, string> = {};
  const table = await lake.catalog.getTable(model.table);
  if (table?.currentSnapshotId !== undefined) {
    const out = await lake.catalog.pin(model.table);
    for (const f of out.files) {
      const day = f.partition ?? '';
      const was = current.get(day);
      current.set(day, was === undefined || was === batchOf(f) ? batchOf(f) : 'mixed');
    }
    const summary = out.snapshot?.summary.model as { emptyDays?: Record<string, string> } | undefined;
    emptyDays = { ...(summary?.emptyDays ?? {}) };
    for (const [day, id] of Object.entries(emptyDays)) if (!current.has(day)) current.set(day, id);
  }
  const days: { day: string; batchId: string; why: DayReason }[] = [];
  for (const [day, batchId] of [...expected].sort(([a], [b]) => a.localeCompare(b))) {
    const have = current.get(day);
    if (opts.fullRefresh) days.push({ day, batchId, why: 'refresh' });
    else if (have === undefined) days.push({ day, batchId, why: 'missing' });
    else if (have !== batchId) days.push({ day, batchId, why: 'changed' });
  }
  const removeDays = [...current.keys()].filter((d) => inWindow(d) && !expected.has(d)).sort();
  const touched = new Set([...days.map((d) => d.day), ...removeDays]);
  const replaceAll = days.length > 0 && [...current.keys()].every((d) => touched.has(d));
  return { kind: 'day', days, removeDays, timed, lookups, replaceAll, emptyDays, gaps: gapsBetween([...expected.keys()]) };
}

/**
 * The days (`YYYY-MM-DD`) each batch of `files` has rows on, read from the
 * time column alone: `day → batches`. Files whose statistics put every row on
 * one day are not read.
 */
async function daysOfFiles(lake: Lake, files: readonly DataFile[], column: string): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  const add = (day: string, batch: string) => out.set(day, (out.get(day) ?? new Set()).add(batch));
  const toRead: DataFile[] = [];
  for (const f of files) {
    const s = f.columnStats[column];
    const lo = dayOf(s?.min);
    const hi = dayOf(s?.max);
    if (lo !== undefined && lo === hi && s?.nulls !== undefined && s.nulls < f.rows) add(lo, batchOf(f));
    else toRead.push(f);
  }
  if (toRead.length === 0) return out;
  const paths = await Promise.all(toRead.map((f) => lake.store.localPath(f.path)));
  const batchByPath = new Map(paths.map((p, i) => [p, batchOf(toRead[i]!)]));
  const { rows } = await lake.engine.inspect(
    `SELECT DISTINCT filename AS f, strftime(CAST(${quoteIdent(column)} AS DATE), '%Y-%m-%d') AS d
     FROM read_parquet(${quoteList(paths)}, filename = true, union_by_name = true) WHERE ${quoteIdent(column)} IS NOT NULL`,
    { readPaths: paths },
  );
  for (const r of rows) add(String(r.d), batchByPath.get(String(r.f)) ?? String(r.f));
  return out;
}

/** The day of a statistics bound (`2026-11-03`, `2026-11-03 10:00:00`, `2026-11-03T10:00:00Z`), or undefined. */
function dayOf(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})(?:$|[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?$)/.exec(v);
  return m?.[1];
}

/** Bindings of the day inputs restricted to `day`, and the lookups read whole. */
export async function dayBindings(lake: Lake, model: SqlModel, work: DayWork, day: string): Promise<TableBinding[]> {
  const out: TableBinding[] = [];
  for (const t of model.inputs) {
    const timed = work.timed.find((x) => formatTableRef(x.table) === formatTableRef(t));
    const binding = await lake.bind(timed ? timed.snapshot : await lake.catalog.pin(t));
    out.push(timed ? { ...binding, days: { column: timed.column, days: [day] } } : binding);
  }
  return out;
}

/** The days between the first and the last of `days` that are not among them (at most 1,000 looked at). */
function gapsBetween(days: readonly string[]): string[] {
  if (days.length < 2) return [];
  const have = new Set(days);
  const sorted = [...days].sort();
  const out: string[] = [];
  const last = Date.parse(`${sorted[sorted.length - 1]}T00:00:00Z`);
  for (let t = Date.parse(`${sorted[0]}T00:00:00Z`), n = 0; t <= last && n < 1000; t += 86_400_000, n++) {
    const d = new Date(t).toISOString().slice(0, 10);
    if (!have.has(d)) out.push(d);
  }
  return out;
}

/** Days as a short phrase: `2026-11-03`, `2026-11-03, 2026-11-05`, `12 days (2026-11-01 … 2026-11-12)`. */
export function describeDays(days: readonly string[]): string {
  if (days.length <= 3) return days.join(', ');
  return `${days.length} days (${days[0]} … ${days[days.length - 1]})`;
}

import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { assertCanWrite, formatTableRef, normalizeNames, ValidationError, type Principal, type TableRef } from '../kernel/index.js';
import { LoadError } from './errors.js';
import {
  detectInput,
  readCsvHeader,
  readSql,
  sniffCsvSql,
  toLoadError,
  type DeclaredColumns,
  type InputFile,
} from './input-format.js';
import type { Lake, WriteResult, WriteStage } from './lake.js';

export interface LoadRequest {
  /** The input file (CSV, TSV, NDJSON, JSON or Parquet, optionally .gz/.zst). */
  readonly file: string;
  readonly table: TableRef;
  readonly mode: 'append' | 'replace';
  /** Overrides detection from the file name. */
  readonly format?: string;
  /** Declared column types; others are inferred. For CSV the header still names the columns. */
  readonly columns?: DeclaredColumns;
  readonly onProgress?: (stage: 'reading' | WriteStage, done?: number, total?: number) => void;
}

export interface LoadResult extends WriteResult {
  readonly file: string;
  readonly format: string;
  readonly inputBytes: number;
  readonly seconds: number;
  /** The load's run in the ledger. */
  readonly runId: string;
}

/**
 * Loads one file into a table in one commit. Malformed input fails with a
 * LoadError naming the file and line; nothing is committed then.
 */
export async function loadFile(lake: Lake, principal: Principal, req: LoadRequest): Promise<LoadResult> {
  assertCanWrite(principal, req.table.zone);
  // Every load is a run in the ledger: its state, timing, counts or error.
  const run = await lake.catalog.createRun({ kind: 'load', target: formatTableRef(req.table), info: { file: req.file, mode: req.mode, by: principal.name } });
  await lake.catalog.updateRun(run.id, { state: 'running', attemptsIncrement: true });
  try {
    const result = await loadOnce(lake, principal, req);
    await lake.catalog.updateRun(run.id, {
      state: 'succeeded',
      info: { rows: result.rows, files: result.files, bytes: result.bytes, snapshot: result.snapshot.id, batch: result.batchId, seconds: result.seconds },
    });
    return { ...result, runId: run.id };
  } catch (e) {
    await lake.catalog.updateRun(run.id, { state: 'failed', error: e instanceof Error ? e.message : String(e) }).catch(() => undefined);
    throw e;
  }
}

async function loadOnce(lake: Lake, principal: Principal, req: LoadRequest): Promise<Omit<LoadResult, 'runId'>> {
  const started = performance.now();
  const path = resolve(req.file);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    throw new ValidationError(`no such file: ${req.file}`, { code: 'load.no_file', hint: 'check the path', details: { file: req.file } });
  }
  const input = detectInput(path, req.format);
  req.onProgress?.('reading');
  // Appending reads CSV straight into the table's types, so a bad value is reported with its line.
  const existing = req.mode === 'append' && (await lake.catalog.getTable(req.table)) ? await lake.catalog.pin(req.table) : undefined;
  const tableTypes = new Map(existing?.schema.columns.map((c) => [c.name, c.type]) ?? []);
  const columns = await resolveColumns(lake, input, req.columns, tableTypes);
  const sql = readSql(input, columns);
  let result: WriteResult;
  try {
    result = await lake.writeSelect(principal, {
      table: req.table,
      sql,
      mode: req.mode,
      readPaths: [path],
      batchInfo: { source: 'load', file: basename(path), format: input.format },
      onProgress: req.onProgress,
    });
  } catch (e) {
    if (isInputError(e)) throw await toLoadError({ ...input, path }, e);
    throw e;
  }
  return { ...result, file: path, format: input.format, inputBytes: info.size, seconds: (performance.now() - started) / 1000 };
}

/** DuckDB errors that come from reading the input rather than from ade. */
function isInputError(e: unknown): boolean {
  const m = e instanceof Error ? e.message : '';
  return /CSV Error|Malformed JSON|Conversion Error|Could not convert|Invalid Input Error|Error when sniffing|Binder Error|Parser Error/.test(m) && !(e instanceof LoadError);
}

/**
 * CSV columns come from the header (read by us) with types from DuckDB's
 * sniffer, then declared types override; JSON/Parquet columns are declared or
 * inferred by DuckDB.
 */
async function resolveColumns(
  lake: Lake,
  input: InputFile,
  declared: DeclaredColumns | undefined,
  tableTypes: ReadonlyMap<string, string>,
): Promise<DeclaredColumns | undefined> {
  if (input.format !== 'csv' && input.format !== 'tsv') return declared;
  const header = await readCsvHeader(input);
  let sniffed: { name: string; type: string }[] | undefined;
  try {
    const r = await lake.engine.inspect(sniffCsvSql(input), { readPaths: [input.path] });
    sniffed = (r.rows[0]?.Columns as { name: string; type: string }[] | undefined) ?? undefined;
  } catch {
    sniffed = undefined; // a file the sniffer cannot read is read as text; the strict read names the bad line
  }
  const names = header ?? sniffed?.map((c) => c.name);
  if (!names || names.length === 0) {
    throw new LoadError('the file has no header row', { file: input.path, line: 1, hint: 'CSV files need a header row naming the columns' });
  }
  const seen = new Set<string>();
  for (const [i, n] of names.entries()) {
    if (n.trim() === '') throw new LoadError(`column ${i + 1} of the header has no name`, { file: input.path, line: 1, hint: 'name every column in the header row' });
    if (seen.has(n)) throw new LoadError(`the header names column ${JSON.stringify(n)} twice`, { file: input.path, line: 1, field: n, hint: 'give every column a distinct name' });
    seen.add(n);
  }
  const sniffedFits = sniffed && sniffed.length === names.length && sniffed.every((c, i) => c.name === names[i]);
  const byName = new Map((declared ?? []).map((c) => [c.name, c.type]));
  for (const d of declared ?? []) {
    if (!seen.has(d.name)) {
      throw new ValidationError(`declared column ${JSON.stringify(d.name)} is not in the header of ${input.path}`, {
        code: 'load.unknown_column',
        hint: `the header has ${names.join(', ')}`,
      });
    }
  }
  const normalized = normalizeNames(names);
  return names.map((name, i) => ({
    name,
    type: byName.get(name) ?? tableTypes.get(normalized[i]!) ?? (sniffedFits ? sniffed![i]!.type : 'VARCHAR'),
  }));
}

import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { link, mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { quoteIdent, quoteLiteral, uuidv7, ValidationError } from '../kernel/index.js';
import { EngineError, engineErrorFrom } from './errors.js';
import { readFileStats, type TypedColumn } from './file-stats.js';
import type { InstanceFactory } from './instance-factory.js';
import type { QuerySlots } from './query-slots.js';
import { openSandboxConnection, PROGRESS_SETTINGS } from './sandbox.js';
import { storedType } from './stored-type.js';
import { createTableViews } from './table-views.js';
import { checkReadOnly, prepareReadOnly } from './statement-guard.js';
import type { EngineConfig, WriteRequest, WriteResult, WrittenFile } from './types.js';

/** The part of the engine configuration a write uses. */
export type ParquetWriterConfig = Pick<Required<EngineConfig>, 'tempDir' | 'maxTempDirectorySize' | 'targetFileBytes' | 'rowGroupSize'>;

const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

/**
 * The privileged write path of system jobs (loads, model builds): runs one
 * checked SELECT in a sandbox that may read only the request's tables, paths
 * and directories, and writes its result as zstd Parquet files of about
 * `targetFileBytes` with a single DuckDB `COPY`.
 *
 * Files are written into a hidden staging directory inside `outDir` and
 * hard-linked to their final names, numbered from 0, only once complete, so
 * a reader never sees a partial file and an existing file is never
 * overwritten.
 */
export class ParquetWriter {
  readonly config: ParquetWriterConfig;
  readonly #instances: InstanceFactory;
  readonly #slots: QuerySlots;

  /** `slots` caps DuckDB calls in flight: a write holds one while it opens its sandbox, and one while it runs. */
  constructor(config: ParquetWriterConfig, instances: InstanceFactory, slots: QuerySlots) {
    this.config = config;
    this.#instances = instances;
    this.#slots = slots;
  }

  /**
   * Writes the result of `req.sql` to `req.outDir` as `<prefix>-<n>.parquet`
   * and returns the result's columns and, per file, rows, bytes and column
   * statistics. An empty result writes no file.
   *
   * @example
   * const { files, rows } = await writer.write({
   *   sql: "SELECT * FROM read_csv('/in/orders.csv')",
   *   tables: [], readPaths: ['/in/orders.csv'], readDirectories: [],
   *   outDir: '/lake/clean/orders/data/_', filePrefix: batchId,
   * });
   */
  async write(req: WriteRequest): Promise<WriteResult> {
    return (await this.writeAll([req]))[0]!;
  }

  /**
   * Several writes on one sandbox (one DuckDB instance opened and locked
   * once), in order: each request's tables are bound as views before its
   * COPY, so requests may read the same table through different bindings
   * (a day model reads each day of its inputs). The sandbox may read what
   * any of the requests may. All requests share one `outDir`.
   */
  async writeAll(reqs: readonly WriteRequest[]): Promise<WriteResult[]> {
    if (reqs.length === 0) return [];
    for (const req of reqs) {
      if (!PREFIX.test(req.filePrefix)) {
        throw new ValidationError(`invalid file prefix ${JSON.stringify(req.filePrefix)}`, {
          code: 'validation.file_prefix',
          hint: 'use letters, digits, _, . and - (a batch id is a good prefix)',
          details: { filePrefix: req.filePrefix },
        });
      }
    }
    const outDir = resolve(reqs[0]!.outDir);
    if (reqs.some((r) => resolve(r.outDir) !== outDir)) throw new EngineError('engine.write_failed', 'writes on one sandbox share one output directory');
    await mkdir(outDir, { recursive: true });
    for (const req of reqs) await assertNoFiles(outDir, req.filePrefix);
    const id = uuidv7();
    const stagings = reqs.map((_, i) => join(outDir, `.staging-${id}-${i}`));
    const tempDir = join(this.config.tempDir, `write-${id}`);
    await Promise.all(stagings.map((d) => mkdir(d)));
    let instance: DuckDBInstance | undefined;
    const progress = reqs.some((r) => r.onProgress);
    try {
      const opened = await this.#slots.run(() =>
        openSandboxConnection(
          this.#instances,
          {
            tempDir,
            maxTempDirectorySize: this.config.maxTempDirectorySize,
            allowedDirectories: [...new Set(reqs.flatMap((r) => r.readDirectories)), ...stagings],
            // COPY checks the output directory itself (no trailing separator) as a path.
            allowedPaths: [...new Set(reqs.flatMap((r) => [...r.readPaths, ...r.tables.flatMap((t) => t.files)])), ...stagings],
            tables: reqs[0]!.tables,
          },
          progress ? PROGRESS_SETTINGS : [],
        ),
      );
      instance = opened.instance;
      const connection = opened.connection;
      try {
        const results: WriteResult[] = [];
        for (const [i, req] of reqs.entries()) {
          if (i > 0) await createTableViews(connection, req.tables, { replace: true });
          results.push(await this.#slots.run(() => writeParquetOnConnection(connection, this.config, req, stagings[i]!, outDir, true)));
        }
        return results;
      } finally {
        connection.closeSync();
      }
    } catch (e) {
      throw engineErrorFrom(e, { operation: 'write', outDir, filePrefix: reqs[0]!.filePrefix });
    } finally {
      instance?.closeSync();
      await Promise.all(stagings.map((d) => rm(d, { recursive: true, force: true })));
      await rm(tempDir, { recursive: true, force: true });
    }
  }
}

/**
 * Runs the COPY of `req.sql` into `staging` on an open connection and
 * publishes the finished files into `outDir` (see `ParquetWriter`). `guard`
 * checks the SQL as untrusted first; ade's own pipelines (a workspace) pass false.
 */
export async function writeParquetOnConnection(
  connection: DuckDBConnection,
  config: Pick<ParquetWriterConfig, 'rowGroupSize' | 'targetFileBytes'>,
  req: Pick<WriteRequest, 'sql' | 'filePrefix' | 'fieldIds' | 'onProgress'>,
  staging: string,
  outDir: string,
  guard: boolean,
): Promise<WriteResult> {
  let text = req.sql;
  if (guard) {
    // Parse-level check only (statement kind and function allow-list). Binding the
    // SELECT here as well would repeat expensive binds, such as JSON type
    // detection, that the COPY does anyway; the result types are read back from
    // the written files' footers instead.
    const verdict = await checkReadOnly(connection, req.sql, { allowExplain: false, maxStatements: 1 });
    if (verdict.explain || verdict.texts.length !== 1) {
      throw new EngineError('engine.write_failed', 'could not isolate the single SELECT of the write', {
        hint: 'remove trailing statements or unusual string escapes from the SQL',
      });
    }
    text = verdict.texts[0]!;
  }
  const copy = copySql(text, staging, {
    filePrefix: req.filePrefix,
    rowGroupSize: config.rowGroupSize,
    targetFileBytes: config.targetFileBytes,
    fieldIds: req.fieldIds,
  });
  if ((await connection.extractStatements(copy)).count !== 1) {
    throw new EngineError('engine.write_failed', 'the write SQL did not wrap into a single COPY');
  }
  let counted;
  const ticker = req.onProgress ? setInterval(() => reportProgress(connection, req.onProgress!), 200) : undefined;
  try {
    counted = await connection.runAndReadAll(copy);
  } finally {
    if (ticker) clearInterval(ticker);
  }
  const rows = Number(counted.getRows()[0]?.[0] ?? 0);
  const names = rows === 0 ? [] : (await readdir(staging)).filter((f) => f.endsWith('.parquet')).sort(byIndex);
  const typed = await resultColumns(connection, names.length ? `SELECT * FROM read_parquet(${quoteLiteral(join(staging, names[0]!))})` : text, names.length > 0);
  // An empty result's types come from the query: mapped to what its files would hold, as a non-empty result's are.
  const columns = typed.map((c) => ({ name: c.name, type: names.length ? c.type.toString() : storedType(c.type.toString()) }));
  assertColumns(columns.map((c) => c.name), req.fieldIds);
  if (rows === 0) return { columns, files: [], rows: 0 };
  const stats = await readFileStats(
    connection,
    names.map((n) => join(staging, n)),
    typed,
  );
  const files: WrittenFile[] = [];
  const published: string[] = [];
  try {
    for (const name of names) {
      const fileStats = stats.get(join(staging, name));
      if (!fileStats) throw new EngineError('engine.write_failed', `no statistics for written file ${name}`);
      // DuckDB can close a last, empty file when a size limit is hit exactly; it is not published.
      if (fileStats.rows === 0) continue;
      const localPath = join(outDir, `${req.filePrefix}-${files.length}.parquet`);
      await publish(join(staging, name), localPath);
      published.push(localPath);
      files.push({ localPath, rows: fileStats.rows, bytes: (await stat(localPath)).size, columnStats: fileStats.columnStats });
    }
  } catch (e) {
    await Promise.all(published.map((p) => unlink(p).catch(() => undefined)));
    throw e;
  }
  return { columns, files, rows };
}

/** The COPY that writes `select` into `dir`; `select` is one SELECT already checked by the guard. */
export function copySql(
  select: string,
  dir: string,
  options: { filePrefix: string; rowGroupSize: number; targetFileBytes: number; fieldIds: WriteRequest['fieldIds'] },
): string {
  const settings = [
    'FORMAT parquet',
    'COMPRESSION zstd',
    `ROW_GROUP_SIZE ${quoteLiteral(options.rowGroupSize)}`,
    `FILE_SIZE_BYTES ${quoteLiteral(options.targetFileBytes)}`,
    `FILENAME_PATTERN ${quoteLiteral(`${options.filePrefix}-{i}`)}`,
  ];
  const ids = Object.entries(options.fieldIds ?? {});
  if (ids.length > 0) {
    settings.push(`FIELD_IDS {${ids.map(([name, id]) => `${quoteIdent(name)}: ${quoteLiteral(id)}`).join(', ')}}`);
  }
  // The newlines keep a trailing `-- comment` of the SELECT from swallowing the closing parenthesis.
  return `COPY (\n${select}\n) TO ${quoteLiteral(dir)} (${settings.join(', ')})`;
}

function assertColumns(names: readonly string[], fieldIds: WriteRequest['fieldIds']): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new ValidationError(`the result has two columns named ${JSON.stringify(name)}`, {
        code: 'validation.duplicate_column',
        hint: 'give every column of the SELECT its own name (AS …)',
        details: { column: name },
      });
    }
    seen.add(name);
  }
  for (const [name, id] of Object.entries(fieldIds ?? {})) {
    if (!seen.has(name)) {
      throw new ValidationError(`field id given for ${JSON.stringify(name)}, which the result does not have`, {
        code: 'validation.field_ids',
        details: { column: name, columns: names },
      });
    }
    if (!Number.isInteger(id) || id < 0) {
      throw new ValidationError(`field id of ${JSON.stringify(name)} must be a non-negative integer, got ${id}`, {
        code: 'validation.field_ids',
        details: { column: name, id },
      });
    }
  }
}

async function assertNoFiles(outDir: string, prefix: string): Promise<void> {
  const taken = (await readdir(outDir)).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.parquet'));
  if (taken.length > 0) {
    throw new EngineError('engine.file_exists', `${outDir} already holds files named ${prefix}-*.parquet`, {
      hint: 'files are never overwritten: write with a new prefix (e.g. the batch id plus the attempt)',
      details: { outDir, filePrefix: prefix, files: taken },
    });
  }
}

/** Moves a finished file to its final name, failing (never overwriting) when the name is taken. */
async function publish(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new EngineError('engine.file_exists', `${to} already exists`, {
        hint: 'files are never overwritten: write with a new prefix',
        details: { path: to },
      });
    }
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    // A file system without hard links: check, then rename.
    const exists = await stat(to).then(
      () => true,
      () => false,
    );
    if (exists) throw new EngineError('engine.file_exists', `${to} already exists`, { details: { path: to } });
    await rename(from, to);
  }
}

function byIndex(a: string, b: string): number {
  const index = (f: string) => Number(/-(\d+)\.parquet$/.exec(f)?.[1] ?? 0);
  return index(a) - index(b);
}

/** Column names and types of a SELECT: our own read of a written file, or (for empty results) the guarded user SQL. */
async function resultColumns(connection: DuckDBConnection, sql: string, ownFile: boolean): Promise<TypedColumn[]> {
  const prepared = ownFile ? await connection.prepare(sql) : (await prepareReadOnly(connection, sql, { allowExplain: false, maxStatements: 1 })).statements[0]!;
  try {
    const typed: TypedColumn[] = [];
    for (let i = 0; i < prepared.columnCount; i++) typed.push({ name: prepared.columnName(i), type: prepared.columnType(i) });
    return typed;
  } finally {
    prepared.destroySync();
  }
}

/** Passes DuckDB's own progress of the running query on, when it knows it. */
function reportProgress(connection: DuckDBConnection, onProgress: (fraction: number) => void): void {
  const { percentage } = connection.progress;
  if (percentage >= 0) onProgress(Math.min(1, percentage / 100));
}

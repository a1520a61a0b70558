import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteIdent, uuidv7 } from '../kernel/index.js';
import { engineErrorFrom } from './errors.js';
import type { InstanceFactory } from './instance-factory.js';
import { writeParquetOnConnection, type ParquetWriterConfig } from './parquet-writer.js';
import type { QuerySlots } from './query-slots.js';
import { openSandboxConnection, PROGRESS_SETTINGS } from './sandbox.js';
import type { TableBinding, WriteResult } from './types.js';

/** What a workspace may read and where it works. */
export interface WorkspaceOptions {
  /** Its own folder: staging files, maps and outputs go here (created; removed on close). */
  readonly workDir: string;
  /** Input files it may read. */
  readonly readPaths?: readonly string[];
  /** Tables it sees as `zone.table` views (e.g. the target table, for dedup). */
  readonly tables?: readonly TableBinding[];
}

/**
 * A DuckDB connection for ade's own multi-step pipelines (ingest): temp
 * tables, appenders, streamed results and Parquet output, sandboxed to the
 * given files and its work folder. Never for user SQL — nothing here is
 * checked against the read-only guard.
 */
export class Workspace {
  readonly workDir: string;
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  readonly #config: ParquetWriterConfig;
  readonly #slots: QuerySlots;
  #closed = false;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection, workDir: string, config: ParquetWriterConfig, slots: QuerySlots) {
    this.#instance = instance;
    this.#connection = connection;
    this.workDir = workDir;
    this.#config = config;
    this.#slots = slots;
  }

  /** Opens a sandboxed instance that may read `readPaths`, the tables' files and `workDir`. */
  static async open(instances: InstanceFactory, slots: QuerySlots, config: ParquetWriterConfig, options: WorkspaceOptions): Promise<Workspace> {
    await mkdir(options.workDir, { recursive: true });
    const tables = options.tables ?? [];
    const { instance, connection } = await slots.run(() =>
      openSandboxConnection(
        instances,
        {
          tempDir: join(config.tempDir, `workspace-${uuidv7()}`),
          maxTempDirectorySize: config.maxTempDirectorySize,
          allowedDirectories: [options.workDir],
          allowedPaths: [...(options.readPaths ?? []), ...tables.flatMap((t) => t.files), options.workDir],
          tables,
        },
        PROGRESS_SETTINGS,
      ),
    );
    return new Workspace(instance, connection, options.workDir, config, slots);
  }

  /** Runs statements (DDL, COPY); returns nothing. */
  async run(sql: string): Promise<void> {
    await this.#step(() => this.#connection.run(sql));
  }

  /** Runs one statement with BLOB parameters ($1, $2, …): secrets stay out of the SQL text. */
  async runWithBlobs(sql: string, blobs: readonly Uint8Array[]): Promise<void> {
    await this.#step(async () => {
      const prepared = await this.#connection.prepare(sql);
      try {
        blobs.forEach((b, i) => prepared.bindBlob(i + 1, b));
        await prepared.run();
      } finally {
        prepared.destroySync();
      }
    });
  }

  /** A small result as JSON-safe row objects. */
  async all(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.#step(() => this.#connection.runAndReadAll(sql));
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Streams a result chunk by chunk (≈2048 rows) as arrays of row values; `onRows` may be async (backpressure). */
  async stream(sql: string, onRows: (rows: unknown[][]) => void | Promise<void>): Promise<number> {
    const result = await this.#step(() => this.#connection.stream(sql));
    let n = 0;
    for (;;) {
      const chunk = await this.#step(() => result.fetchChunk());
      if (!chunk || chunk.rowCount === 0) break;
      const rows = chunk.getRows() as unknown[][];
      n += rows.length;
      await onRows(rows);
    }
    return n;
  }

  /** Creates `table` (all VARCHAR columns) and appends `rows` to it. */
  async createVarcharTable(table: string, columns: readonly string[], rows: Iterable<readonly (string | null)[]>): Promise<void> {
    await this.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(table)} (${columns.map((c) => `${quoteIdent(c)} VARCHAR`).join(', ')})`);
    const appender = await this.#step(() => this.#connection.createAppender(table, 'main', 'temp'));
    try {
      for (const row of rows) {
        for (const v of row) {
          if (v === null) appender.appendNull();
          else appender.appendVarchar(v);
        }
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /** The progress (0..1) of the statement now running, when DuckDB knows it. */
  get progress(): number | undefined {
    const p = this.#connection.progress.percentage;
    return p >= 0 ? Math.min(1, p / 100) : undefined;
  }

  /**
   * Writes a SELECT as zstd Parquet files `<prefix>-<n>.parquet` into `outDir`
   * (under the work folder), with per-file rows, bytes and column statistics.
   */
  async writeParquet(sql: string, outDir: string, filePrefix: string, onProgress?: (fraction: number) => void): Promise<WriteResult> {
    await mkdir(outDir, { recursive: true });
    const staging = join(outDir, `.staging-${uuidv7()}`);
    await mkdir(staging);
    try {
      return await this.#step(() =>
        writeParquetOnConnection(this.#connection, this.#config, { sql, filePrefix, ...(onProgress ? { onProgress } : {}) }, staging, outDir, false),
      );
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.closeSync();
    this.#instance.closeSync();
    await rm(this.workDir, { recursive: true, force: true });
  }

  async #step<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.#slots.run(work);
    } catch (e) {
      throw engineErrorFrom(e, { operation: 'workspace' });
    }
  }
}

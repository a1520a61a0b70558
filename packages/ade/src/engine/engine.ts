import { mkdir } from 'node:fs/promises';
import { assertCanRead, quoteList, uuidv7, type Principal } from '../kernel/index.js';
import { validateEngineConfig } from './engine-config.js';
import { closedError } from './errors.js';
import { InstanceFactory } from './instance-factory.js';
import { ParquetWriter } from './parquet-writer.js';
import { QuerySlots } from './query-slots.js';
import { SandboxPool, type SandboxAccess } from './sandbox-pool.js';
import { Session } from './session.js';
import type {
  EngineConfig,
  QueryResult,
  ResultColumn,
  SessionOptions,
  SystemReadOptions,
  WriteRequest,
  WriteResult,
} from './types.js';
import { VerdictCache } from './verdict-cache.js';
import { Workspace, type WorkspaceOptions } from './workspace.js';

/** Who system reads run as. */
const SYSTEM: Principal = { name: 'system', role: 'admin' };

/**
 * ade's only door to DuckDB: read-only sessions for principals, and the
 * privileged Parquet write path for system jobs.
 *
 * @example
 * const engine = await Engine.create(engineConfig({ tempDir: '/srv/ade/.ade/tmp' }));
 * const session = await engine.openSession({
 *   principal: { name: 'ana', role: 'analyst' },
 *   tables: [{ zone: 'clean', name: 'orders', columns, files }],
 *   allowedDirectories: ['/srv/ade/.ade/lake/clean'],
 * });
 */
export class Engine {
  readonly config: Required<EngineConfig>;
  readonly #instances: InstanceFactory;
  readonly #slots: QuerySlots;
  readonly #verdicts = new VerdictCache();
  readonly #sandboxes: SandboxPool;
  readonly #writer: ParquetWriter;
  readonly #sessions = new Set<Session>();
  #closed = false;

  /** Takes a checked configuration whose `tempDir` exists; use {@link Engine.create}. */
  constructor(config: Required<EngineConfig>) {
    this.config = config;
    this.#instances = new InstanceFactory(config);
    this.#slots = new QuerySlots(config.maxConcurrentQueries);
    this.#sandboxes = new SandboxPool(this.#instances, {
      tempRoot: config.tempDir,
      maxTempDirectorySize: config.maxTempDirectorySize,
      maxIdle: config.warmSandboxes,
      idleMs: config.warmSandboxMs,
    });
    this.#writer = new ParquetWriter(config, this.#instances, this.#slots);
  }

  /** Checks `config` and creates its temp directory. */
  static async create(config: EngineConfig): Promise<Engine> {
    const checked = validateEngineConfig(config);
    await mkdir(checked.tempDir, { recursive: true });
    return new Engine(checked);
  }

  /**
   * Opens a session for `principal`: an in-memory DuckDB instance of its own
   * with a `zone.table` view per binding, allowed to read only
   * `allowedDirectories` and locked before any user SQL runs. The instance is
   * a warm one when an earlier session with exactly the same tables and
   * directories has closed (see `SandboxPool`), else a new one.
   *
   * Throws `PermissionError` when a binding's zone is not readable by the
   * principal's role or a bound file lies outside the allowed directories.
   */
  async openSession(options: SessionOptions): Promise<Session> {
    for (const table of options.tables) assertCanRead(options.principal, table.zone);
    const session = await this.#open(options.principal, {
      tables: options.tables,
      allowedDirectories: options.allowedDirectories,
      allowedPaths: [],
    });
    this.#sessions.add(session);
    return session;
  }

  /**
   * The columns of a read-only query over exactly what `options` names, from
   * binding it without running it. For system jobs (a load or model build
   * planning its write).
   */
  async describe(sql: string, options: SystemReadOptions = {}): Promise<ResultColumn[]> {
    return this.#asSystem(options, (session) => session.describe(sql, options));
  }

  /**
   * Runs a read-only query over exactly what `options` names and returns its
   * (small) result, e.g. `sniff_csv` of an input file. For system jobs.
   */
  async inspect(sql: string, options: SystemReadOptions = {}): Promise<QueryResult> {
    return this.#asSystem(options, (session) => session.query(sql, options));
  }

  /** The rows of Parquet files, summed from their footers (the files must read). */
  async countParquetRows(paths: readonly string[]): Promise<number> {
    if (paths.length === 0) return 0;
    const result = await this.inspect(`SELECT coalesce(sum(num_rows), 0) AS n FROM parquet_file_metadata(${quoteList(paths)})`, {
      readPaths: paths,
    });
    return Number(result.rows[0]?.['n'] ?? 0);
  }

  /**
   * Writes the result of a SELECT as Parquet files (see `ParquetWriter`).
   * For system jobs only: the caller decides what the write may read.
   */
  async write(request: WriteRequest): Promise<WriteResult> {
    if (this.#closed) throw closedError('engine');
    return this.#writer.write(request);
  }

  /** Several writes on one sandbox, in order (see `ParquetWriter.writeAll`): a day model's days. */
  async writeAll(requests: readonly WriteRequest[]): Promise<WriteResult[]> {
    if (this.#closed) throw closedError('engine');
    return this.#writer.writeAll(requests);
  }

  /**
   * A privileged DuckDB connection for ade's own multi-step pipelines (see
   * `Workspace`). Never hand it user SQL.
   */
  async openWorkspace(options: WorkspaceOptions): Promise<Workspace> {
    if (this.#closed) throw closedError('engine');
    return Workspace.open(this.#instances, this.#slots, this.config, options);
  }

  async #asSystem<T>(options: SystemReadOptions, work: (session: Session) => Promise<T>): Promise<T> {
    const tables = options.tables ?? [];
    const session = await this.#open(SYSTEM, {
      tables,
      allowedDirectories: options.readDirectories ?? [],
      allowedPaths: [...(options.readPaths ?? []), ...tables.flatMap((t) => t.files)],
    });
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }

  async #open(principal: Principal, access: SandboxAccess): Promise<Session> {
    if (this.#closed) throw closedError('engine');
    const lease = await this.#slots.run(() => this.#sandboxes.acquire(access));
    return new Session(lease.instance, {
      id: uuidv7(),
      principal,
      queryTimeoutMs: this.config.queryTimeoutMs,
      slots: this.#slots,
      verdicts: this.#verdicts,
      release: () => lease.release(),
      onClose: (s) => this.#sessions.delete(s),
    });
  }

  /** Closes every open session; later calls fail with `engine.closed`. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#sessions].map((s) => s.close()));
    await this.#sandboxes.close();
    await this.#instances.close();
  }
}

import { DuckDBInstance } from '@duckdb/node-api';

/** What every instance the engine opens shares. */
export interface InstanceBase {
  /** DuckDB `memory_limit`, e.g. `1GB`. */
  readonly memoryLimit: string;
  /** DuckDB worker threads. */
  readonly threads: number;
}

/**
 * Hands out fresh in-memory DuckDB instances, keeping one created ahead so
 * that opening a session or a write does not wait the ~15 ms DuckDB takes to
 * start. An instance is never handed out twice; each is configured and locked
 * by its user (see `lockSandbox`).
 */
export class InstanceFactory {
  readonly #base: InstanceBase;
  #spare: Promise<DuckDBInstance> | undefined;
  #closed = false;

  constructor(base: InstanceBase) {
    this.#base = base;
  }

  /** A new instance, never used before; the caller closes it. */
  async take(): Promise<DuckDBInstance> {
    const next = this.#spare ?? this.#create();
    this.#spare = this.#closed ? undefined : this.#create();
    // A failed spare is reported to the caller that takes it, never as an unhandled rejection.
    this.#spare?.catch(() => undefined);
    return next;
  }

  /** Closes the spare instance; later `take` calls still work but keep no spare. */
  async close(): Promise<void> {
    this.#closed = true;
    const spare = this.#spare;
    this.#spare = undefined;
    const instance = await spare?.catch(() => undefined);
    instance?.closeSync();
  }

  #create(): Promise<DuckDBInstance> {
    return DuckDBInstance.create(':memory:', {
      memory_limit: this.#base.memoryLimit,
      threads: String(this.#base.threads),
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      allow_community_extensions: 'false',
      allow_unsigned_extensions: 'false',
    });
  }
}

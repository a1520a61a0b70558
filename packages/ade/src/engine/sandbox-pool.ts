import type { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { uuidv7 } from '../kernel/index.js';
import type { InstanceFactory } from './instance-factory.js';
import { asDirectory, openSandbox, type SandboxOptions } from './sandbox.js';

/** What a sandbox is opened for; two requests with the same access may share a warm instance. */
export type SandboxAccess = Pick<SandboxOptions, 'allowedDirectories' | 'allowedPaths' | 'tables'>;

/** How many locked instances the pool keeps warm, and for how long. */
export interface SandboxPoolOptions {
  /** Spill directories are made below this one, one per instance. */
  readonly tempRoot: string;
  /** DuckDB `max_temp_directory_size` of each instance. */
  readonly maxTempDirectorySize: string;
  /** Most unused instances kept; 0 closes every instance when its session ends. */
  readonly maxIdle: number;
  /** An unused instance is closed after this many milliseconds. */
  readonly idleMs: number;
}

/** A locked instance lent to one session at a time. */
export interface SandboxLease {
  readonly instance: DuckDBInstance;
  /** Gives the instance back: kept warm for the next session with the same access, or closed. */
  release(): Promise<void>;
}

interface Idle {
  readonly key: string;
  readonly instance: DuckDBInstance;
  readonly tempDir: string;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Lends locked sandboxes, keeping a few warm after their session ends. A new
 * session whose access (allowed directories and paths, tables with their
 * columns and files) is exactly that of a warm one gets it: its views are
 * bound, its Parquet footers cached, and it skips opening and locking. Only
 * one session uses an instance at a time, so each keeps its own memory limit.
 *
 * Sharing is safe because nothing a session can run changes an instance: no
 * statement but a read is admitted, settings are locked, and whatever a
 * reader could observe (caches, its own temporary files) concerns data every
 * holder of the same access may read anyway.
 */
export class SandboxPool {
  readonly #factory: InstanceFactory;
  readonly #options: SandboxPoolOptions;
  readonly #idle: Idle[] = [];
  #closed = false;

  constructor(factory: InstanceFactory, options: SandboxPoolOptions) {
    this.#factory = factory;
    this.#options = options;
  }

  async acquire(access: SandboxAccess): Promise<SandboxLease> {
    const key = accessKey(access);
    const at = this.#idle.findIndex((i) => i.key === key);
    if (at >= 0) {
      const [idle] = this.#idle.splice(at, 1);
      clearTimeout(idle!.timer);
      return this.#lease(key, idle!.instance, idle!.tempDir);
    }
    const tempDir = join(this.#options.tempRoot, `sandbox-${uuidv7()}`);
    try {
      const instance = await openSandbox(this.#factory, { ...access, tempDir, maxTempDirectorySize: this.#options.maxTempDirectorySize });
      return this.#lease(key, instance, tempDir);
    } catch (e) {
      await rm(tempDir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Closes every warm instance; instances lent out are closed when given back. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#idle.splice(0).map((idle) => this.#dispose(idle)));
  }

  #lease(key: string, instance: DuckDBInstance, tempDir: string): SandboxLease {
    let released = false;
    return {
      instance,
      release: async () => {
        if (released) return;
        released = true;
        if (this.#closed || this.#options.maxIdle === 0) {
          await closeInstance(instance, tempDir);
          return;
        }
        const timer = setTimeout(() => void this.#expire(key, instance), this.#options.idleMs);
        timer.unref();
        this.#idle.push({ key, instance, tempDir, timer });
        if (this.#idle.length > this.#options.maxIdle) await this.#dispose(this.#idle.shift()!);
      },
    };
  }

  async #expire(key: string, instance: DuckDBInstance): Promise<void> {
    const at = this.#idle.findIndex((i) => i.key === key && i.instance === instance);
    if (at >= 0) await this.#dispose(this.#idle.splice(at, 1)[0]!);
  }

  async #dispose(idle: Idle): Promise<void> {
    clearTimeout(idle.timer);
    await closeInstance(idle.instance, idle.tempDir);
  }
}

async function closeInstance(instance: DuckDBInstance, tempDir: string): Promise<void> {
  instance.closeSync();
  await rm(tempDir, { recursive: true, force: true });
}

/** A digest of everything that makes two sandboxes different. */
function accessKey(access: SandboxAccess): string {
  const canonical = JSON.stringify({
    directories: access.allowedDirectories.map(asDirectory).sort(),
    paths: access.allowedPaths.map((p) => resolve(p)).sort(),
    tables: access.tables.map((t) => ({
      zone: t.zone,
      name: t.name,
      columns: t.columns.map((c) => [c.name, c.type]),
      files: t.files,
    })),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

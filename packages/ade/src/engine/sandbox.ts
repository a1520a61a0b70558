import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { resolve, sep } from 'node:path';
import { quoteList, quoteLiteral } from '../kernel/index.js';
import { engineErrorFrom } from './errors.js';
import type { InstanceFactory } from './instance-factory.js';
import { createTableViews } from './table-views.js';
import type { TableBinding } from './types.js';

/** What one DuckDB instance may use and see. */
export interface SandboxOptions {
  /** This instance's own spill directory (DuckDB also lets it be read). */
  readonly tempDir: string;
  /** DuckDB `max_temp_directory_size`. */
  readonly maxTempDirectorySize: string;
  /** Directories (and everything below them) the instance may read or write. */
  readonly allowedDirectories: readonly string[];
  /** Single files the instance may read. */
  readonly allowedPaths: readonly string[];
  /** Tables to expose as `zone.table` views. */
  readonly tables: readonly TableBinding[];
}

/**
 * Takes a fresh instance and shuts it in: extensions can be neither installed
 * nor loaded (by hand or automatically), it spills to its own `tempDir`,
 * `allowed_directories`/`allowed_paths` hold exactly the given paths (and the
 * spill directory, which DuckDB adds itself), external access is off and the
 * configuration is locked, all before the views are created. Each instance
 * has its own lock, so every session (and every write) gets one.
 */
export async function openSandbox(factory: InstanceFactory, options: SandboxOptions): Promise<DuckDBInstance> {
  const { instance, connection } = await openSandboxConnection(factory, options, []);
  connection.closeSync();
  return instance;
}

/**
 * Like {@link openSandbox}, but keeps the set-up connection open and runs
 * `localSettings` (connection-local settings such as progress tracking) on it
 * before the configuration is locked.
 */
export async function openSandboxConnection(
  factory: InstanceFactory,
  options: SandboxOptions,
  localSettings: readonly string[],
): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const instance = await factory.take();
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    const settings = sandboxSettings(options);
    await connection.run([...settings.slice(0, -1), ...localSettings, settings.at(-1)!].join(';\n'));
    await createTableViews(connection, options.tables);
    return { instance, connection };
  } catch (e) {
    connection?.closeSync();
    instance.closeSync();
    throw engineErrorFrom(e, { operation: 'open' });
  }
}

/** Connection-local settings that make DuckDB track (never print) the progress of a running query. */
export const PROGRESS_SETTINGS: readonly string[] = [
  'SET enable_progress_bar = true',
  'SET enable_progress_bar_print = false',
  'SET progress_bar_time = 0',
];

/** The settings, in order: the lock must come last. */
export function sandboxSettings(options: SandboxOptions): string[] {
  return [
    `SET temp_directory = ${quoteLiteral(resolve(options.tempDir))}`,
    `SET max_temp_directory_size = ${quoteLiteral(options.maxTempDirectorySize)}`,
    'SET parquet_metadata_cache = true',
    `SET allowed_directories = ${quoteList(options.allowedDirectories.map(asDirectory))}`,
    `SET allowed_paths = ${quoteList(options.allowedPaths.map((p) => resolve(p)))}`,
    'SET enable_external_access = false',
    'SET lock_configuration = true',
  ];
}

/** An absolute directory path ending in the separator, as DuckDB matches prefixes. */
export function asDirectory(dir: string): string {
  const abs = resolve(dir);
  return abs.endsWith(sep) ? abs : abs + sep;
}

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogConfig } from '../catalog/index.js';
import type { Clock } from '../kernel/index.js';
import { DEFAULT_ENGINE_CONFIG } from '../engine/index.js';
import { Lake } from '../lake/index.js';

/**
 * For tests: a lake in a new folder under the OS temp dir (`<prefix>…`): local
 * storage, a SQLite catalog in the folder unless `catalog` says otherwise,
 * DuckDB with `threads` threads. The caller closes the lake and removes `dir`.
 */
export async function openTempLake(prefix: string, opts: { threads?: number; catalog?: (dir: string) => Promise<CatalogConfig>; clock?: Clock } = {}): Promise<{ dir: string; lake: Lake }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const lake = await Lake.open({
    storage: { kind: 'local', root: join(dir, 'lake') },
    catalog: opts.catalog ? await opts.catalog(dir) : { kind: 'sqlite', path: join(dir, 'catalog.db') },
    engine: { ...DEFAULT_ENGINE_CONFIG, threads: opts.threads ?? 1, tempDir: join(dir, 'tmp') },
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  return { dir, lake };
}

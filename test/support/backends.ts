// Catalog backends every end-to-end test loops over: SQLite always, Postgres
// when a server answers (always under CI=true; see test-support/postgres.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogConfig } from '../../packages/ade/src/catalog/index.js';
import { DEFAULT_ENGINE_CONFIG } from '../../packages/ade/src/engine/index.js';
import type { LakeConfig } from '../../packages/ade/src/lake/index.js';
import { freshPostgresDatabase, postgresAvailable } from '../../packages/ade/src/test-support/postgres.js';

export interface BackendFixture {
  readonly name: 'sqlite' | 'postgres';
  readonly dir: string;
  readonly catalog: CatalogConfig;
  /** A lake on local storage in `dir` over this catalog. */
  readonly lake: LakeConfig;
  cleanup(): Promise<void>;
}

export const BACKENDS = ['sqlite', 'postgres'] as const;

/** A temp folder and a catalog of its own on the given backend, or undefined when Postgres is absent (and CI is not set). */
export async function backendFixture(name: 'sqlite' | 'postgres', label: string): Promise<BackendFixture | undefined> {
  const dir = await mkdtemp(join(tmpdir(), `ade-${label}-`));
  const lake = (catalog: CatalogConfig): LakeConfig => ({
    storage: { kind: 'local', root: join(dir, 'lake') },
    catalog,
    engine: { ...DEFAULT_ENGINE_CONFIG, tempDir: join(dir, 'tmp') },
  });
  if (name === 'sqlite') {
    const catalog: CatalogConfig = { kind: 'sqlite', path: join(dir, 'catalog.db') };
    return { name, dir, catalog, lake: lake(catalog), cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
  if (!(await postgresAvailable())) {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  const db = await freshPostgresDatabase(label.replace(/[^a-z0-9_]/g, '_'));
  const catalog: CatalogConfig = { kind: 'postgres', url: db.url };
  return {
    name,
    dir,
    catalog,
    lake: lake(catalog),
    cleanup: async () => {
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

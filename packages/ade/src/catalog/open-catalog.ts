import { ValidationError, systemClock } from '../kernel/index.js';
import type { CatalogStore } from './catalog-store.js';
import { CATALOG_DEFAULTS, type CatalogConfig } from './config.js';
import { migrate } from './migrations.js';
import { SqlCatalogStore } from './sql-catalog-store.js';
import type { SqlDriver } from './sql-driver.js';
import { SqliteDriver } from './sqlite-driver.js';

/** Opens the database a config names, without migrating it. */
export async function openCatalogDriver(config: CatalogConfig): Promise<SqlDriver> {
  switch (config?.kind) {
    case 'sqlite':
      if (typeof config.path !== 'string' || config.path === '') {
        throw new ValidationError('the SQLite catalog needs a path', { code: 'validation.config', hint: 'e.g. { kind: "sqlite", path: ".ade/catalog.db" }' });
      }
      return SqliteDriver.open({ path: config.path, busyTimeoutMs: config.busyTimeoutMs ?? CATALOG_DEFAULTS.busyTimeoutMs });
    case 'postgres':
      if (typeof config.url !== 'string' || config.url === '') {
        throw new ValidationError('the Postgres catalog needs a url', { code: 'validation.config', hint: 'e.g. { kind: "postgres", url: "postgres://ade@db:5432/ade" }' });
      }
      // Loaded on demand: embedded projects never need pg.
      const { PostgresDriver } = await import('./postgres-driver.js');
      return PostgresDriver.open({
        url: config.url,
        poolSize: config.poolSize ?? CATALOG_DEFAULTS.poolSize,
        lockTimeoutMs: config.lockTimeoutMs ?? CATALOG_DEFAULTS.lockTimeoutMs,
        idleInTransactionTimeoutMs: CATALOG_DEFAULTS.idleInTransactionTimeoutMs,
      });
    default:
      throw new ValidationError(`unknown catalog kind ${JSON.stringify((config as { kind?: unknown })?.kind)}`, {
        code: 'validation.config',
        hint: 'the catalog kind is sqlite or postgres',
      });
  }
}

/**
 * Opens the catalog a config names and brings its schema up to date.
 *
 * @example
 * const catalog = await openCatalog({ kind: 'sqlite', path: '.ade/catalog.db' });
 * const team = await openCatalog({ kind: 'postgres', url: 'postgres://ade@db:5432/ade', poolSize: 10 });
 */
export async function openCatalog(config: CatalogConfig): Promise<CatalogStore> {
  const driver = await openCatalogDriver(config);
  const clock = config.clock ?? systemClock;
  try {
    await migrate(driver, clock);
  } catch (e) {
    await driver.close().catch(() => {});
    throw e;
  }
  return new SqlCatalogStore(driver, {
    clock,
    retry: {
      maxRetries: config.maxRetries ?? CATALOG_DEFAULTS.maxRetries,
      baseDelayMs: CATALOG_DEFAULTS.retryBaseDelayMs,
      maxDelayMs: CATALOG_DEFAULTS.retryMaxDelayMs,
    },
  });
}

import { ZONES } from '../kernel/index.js';
import { DEFAULT_GC_CONFIG, type GcConfig } from './config.js';
import type { Lake } from './lake.js';

export interface GcOptions extends Partial<GcConfig> {
  /** Report what would be removed without removing anything. */
  readonly dryRun?: boolean;
}

export interface GcReport {
  readonly dryRun: boolean;
  /** Snapshots that passed the retention and can no longer be read. */
  readonly expiredSnapshots: number;
  /** Data files no retained snapshot references, deleted (or to delete). */
  readonly deletedFiles: number;
  /** Objects no catalog entry knows (abandoned writes), deleted. */
  readonly deletedOrphans: number;
  readonly freedBytes: number;
  /** Orphans still inside the grace period, left alone. */
  readonly keptInGrace: number;
  /** Staging directories killed writers left, past the grace period, removed (or to remove). */
  readonly deletedStaging: number;
}

/**
 * Expires old snapshots and deletes files nothing retained references.
 * Never deletes a file of a retained snapshot, nor a file staged by a commit in
 * flight (registered in the catalog), nor any unknown file younger than the grace period.
 */
/** `<zone>/<table>/data/…`: the layout of table data files (see `dataFileKey`). */
const TABLE_DATA = /^[^/]+\/[^/]+\/data\//;

export async function collectGarbage(lake: Lake, options: GcOptions = {}): Promise<GcReport> {
  const cfg = { ...DEFAULT_GC_CONFIG, ...options };
  const dryRun = options.dryRun ?? false;
  const now = lake.clock.now().getTime();
  const expiredSnapshots = dryRun ? 0 : await lake.catalog.expireSnapshots({ before: new Date(now - cfg.retentionMs), keepLast: cfg.keepLast });

  let deletedFiles = 0;
  let freedBytes = 0;
  const unreferenced = await lake.catalog.unreferencedFiles();
  const forget: number[] = [];
  for (const file of unreferenced) {
    if (!dryRun) await lake.store.delete(file.path);
    forget.push(file.id);
    deletedFiles++;
    freedBytes += file.bytes;
  }
  if (!dryRun && forget.length) await lake.catalog.forgetFiles(forget);

  // Orphans: objects under the zones that no retained snapshot references and
  // no commit in flight has staged (abandoned stages count once past the grace).
  const graceCutoff = new Date(now - cfg.graceMs);
  const stageCutoff = new Date(now - Math.max(cfg.graceMs, cfg.stageTimeoutMs));
  const keep = await lake.catalog.protectedPaths({ stagedNewerThan: stageCutoff });
  let deletedOrphans = 0;
  let keptInGrace = 0;
  const orphans: string[] = [];
  for (const zone of ZONES) {
    for await (const obj of lake.store.list(`${zone}/`)) {
      // Only table data is the catalog's to collect; ingested input files
      // (`raw/<source>/files/…`, `archive/…`) are tracked by the ingest ledger.
      if (!TABLE_DATA.test(obj.key) || keep.has(obj.key)) continue;
      if (obj.modified > graceCutoff) {
        keptInGrace++;
        continue;
      }
      orphans.push(obj.key);
      deletedOrphans++;
      freedBytes += obj.size;
    }
  }
  if (!dryRun) {
    for (const key of orphans) await lake.store.delete(key);
    if (orphans.length) await lake.catalog.unregisterStaged(orphans);
  }
  // Files a killed writer staged but never uploaded sit in a staging directory of their own.
  const deletedStaging = dryRun ? 0 : await lake.store.removeStaleStaging(graceCutoff);
  if (!dryRun && (expiredSnapshots || deletedFiles || deletedOrphans || deletedStaging)) {
    await lake.catalog.audit({
      actor: 'gc',
      action: 'gc',
      target: 'lake',
      details: { expiredSnapshots, deletedFiles, deletedOrphans, deletedStaging, freedBytes },
    });
  }
  return { dryRun, expiredSnapshots, deletedFiles, deletedOrphans, freedBytes, keptInGrace, deletedStaging };
}


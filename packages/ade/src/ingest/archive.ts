import type { IngestedFile } from '../catalog/index.js';
import { assertCanWrite, messageOf, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import type { SourceConfig } from './source-config.js';

export interface ArchiveOptions {
  /** Report what would move and be deleted without touching anything. */
  readonly dryRun?: boolean;
  /** The time retention is measured from; default: the lake's clock. */
  readonly now?: Date;
}

/** What `archiveSources` did (or would do) for one source. Counts and keys only, never contents. */
export interface ArchiveReport {
  readonly source: string;
  readonly dryRun: boolean;
  /** Raw files moved to the archive zone (half-done moves of an earlier run included). */
  readonly moved: number;
  /** Bytes moved to the archive zone. */
  readonly bytes: number;
  /** Archived files deleted because they passed `archive_retention`. */
  readonly deleted: number;
  readonly deletedBytes: number;
  /** Raw copies left behind by an interrupted move, removed now. */
  readonly leftoversRemoved: number;
  /** Files that could not be handled (e.g. the raw copy is missing), with the reason. The run goes on. */
  readonly problems: readonly { readonly key: string; readonly problem: string }[];
}

/** The archive key of a raw copy: `raw/<source>/files/…` → `archive/<source>/files/…` (same suffix). */
export function archiveKeyFor(rawKey: string): string {
  return rawKey.startsWith('raw/') ? `archive/${rawKey.slice('raw/'.length)}` : `archive/${rawKey}`;
}

/** The raw key an archive key came from (inverse of {@link archiveKeyFor}). */
function rawKeyOf(archiveKey: string): string | undefined {
  return archiveKey.startsWith('archive/') ? `raw/${archiveKey.slice('archive/'.length)}` : undefined;
}

/**
 * `ade archive`: for every source with `rawRetentionMs`, raw copies ingested
 * before now − raw retention move to `archive/<source>/files/…`; with
 * `archiveRetentionMs`, archived copies ingested before now − archive retention
 * are deleted. Both ages count from the ingest time.
 *
 * A move is copy → ledger update → delete of the raw object, so a crash never
 * loses a file; a re-run finishes half-done moves (an archive object that
 * exists while the ledger still says raw is not copied again) and removes raw
 * objects a crash left behind. A deletion removes the object first and then
 * marks the ledger record `deleted` (kept, so the file is still known as ingested).
 * One audit event per source and action (`archive.move`, `archive.delete`).
 *
 * @example
 * const [r] = await archiveSources(lake, engineer, [source], { dryRun: true });
 * console.log(`${r.moved} file(s) would move`);
 */
export async function archiveSources(lake: Lake, principal: Principal, sources: readonly SourceConfig[], opts: ArchiveOptions = {}): Promise<ArchiveReport[]> {
  assertCanWrite(principal, 'raw');
  assertCanWrite(principal, 'archive');
  const now = (opts.now ?? lake.clock.now()).getTime();
  const dryRun = opts.dryRun ?? false;
  const reports: ArchiveReport[] = [];
  for (const source of sources) {
    reports.push(await archiveSource(lake, principal, source, now, dryRun));
  }
  return reports;
}

async function archiveSource(lake: Lake, principal: Principal, source: SourceConfig, now: number, dryRun: boolean): Promise<ArchiveReport> {
  const problems: { key: string; problem: string }[] = [];
  let moved = 0;
  let bytes = 0;
  let deleted = 0;
  let deletedBytes = 0;
  let leftoversRemoved = 0;

  if (source.rawRetentionMs !== undefined) {
    const due = await lake.catalog.listIngestedFiles({ source: source.name, zone: 'raw', before: new Date(now - source.rawRetentionMs) });
    for (const file of due) {
      try {
        const size = await moveToArchive(lake, file, dryRun);
        if (size === undefined) {
          problems.push({ key: file.rawKey, problem: 'the raw copy is missing and there is no archive copy; the ledger record stays in raw' });
          continue;
        }
        moved++;
        bytes += size;
      } catch (e) {
        problems.push({ key: file.rawKey, problem: messageOf(e) });
      }
    }
    if (moved > 0 && !dryRun) {
      await lake.catalog.audit({ actor: principal.name, action: 'archive.move', target: `raw/${source.name}`, details: { files: moved, bytes } });
    }
  }

  if (source.archiveRetentionMs !== undefined) {
    const due = dryRun
      ? await dueForDeletionDryRun(lake, source, now)
      : await lake.catalog.listIngestedFiles({ source: source.name, zone: 'archive', before: new Date(now - source.archiveRetentionMs) });
    for (const file of due) {
      try {
        const key = dryRun && file.zone === 'raw' ? archiveKeyFor(file.rawKey) : file.rawKey;
        const info = await lake.store.stat(dryRun && file.zone === 'raw' ? file.rawKey : key);
        const size = info?.size ?? 0;
        if (!dryRun) {
          // Object first, then the ledger: a crash in between leaves a record whose deletion the next run repeats.
          await lake.store.delete(key);
          await lake.catalog.updateIngestedFile(source.name, file.contentHash, { zone: 'deleted' });
        }
        deleted++;
        deletedBytes += size;
      } catch (e) {
        problems.push({ key: file.rawKey, problem: messageOf(e) });
      }
    }
    if (deleted > 0 && !dryRun) {
      await lake.catalog.audit({ actor: principal.name, action: 'archive.delete', target: `raw/${source.name}`, details: { files: deleted, bytes: deletedBytes } });
    }
  }

  if (!dryRun && (source.rawRetentionMs !== undefined || source.archiveRetentionMs !== undefined)) {
    leftoversRemoved = await removeLeftovers(lake, source.name);
  }
  return { source: source.name, dryRun, moved, bytes, deleted, deletedBytes, leftoversRemoved, problems };
}

/**
 * Moves one raw copy; returns its size, or undefined when neither the raw nor
 * the archive object exists. A dry run only looks.
 */
async function moveToArchive(lake: Lake, file: IngestedFile, dryRun: boolean): Promise<number | undefined> {
  const target = archiveKeyFor(file.rawKey);
  const archived = await lake.store.stat(target);
  const raw = archived ? undefined : await lake.store.stat(file.rawKey);
  if (!archived && !raw) return undefined;
  if (dryRun) return (archived ?? raw)!.size;
  // An archive object that exists is the copy of an earlier, interrupted run: the raw object is deleted only after the ledger moved.
  const copied = archived ?? (await lake.store.copy(file.rawKey, target));
  await lake.catalog.updateIngestedFile(file.source, file.contentHash, { zone: 'archive', rawKey: target });
  await lake.store.delete(file.rawKey);
  return copied.size;
}

/** What a dry run would delete: archived files past retention, and raw files this run would first move. */
async function dueForDeletionDryRun(lake: Lake, source: SourceConfig, now: number): Promise<IngestedFile[]> {
  const before = new Date(now - source.archiveRetentionMs!);
  const archived = await lake.catalog.listIngestedFiles({ source: source.name, zone: 'archive', before });
  if (source.rawRetentionMs === undefined) return archived;
  const moving = await lake.catalog.listIngestedFiles({ source: source.name, zone: 'raw', before: new Date(Math.min(before.getTime(), now - source.rawRetentionMs)) });
  return [...archived, ...moving];
}

/**
 * Raw objects whose file the ledger already has in the archive (or deleted):
 * left by a crash between the ledger update and the raw delete. Raw objects
 * the ledger does not know are left alone (an ingest may be writing them).
 */
async function removeLeftovers(lake: Lake, source: string): Promise<number> {
  const moved = new Set<string>();
  for (const zone of ['archive', 'deleted'] as const) {
    for (const f of await lake.catalog.listIngestedFiles({ source, zone })) {
      const raw = rawKeyOf(f.rawKey);
      if (raw) moved.add(raw);
    }
  }
  if (moved.size === 0) return 0;
  let removed = 0;
  for await (const o of lake.store.list(`raw/${source}/files/`)) {
    if (!moved.has(o.key)) continue;
    await lake.store.delete(o.key);
    removed++;
  }
  return removed;
}

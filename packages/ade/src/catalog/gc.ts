import { ValidationError } from '../kernel/index.js';
import { checkCount, checkDate, type CatalogContext } from './catalog-context.js';
import { CatalogError } from './errors.js';
import { DATA_FILE_COLUMNS, toDataFile, type DataFileRow } from './rows.js';
import { chunked, placeholders, type SqlExecutor } from './sql-driver.js';
import type { DataFile } from './types.js';

/**
 * A file (`f`, joined with its table `t`) that no unexpired snapshot sees:
 * its table was dropped, or it was removed at or before the oldest unexpired
 * snapshot of its table. Expiry only ever takes a prefix of a history, so
 * every snapshot from the oldest unexpired one on is readable.
 */
const UNREFERENCED = `(t.dropped_at IS NOT NULL OR (f.removed_seq IS NOT NULL AND f.removed_seq <= COALESCE(
  (SELECT MIN(s.seq) FROM snapshots s WHERE s.table_id = f.table_id AND s.expired_at IS NULL), 0)))`;

function checkPaths(paths: readonly string[]): string[] {
  if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string' || p === '')) {
    throw new ValidationError('paths must be a list of non-empty strings', { code: 'validation.invalid' });
  }
  return [...new Set(paths)];
}

/** Records paths about to be written; refuses a path that already belongs to a committed file. */
export async function registerStaged(tx: SqlExecutor, ctx: CatalogContext, paths: readonly string[]): Promise<void> {
  const list = checkPaths(paths);
  const now = ctx.clock.now().getTime();
  for (const part of chunked(list)) {
    const taken = await tx.query<{ path: string }>(`SELECT path FROM data_files WHERE path IN (${placeholders(part.length)})`, part);
    if (taken.length > 0) {
      throw new CatalogError('catalog.file_exists', `cannot stage ${taken[0]!.path}: a committed file already has that path`, {
        hint: 'files are never overwritten: write under a new batch id',
        details: { paths: taken.map((r) => r.path).slice(0, 20) },
      });
    }
    for (const path of part) {
      await tx.run('INSERT INTO staged_files (path, created_at) VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET created_at = excluded.created_at', [
        path,
        now,
      ]);
    }
  }
}

export async function unregisterStaged(tx: SqlExecutor, paths: readonly string[]): Promise<void> {
  for (const part of chunked(checkPaths(paths))) {
    await tx.run(`DELETE FROM staged_files WHERE path IN (${placeholders(part.length)})`, part);
  }
}

/**
 * Expires, per table, the oldest snapshots committed before `before`, except
 * the last `keepLast` (at least the current one). Only a prefix of each history
 * expires: a snapshot committed before `before` but after a newer-than-`before`
 * one stays (clocks of different writers may disagree).
 */
export async function expireSnapshots(tx: SqlExecutor, ctx: CatalogContext, opts: { before: Date; keepLast: number }): Promise<number> {
  const before = checkDate('before', opts.before);
  const keep = Math.max(1, checkCount('keepLast', opts.keepLast));
  const r = await tx.run(
    `UPDATE snapshots SET expired_at = ?
     WHERE expired_at IS NULL
       AND seq <= (SELECT MAX(s2.seq) FROM snapshots s2 WHERE s2.table_id = snapshots.table_id) - ?
       AND seq < COALESCE((SELECT MIN(s3.seq) FROM snapshots s3 WHERE s3.table_id = snapshots.table_id AND s3.committed_at >= ?), ?)
       AND id NOT IN (SELECT current_snapshot_id FROM tables WHERE current_snapshot_id IS NOT NULL)`,
    [ctx.clock.now().getTime(), keep, before, Number.MAX_SAFE_INTEGER],
  );
  return r.changes;
}

/** Files no unexpired snapshot references, oldest first. */
export async function unreferencedFiles(tx: SqlExecutor): Promise<DataFile[]> {
  const rows = await tx.query<DataFileRow>(
    `SELECT ${DATA_FILE_COLUMNS.split(', ').map((c) => `f.${c}`).join(', ')}
     FROM data_files f JOIN tables t ON t.id = f.table_id
     WHERE ${UNREFERENCED}
     ORDER BY f.id`,
  );
  return rows.map(toDataFile);
}

/** Every path a readable snapshot references, plus paths staged at or after `stagedNewerThan`. */
export async function protectedPaths(tx: SqlExecutor, stagedNewerThan: Date): Promise<Set<string>> {
  const cutoff = checkDate('stagedNewerThan', stagedNewerThan);
  const referenced = await tx.query<{ path: string }>(
    `SELECT f.path FROM data_files f JOIN tables t ON t.id = f.table_id WHERE NOT ${UNREFERENCED}`,
  );
  const staged = await tx.query<{ path: string }>('SELECT path FROM staged_files WHERE created_at >= ?', [cutoff]);
  return new Set([...referenced, ...staged].map((r) => r.path));
}

/** Forgets file records; refuses (forgetting nothing) when any of them is still referenced. */
export async function forgetFiles(tx: SqlExecutor, fileIds: readonly number[]): Promise<void> {
  if (!Array.isArray(fileIds) || fileIds.some((id) => !Number.isSafeInteger(id))) {
    throw new ValidationError('fileIds must be a list of file ids', { code: 'validation.invalid' });
  }
  const ids = [...new Set(fileIds)];
  for (const part of chunked(ids)) {
    const live = await tx.query<{ id: number; path: string }>(
      `SELECT f.id, f.path FROM data_files f JOIN tables t ON t.id = f.table_id
       WHERE f.id IN (${placeholders(part.length)}) AND NOT ${UNREFERENCED}`,
      part,
    );
    if (live.length > 0) {
      throw new CatalogError('catalog.file_referenced', `file ${live[0]!.path} is still referenced by a readable snapshot`, {
        hint: 'forget only files listed by unreferencedFiles()',
        details: { fileIds: live.map((r) => Number(r.id)).slice(0, 20) },
      });
    }
  }
  for (const part of chunked(ids)) {
    await tx.run(`DELETE FROM data_files WHERE id IN (${placeholders(part.length)})`, part);
  }
}

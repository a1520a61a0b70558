import { AdeError, NotFoundError, formatTableRef, type TableRef } from '../kernel/index.js';

/**
 * The root of every error the catalog throws on purpose (besides the kernel's
 * `NotFoundError` and `ValidationError`).
 *
 * Codes: `catalog.busy`, `catalog.serialization`, `catalog.unavailable` and
 * `catalog.cas_lost` are transient (retryable; the store retries them itself
 * before giving up); `catalog.commit_conflict` is retryable by the caller after
 * re-reading; the rest are terminal.
 */
export class CatalogError extends AdeError {}

/** A replace/overwrite/delete commit built on a snapshot that is no longer current. */
export class CommitConflictError extends CatalogError {
  constructor(table: TableRef, expected: number | null, actual: number | null, reason?: string) {
    const name = formatTableRef(table);
    super(
      'catalog.commit_conflict',
      reason ??
        `commit to ${name} conflicts: it was built on ${describeSnapshot(expected)} but the current snapshot is ${describeSnapshot(actual)}`,
      {
        retryable: true,
        hint: `re-read ${name} (pin its current snapshot), rebuild the change and commit again; pass retryOnConflict only when the change does not depend on what it replaces`,
        details: { table: name, expected, actual },
      },
    );
  }
}

function describeSnapshot(id: number | null): string {
  return id === null ? 'an empty table' : `snapshot ${id}`;
}

/** Codes of failures that re-running the whole transaction can cure. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'catalog.busy',
  'catalog.serialization',
  'catalog.unavailable',
  'catalog.cas_lost',
]);

/** True for errors the store retries by itself (a lost lock race, a dropped connection before COMMIT). */
export function isTransient(e: unknown): boolean {
  return e instanceof CatalogError && TRANSIENT_CODES.has(e.code);
}

/** `table.not_found` for a table that does not exist (or was dropped). */
export function tableNotFound(ref: TableRef): NotFoundError {
  const name = formatTableRef(ref);
  return new NotFoundError('table', name, {
    hint: `create ${name} first, or check the name with \`ade tables\``,
  });
}

/** `snapshot.not_found` with a hint saying why and what to do. */
export function snapshotNotFound(ref: TableRef, what: string, hint: string, details: Record<string, unknown> = {}): NotFoundError {
  return new NotFoundError('snapshot', what, { hint, details: { table: formatTableRef(ref), ...details } });
}

/** `catalog.table_exists` when creating a table whose name is taken. */
export function tableExists(ref: TableRef): CatalogError {
  const name = formatTableRef(ref);
  return new CatalogError('catalog.table_exists', `table ${name} already exists`, {
    hint: `use ensureTable to reuse ${name}, or pick another name`,
    details: { table: name },
  });
}

/** `catalog.file_exists`: files are never overwritten, so a known path cannot be added again. */
export function fileExists(table: string, paths: readonly string[], cause?: unknown): CatalogError {
  return new CatalogError(
    'catalog.file_exists',
    paths.length
      ? `commit to ${table} adds ${paths.length} file(s) the catalog already has, e.g. ${paths[0]}`
      : `commit to ${table} adds a file whose path the catalog already has`,
    {
      hint: 'files are never overwritten: write new files under a new batch id and commit those',
      details: { table, paths: paths.slice(0, 20) },
      cause,
    },
  );
}

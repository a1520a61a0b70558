import { AdeError, PermissionError, ValidationError } from '../kernel/index.js';

/** What `ade` exit codes mean; scripts may rely on them. */
export const EXIT = {
  ok: 0,
  /** A failure with no more specific code (e.g. a query error). */
  failure: 1,
  /** The command line itself is wrong (unknown option, missing argument). */
  usage: 2,
  /** Input data or configuration is invalid (malformed file, bad ade.yaml). */
  invalidInput: 3,
  /** The role acting may not do this. */
  permission: 4,
  /** A named table, snapshot or file does not exist. */
  notFound: 5,
  /** Lost a race with another writer; retrying may succeed. */
  conflict: 6,
  /** The integrity check found problems. */
  integrity: 7,
  /** A data-quality error check failed (`ade check`) or blocked a write. */
  quality: 8,
  /** A bug in ade. Please report it. */
  internal: 70,
} as const;

export function exitCodeFor(e: unknown): number {
  if (e instanceof PermissionError) return EXIT.permission;
  if (e instanceof ValidationError) return EXIT.invalidInput;
  if (e instanceof AdeError) {
    if (e.code.endsWith('.not_found') || e.code === 'ml.model_not_found' || e.code === 'ml.alias_not_found') return EXIT.notFound;
    if (e.code === 'catalog.commit_conflict' || e.code === 'ingest.busy') return EXIT.conflict;
    if (e.code === 'quality.blocked') return EXIT.quality;
    // ML: bad data or options are invalid input; a failed Python process or no earlier alias version is a failure.
    if (e.code === 'ml.python_failed' || e.code === 'ml.no_previous_version' || e.code === 'ml.no_model') return EXIT.failure;
    if (e.code.startsWith('ml.')) return EXIT.invalidInput;
    if (['load.', 'config.', 'validation.', 'privacy.', 'model.'].some((p) => e.code.startsWith(p))) return EXIT.invalidInput;
    if (e.code === 'permission.denied') return EXIT.permission;
    return EXIT.failure;
  }
  return EXIT.internal;
}

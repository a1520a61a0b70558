import { AdeError, messageOf } from '../kernel/index.js';

/** Every code a `StorageError` may carry. */
export type StorageErrorCode =
  /** The key names no object. */
  | 'storage.not_found'
  /** The key would leave the store root (`..`, absolute path, symlink out of the root). */
  | 'storage.path_escape'
  /** The key is malformed (empty segment, backslash, control character, reserved name, too long). */
  | 'storage.invalid_key'
  /** A data file (`*.parquet`) already exists under the key; data files are never overwritten. */
  | 'storage.immutable'
  /** The store refuses the credentials or the operation. */
  | 'storage.denied'
  /** The store is misconfigured (missing bucket, bad sizes). */
  | 'storage.config'
  /** Reading or writing failed; `retryable` says whether trying again can help. */
  | 'storage.io';

/** The one error class `storage/` throws on purpose. */
export class StorageError extends AdeError {
  declare readonly code: StorageErrorCode;

  constructor(
    code: StorageErrorCode,
    message: string,
    options: { hint?: string; retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

export function isStorageError(e: unknown, code?: StorageErrorCode): e is StorageError {
  return e instanceof StorageError && (code === undefined || e.code === code);
}

/** `storage.not_found` for `key`. */
export function objectNotFound(key: string, cause?: unknown): StorageError {
  return new StorageError('storage.not_found', `object ${JSON.stringify(key)} does not exist`, {
    hint: 'check the key; data files are listed in the catalog, and garbage collection removes unreferenced ones',
    details: { key },
    cause,
  });
}

/** `storage.immutable`: a second write to a data file key. */
export function immutableObject(key: string): StorageError {
  return new StorageError('storage.immutable', `data file ${JSON.stringify(key)} already exists and is never overwritten`, {
    hint: 'write a new file under a new key (keys carry the batch id) and commit it to the catalog instead',
    details: { key },
  });
}

/** Node errno codes after which the same call may well succeed. */
const TRANSIENT_ERRNO = new Set([
  'EAGAIN',
  'EBUSY',
  'EMFILE',
  'ENFILE',
  'EINTR',
  'ETIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The errno-style `code` of a Node error, if any. */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for network and resource errors that a retry may cure. */
export function isTransientErrno(e: unknown): boolean {
  const code = errnoOf(e);
  return code !== undefined && TRANSIENT_ERRNO.has(code);
}

/**
 * Wraps a failure of `operation` on `key` as a `StorageError`: missing files
 * become `storage.not_found`, permission problems `storage.denied`, transient
 * resource and network errors a retryable `storage.io`.
 */
export function storageIoError(operation: string, key: string, cause: unknown): StorageError {
  if (cause instanceof StorageError) return cause;
  const errno = errnoOf(cause);
  if (errno === 'ENOENT' || errno === 'ENOTDIR') return objectNotFound(key, cause);
  if (errno === 'EACCES' || errno === 'EPERM') {
    return new StorageError('storage.denied', `${operation} ${JSON.stringify(key)} was refused: ${messageOf(cause)}`, {
      hint: 'check that the process may read and write the store directory',
      details: { key, operation, errno },
      cause,
    });
  }
  const retryable = isTransientErrno(cause);
  return new StorageError('storage.io', `${operation} ${JSON.stringify(key)} failed: ${messageOf(cause)}`, {
    hint: retryable
      ? 'this looks transient; retry the operation'
      : errno === 'ENOSPC'
        ? 'the disk is full; free space or move the store'
        : 'check the store location and its file system',
    retryable,
    details: { key, operation, ...(errno ? { errno } : {}) },
    cause,
  });
}

// Crash-safe file moves shared by both stores: write a temp file, fsync it,
// rename (or hard-link, to never clobber) it into place, fsync the directory.
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errnoOf, StorageError } from './errors.js';

/** Errors of `fsync` on a directory that mean "not supported here", not "failed". */
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EBADF', 'ENOTSUP']);
/** Errors of `link` that mean the file system has no hard links. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/** Flushes a file's bytes to disk. */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Flushes a directory's entries (names created, renamed or removed in it) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    if (!DIR_SYNC_UNSUPPORTED.has(errnoOf(e) ?? '')) throw e;
  } finally {
    await fh?.close();
  }
}

/** Creates `dir` and its missing parents, and makes the new entries durable. */
export async function ensureDir(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  // Every directory from the parent of the first one created down to `dir`'s parent gained an entry.
  const chain: string[] = [];
  for (let d = dirname(dir); d.length >= dirname(first).length; d = dirname(d)) {
    chain.push(d);
    if (d === dirname(d)) break;
  }
  for (const d of chain.reverse()) await fsyncDir(d);
}

/** A fresh, unused path in `tmpDir`. */
export function tempPath(tmpDir: string): string {
  return join(tmpDir, `${randomUUID()}.tmp`);
}

/** Writes `body` to a new temp file in `tmpDir`, fsyncs it and returns its path. */
export async function writeTempFile(tmpDir: string, body: Uint8Array): Promise<string> {
  const path = tempPath(tmpDir);
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(body);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw e;
  }
  await fh.close();
  return path;
}

/** Copies `src` to a new temp file in `tmpDir`, fsyncs it and returns its path. */
export async function copyToTemp(tmpDir: string, src: string): Promise<string> {
  const path = tempPath(tmpDir);
  try {
    await copyFile(src, path, constants.COPYFILE_EXCL);
    await fsyncFile(path);
  } catch (e) {
    await unlink(path).catch(() => {});
    throw e;
  }
  return path;
}

/** How {@link publishFile} treats an existing target. */
export interface PublishOptions {
  /** When true an existing target is never replaced: the call fails with errno `EEXIST` instead. */
  readonly noClobber: boolean;
}

/**
 * Moves the (already fsynced) file `from` to `target` in one atomic step on the
 * same file system, then fsyncs the target's directory. With `noClobber` it
 * hard-links (which fails on an existing name, atomically) and removes `from`.
 */
export async function publishFile(from: string, target: string, options: PublishOptions): Promise<void> {
  const dir = dirname(target);
  await ensureDir(dir);
  if (options.noClobber) {
    try {
      await link(from, target);
      await unlink(from);
    } catch (e) {
      if (!NO_HARD_LINKS.has(errnoOf(e) ?? '')) throw e;
      // No hard links here: check, then rename (not atomic against a racing writer).
      const existing = await stat(target).catch(() => undefined);
      if (existing) throw Object.assign(new Error(`${target} exists`), { code: 'EEXIST' });
      await rename(from, target);
    }
  } else {
    await rename(from, target);
  }
  await fsyncDir(dir);
}

/**
 * Moves the file `src` to `target` durably: fsync, then an atomic rename/link
 * when both lie on one file system, else a copy into `tmpDir` (fsynced) that is
 * then published; `src` is removed either way.
 */
export async function moveFile(src: string, target: string, tmpDir: string, options: PublishOptions): Promise<void> {
  await fsyncFile(src);
  try {
    await publishFile(src, target, options);
    return;
  } catch (e) {
    if (errnoOf(e) !== 'EXDEV') throw e;
  }
  const tmp = await copyToTemp(tmpDir, src);
  try {
    await publishFile(tmp, target, options);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await unlink(src);
}

/**
 * The size of the file a caller wants stored as `key`; throws `storage.not_found`
 * when it is missing and `storage.invalid_key` when it is not a regular file
 * (a symlink would smuggle a reference to anywhere into the store).
 */
export async function stagedFileSize(key: string, localPath: string): Promise<number> {
  let s;
  try {
    s = await lstat(localPath);
  } catch (e) {
    throw new StorageError('storage.not_found', `cannot store ${JSON.stringify(key)}: the file ${localPath} does not exist`, {
      hint: 'pass the path of a file written into stagingDir()',
      details: { key, localPath },
      cause: e,
    });
  }
  if (!s.isFile()) {
    throw new StorageError('storage.invalid_key', `cannot store ${localPath} as ${JSON.stringify(key)}: not a regular file`, {
      hint: 'pass the path of a regular file (not a symlink or folder) written into stagingDir()',
      details: { key, localPath },
    });
  }
  return s.size;
}

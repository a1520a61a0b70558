import type { Dirent } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, readFile, realpath, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { copyToTemp, fsyncDir, moveFile, publishFile, stagedFileSize, writeTempFile } from './atomic-files.js';
import { errnoOf, immutableObject, objectNotFound, StorageError, storageIoError } from './errors.js';
import { compareKeys, isImmutableKey, isValidKey, validateKey, validatePrefix } from './keys.js';
import type { ObjectInfo, ObjectStore } from './object-store.js';
import { removeStaleStaging } from './stale-staging.js';

/** Settings of a store on the local file system. */
export interface LocalObjectStoreConfig {
  /** Directory holding the lake; created when missing. Temp files live in `<root>/.tmp/`, staging dirs in `<root>/.staging/`. */
  readonly root: string;
}

/** Directories under the root that hold no objects. */
const TEMP_DIR = '.tmp';
const STAGING_DIR = '.staging';
/** Temp files older than this are left-overs of a crash and removed on open. */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

/**
 * The lake on a local disk: one file per object, `<root>/<key>`.
 *
 * Writes go to a temp file in `<root>/.tmp/`, are fsynced and renamed into
 * place, and the directory is fsynced, so a reader or a crash sees the old
 * object or the new one. Data files (`*.parquet`) are published with a hard
 * link, which fails rather than replace an existing file. Every key resolves
 * under the root, also after following symlinks.
 *
 * @example
 * const store = await LocalObjectStore.open({ root: '.ade/lake' });
 * await store.put('clean/orders/metadata/v1.json', '{}');
 */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local' as const;
  readonly #root: string;
  readonly #tmp: string;
  readonly #staging: string;

  /** Takes a root that already exists and is fully resolved; use {@link LocalObjectStore.open}. */
  private constructor(root: string) {
    this.#root = root;
    this.#tmp = join(root, TEMP_DIR);
    this.#staging = join(root, STAGING_DIR);
  }

  /** Creates the root (and its `.tmp/`, `.staging/`) when missing and removes stale temp files. */
  static async open(config: LocalObjectStoreConfig): Promise<LocalObjectStore> {
    if (!config.root) {
      throw new StorageError('storage.config', 'the local object store needs a root directory', {
        hint: 'set storage.root, e.g. .ade/lake',
      });
    }
    try {
      await mkdir(config.root, { recursive: true });
      const root = await realpath(config.root);
      await mkdir(join(root, TEMP_DIR), { recursive: true });
      await mkdir(join(root, STAGING_DIR), { recursive: true });
      const store = new LocalObjectStore(root);
      await store.#removeStaleTemps();
      return store;
    } catch (e) {
      throw new StorageError('storage.config', `cannot open the local object store at ${config.root}: ${(e as Error).message}`, {
        hint: 'check that the directory can be created and written by this process',
        details: { root: config.root },
        cause: e,
      });
    }
  }

  /** Atomically writes the object; refuses to replace an existing data file (`storage.immutable`). */
  async put(key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    const target = await this.#path(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    return this.#publish('put', key, target, () => writeTempFile(this.#tmp, bytes));
  }

  /** Moves `localPath` into place (rename on one file system, else copy, fsync, rename); the file is consumed. */
  async putFile(key: string, localPath: string): Promise<ObjectInfo> {
    const target = await this.#path(key);
    await stagedFileSize(key, localPath);
    try {
      if (isImmutableKey(key) && (await exists(target))) throw immutableObject(key);
      await moveFile(localPath, target, this.#tmp, { noClobber: isImmutableKey(key) });
      return await this.#info(key, target);
    } catch (e) {
      throw await this.#writeError('putFile', key, target, e);
    }
  }

  /** The whole object; `storage.not_found` when missing. */
  async get(key: string): Promise<Buffer> {
    const path = await this.#path(key);
    try {
      return await readFile(path);
    } catch (e) {
      throw this.#readError('get', key, e);
    }
  }

  /** The object as a stream, opened before returning (so a missing key throws here). */
  async getStream(key: string): Promise<Readable> {
    const path = await this.#path(key);
    try {
      const fh = await open(path, 'r');
      if (!(await fh.stat()).isFile()) {
        await fh.close();
        throw objectNotFound(key);
      }
      return fh.createReadStream();
    } catch (e) {
      throw this.#readError('getStream', key, e);
    }
  }

  /** Size and modification time, or undefined when missing. */
  async stat(key: string): Promise<ObjectInfo | undefined> {
    const path = await this.#path(key);
    try {
      return await this.#info(key, path);
    } catch (e) {
      const error = this.#readError('stat', key, e);
      if (error.code === 'storage.not_found') return undefined;
      throw error;
    }
  }

  /** Every object under `prefix`, in key (UTF-8 byte) order; temp and staging files are never listed, symlinks are not followed. */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    validatePrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const startKey = slash < 0 ? '' : prefix.slice(0, slash);
    const startDir = startKey === '' ? this.#root : await this.#path(startKey);
    yield* this.#walk(startDir, startKey, prefix);
  }

  /** Removes the file; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    const path = await this.#path(key);
    try {
      await unlink(path);
      await fsyncDir(dirname(path));
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === 'ENOENT' || errno === 'ENOTDIR' || errno === 'EISDIR') return;
      throw storageIoError('delete', key, e);
    }
  }

  /** Copies through a temp file (fsync, rename), so `toKey` appears whole. */
  async copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    const from = await this.#path(fromKey);
    const to = await this.#path(toKey);
    try {
      if (!(await stat(from)).isFile()) throw objectNotFound(fromKey);
    } catch (e) {
      throw this.#readError('copy', fromKey, e);
    }
    return this.#publish('copy', toKey, to, () => copyToTemp(this.#tmp, from));
  }

  /** The object's own file, `<root>/<key>`; `storage.not_found` when missing. */
  async localPath(key: string): Promise<string> {
    const path = await this.#path(key);
    try {
      await this.#info(key, path);
    } catch (e) {
      throw this.#readError('localPath', key, e);
    }
    return path;
  }

  /** The store root (symlinks resolved). */
  localRoot(): string {
    return this.#root;
  }

  /** A fresh directory under `<root>/.staging/`, on the store's file system so `putFile` is a rename. */
  async removeStaleStaging(before: Date): Promise<number> {
    return removeStaleStaging(this.#staging, before);
  }

  async stagingDir(): Promise<string> {
    try {
      await mkdir(this.#staging, { recursive: true });
      return await mkdtemp(join(this.#staging, 'stage-'));
    } catch (e) {
      throw storageIoError('stagingDir', STAGING_DIR, e);
    }
  }

  /** Nothing to release; present for the interface. */
  async close(): Promise<void> {}

  /**
   * The file path of `key`: validated, resolved under the root, and checked
   * after symlinks so that no key reaches a file outside the root.
   */
  async #path(key: string): Promise<string> {
    validateKey(key);
    const path = resolve(this.#root, ...key.split('/'));
    if (!path.startsWith(this.#root + sep)) throw escapeError(key, 'resolves outside the root');
    // The deepest part of the path that exists must, after symlinks, still be inside the root.
    for (let p = path; p.length > this.#root.length; p = dirname(p)) {
      let real: string;
      try {
        real = await realpath(p);
      } catch (e) {
        const errno = errnoOf(e);
        if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw storageIoError('resolve', key, e);
        // Missing, or created a moment ago by a concurrent write (then the parent decides); a dangling symlink could point anywhere.
        const entry = await lstat(p).catch(() => undefined);
        if (entry?.isSymbolicLink()) throw escapeError(key, 'a dangling symlink lies on its path');
        continue;
      }
      if (real !== this.#root && !real.startsWith(this.#root + sep)) throw escapeError(key, 'a symlink leads outside the root');
      break;
    }
    return path;
  }

  /**
   * Puts a temp file made by `makeTemp` in place at `target` atomically;
   * data files (immutable keys) are never clobbered. The temp file is removed on failure.
   */
  async #publish(operation: string, key: string, target: string, makeTemp: () => Promise<string>): Promise<ObjectInfo> {
    let tmp: string | undefined;
    try {
      if (isImmutableKey(key) && (await exists(target))) throw immutableObject(key);
      tmp = await makeTemp();
      await publishFile(tmp, target, { noClobber: isImmutableKey(key) });
      tmp = undefined;
      return await this.#info(key, target);
    } catch (e) {
      throw await this.#writeError(operation, key, target, e);
    } finally {
      if (tmp) await unlink(tmp).catch(() => {});
    }
  }

  async #info(key: string, path: string): Promise<ObjectInfo> {
    const s = await stat(path);
    if (!s.isFile()) throw objectNotFound(key);
    return { key, size: s.size, modified: s.mtime };
  }

  #readError(operation: string, key: string, e: unknown): StorageError {
    return errnoOf(e) === 'EISDIR' ? objectNotFound(key, e) : storageIoError(operation, key, e);
  }

  async #writeError(operation: string, key: string, target: string, e: unknown): Promise<StorageError> {
    if (e instanceof StorageError) return e;
    const errno = errnoOf(e);
    if (errno === 'EEXIST' && isImmutableKey(key) && (await exists(target).catch(() => false))) return immutableObject(key);
    if (errno === 'EEXIST' || errno === 'ENOTDIR' || errno === 'EISDIR') {
      return new StorageError('storage.invalid_key', `cannot ${operation} ${JSON.stringify(key)}: a folder of the key is a file, or the key is a folder`, {
        hint: 'on a local store a key cannot be both an object and a folder of other keys; choose another key',
        details: { key, operation, errno },
        cause: e,
      });
    }
    return storageIoError(operation, key, e);
  }

  /** Depth-first walk yielding files in key order: a directory sorts as `name/`. */
  async *#walk(dir: string, dirKey: string, prefix: string): AsyncGenerator<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === 'ENOENT' || errno === 'ENOTDIR') return;
      throw storageIoError('list', dirKey, e);
    }
    const sorted = entries
      .filter((entry) => (entry.isFile() || entry.isDirectory()) && !(dirKey === '' && entry.name.startsWith('.')))
      .map((entry) => ({ entry, sortKey: entry.isDirectory() ? `${entry.name}/` : entry.name }))
      .sort((a, b) => compareKeys(a.sortKey, b.sortKey));
    for (const { entry } of sorted) {
      const key = dirKey === '' ? entry.name : `${dirKey}/${entry.name}`;
      if (entry.isDirectory()) {
        const asFolder = `${key}/`;
        if (asFolder.startsWith(prefix) || prefix.startsWith(asFolder)) yield* this.#walk(join(dir, entry.name), key, prefix);
        continue;
      }
      if (!key.startsWith(prefix) || !isValidKey(key)) continue;
      try {
        const s = await stat(join(dir, entry.name));
        yield { key, size: s.size, modified: s.mtime };
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') throw storageIoError('list', key, e);
      }
    }
  }

  async #removeStaleTemps(): Promise<void> {
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of await readdir(this.#tmp)) {
      const path = join(this.#tmp, name);
      const s = await stat(path).catch(() => undefined);
      if (s && s.mtimeMs < cutoff) await rm(path, { force: true, recursive: true });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return false;
    throw e;
  }
}

function escapeError(key: string, reason: string): StorageError {
  return new StorageError('storage.path_escape', `key ${JSON.stringify(key)} escapes the store: ${reason}`, {
    hint: 'keys may not reach outside the store root; remove the symlink or use a key under the root',
    details: { key, reason },
  });
}

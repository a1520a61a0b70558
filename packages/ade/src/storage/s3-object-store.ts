import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createWriteStream, type Dirent } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, realpath, rm, stat, unlink } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { messageOf } from '../kernel/index.js';
import { fsyncFile, moveFile, publishFile, stagedFileSize, tempPath } from './atomic-files.js';
import { immutableObject, isTransientErrno, objectNotFound, StorageError, storageIoError } from './errors.js';
import { compareKeys, isImmutableKey, isValidKey, validateKey, validatePrefix } from './keys.js';
import type { ObjectInfo, ObjectStore } from './object-store.js';
import { removeStaleStaging } from './stale-staging.js';

/** Static credentials for an S3-compatible endpoint. */
export interface S3Credentials {
  /** Access key id. */
  readonly accessKeyId: string;
  /** Secret access key. */
  readonly secretAccessKey: string;
  /** Session token of temporary credentials. */
  readonly sessionToken?: string;
}

/** Settings of a store on S3 or any S3-compatible server. */
export interface S3ObjectStoreConfig {
  /** Bucket holding the lake; it must already exist. */
  readonly bucket: string;
  /** Folder inside the bucket under which the lake lives (`lake` or `lake/`); default: the bucket's top. */
  readonly prefix?: string;
  /** URL of an S3-compatible server (MinIO, R2, Ceph, s3rver); default: AWS S3 in `region`. */
  readonly endpoint?: string;
  /** Region requests are signed for (`us-east-1` suits most S3-compatible servers). */
  readonly region: string;
  /** Address the bucket as `endpoint/bucket` rather than `bucket.endpoint`; default: true when `endpoint` is set. */
  readonly forcePathStyle?: boolean;
  /** Static credentials; default: the AWS SDK's own provider chain (profile, instance or task role). */
  readonly credentials?: S3Credentials;
  /** Local directory of the read-through cache behind `localPath` (also holds `.staging/` and `.tmp/`). */
  readonly cacheDir: string;
  /** Bytes the cache may hold before it evicts the least recently used files. */
  readonly cacheMaxBytes: number;
  /** Objects larger than this many bytes are uploaded in parts. */
  readonly multipartThresholdBytes: number;
  /** Bytes per part of a multipart upload; S3 requires at least 5 MiB (grown when a file would need over 10,000 parts). */
  readonly partSizeBytes: number;
  /** Sort `list` results in memory, for servers that do not list in UTF-8 byte order as S3 does (s3rver); default false (stream pages as they come). */
  readonly sortListings?: boolean;
  /** Send `If-None-Match: *` when writing data files, so even a racing writer cannot replace one; default true (turn off for servers that reject it). */
  readonly conditionalWrites?: boolean;
}

const MIB = 1024 * 1024;
/** S3's smallest part (except the last one). */
const MIN_PART_BYTES = 5 * MIB;
/** S3's most parts per upload. */
const MAX_PARTS = 10_000;
/** Parts of one upload in flight at once. */
const UPLOAD_CONCURRENCY = 4;
const TEMP_DIR = '.tmp';
const STAGING_DIR = '.staging';
/** Cache temp files older than this are left-overs of a crash and removed on open. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** What the cache knows about one downloaded object. */
interface CacheEntry {
  readonly size: number;
  /** ETag of the cached version; undefined when found on disk at open (then re-checked before use for mutable keys). */
  readonly etag: string | undefined;
}

/**
 * The lake in an S3 bucket (AWS or any S3-compatible server).
 *
 * Single requests are atomic on S3; objects over `multipartThresholdBytes` go
 * up in parts and appear only when the upload completes. `localPath` serves
 * objects from a bounded read-through cache in `cacheDir` (least recently used
 * files evicted first), and `putFile` moves the uploaded file into that cache.
 * Keys `a` and `a/b` cannot both be cached, as on a local disk.
 *
 * @example
 * const store = await S3ObjectStore.open({
 *   bucket: 'lake', region: 'us-east-1', cacheDir: '/var/cache/ade',
 *   cacheMaxBytes: 2 ** 31, multipartThresholdBytes: 16 * 2 ** 20, partSizeBytes: 8 * 2 ** 20,
 * });
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #cacheDir: string;
  readonly #cacheTmp: string;
  readonly #cacheMaxBytes: number;
  readonly #multipartThreshold: number;
  readonly #partSize: number;
  readonly #conditionalWrites: boolean;
  readonly #sortListings: boolean;
  /** Cached objects, least recently used first (a Map keeps insertion order). */
  readonly #cache = new Map<string, CacheEntry>();
  #cacheBytes = 0;
  /** Downloads in flight, so concurrent misses of one key fetch it once. */
  readonly #downloads = new Map<string, Promise<string>>();

  /** Takes an open client and a ready cache directory; use {@link S3ObjectStore.open}. */
  private constructor(client: S3Client, config: S3ObjectStoreConfig, prefix: string, cacheDir: string) {
    this.#client = client;
    this.#bucket = config.bucket;
    this.#prefix = prefix;
    this.#cacheDir = cacheDir;
    this.#cacheTmp = join(cacheDir, TEMP_DIR);
    this.#cacheMaxBytes = config.cacheMaxBytes;
    this.#multipartThreshold = config.multipartThresholdBytes;
    this.#partSize = config.partSizeBytes;
    this.#conditionalWrites = config.conditionalWrites ?? true;
    this.#sortListings = config.sortListings ?? false;
  }

  /** Checks the settings and that the bucket answers, and prepares the cache directory. */
  static async open(config: S3ObjectStoreConfig): Promise<S3ObjectStore> {
    checkConfig(config);
    const prefix = normalizePrefix(config.prefix);
    const client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle ?? config.endpoint !== undefined,
      ...(config.credentials ? { credentials: config.credentials } : {}),
      // S3-compatible servers often reject the SDK's default checksum trailers; send checksums only when required.
      ...(config.endpoint ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    });
    try {
      try {
        await client.send(new HeadBucketCommand({ Bucket: config.bucket }));
      } catch (e) {
        const status = statusOf(e);
        if (status === 404 || nameOf(e) === 'NoSuchBucket' || nameOf(e) === 'NotFound') {
          throw new StorageError('storage.config', `bucket ${JSON.stringify(config.bucket)} does not exist`, {
            hint: 'create the bucket, or fix storage.bucket / storage.endpoint',
            details: { bucket: config.bucket, endpoint: config.endpoint },
            cause: e,
          });
        }
        throw s3Error('open bucket', config.bucket, e);
      }
      let cacheDir: string;
      try {
        await mkdir(config.cacheDir, { recursive: true });
        cacheDir = await realpath(config.cacheDir);
        await mkdir(join(cacheDir, TEMP_DIR), { recursive: true });
        await mkdir(join(cacheDir, STAGING_DIR), { recursive: true });
      } catch (e) {
        throw new StorageError('storage.config', `cannot prepare the cache directory ${config.cacheDir}: ${messageOf(e)}`, {
          hint: 'check that the directory can be created and written by this process',
          details: { cacheDir: config.cacheDir },
          cause: e,
        });
      }
      const store = new S3ObjectStore(client, config, prefix, cacheDir);
      await store.#loadCache();
      return store;
    } catch (e) {
      client.destroy();
      throw e;
    }
  }

  /** Writes the whole object (in parts above the multipart threshold); refuses to replace a data file. */
  async put(key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    validateKey(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.#assertWritable(key);
    await this.#upload(key, bytes.byteLength, async (offset, length) => bytes.subarray(offset, offset + length));
    await this.#forget(key);
    return this.#statOrThrow(key, 'put');
  }

  /** Uploads the file, then moves it into the cache at `<cacheDir>/<key>` (so a later `localPath` needs no download). */
  async putFile(key: string, localPath: string): Promise<ObjectInfo> {
    validateKey(key);
    const size = await stagedFileSize(key, localPath);
    await this.#assertWritable(key);
    const fh = await open(localPath, 'r').catch((e: unknown) => {
      throw storageIoError('putFile', key, e);
    });
    let etag: string | undefined;
    try {
      etag = await this.#upload(key, size, async (offset, length) => {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buffer, 0, length, offset);
        if (bytesRead !== length) throw new Error(`${localPath} changed while it was uploaded`);
        return buffer;
      });
    } finally {
      await fh.close();
    }
    await this.#forget(key);
    await this.#adopt(key, localPath, size, etag);
    return this.#statOrThrow(key, 'putFile');
  }

  /** The whole object; `storage.not_found` when missing. */
  async get(key: string): Promise<Buffer> {
    validateKey(key);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#full(key) }));
      if (!out.Body) throw new Error('the response had no body');
      const bytes = await out.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (e) {
      throw s3Error('get', key, e);
    }
  }

  /** The object as a stream straight from the server; `storage.not_found` when missing. */
  async getStream(key: string): Promise<Readable> {
    validateKey(key);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#full(key) }));
      return asReadable(out.Body);
    } catch (e) {
      throw s3Error('getStream', key, e);
    }
  }

  /** Size and time from a HEAD request, or undefined when missing. */
  async stat(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    const head = await this.#head(key, 'stat');
    return head?.info;
  }

  /**
   * Every object under `prefix`, in key order: streamed page by page in the
   * order S3 lists (UTF-8 bytes), or gathered and sorted when `sortListings`
   * is set. A server that breaks the order without `sortListings` gets a
   * `storage.config` error rather than a silently misordered listing.
   */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    validatePrefix(prefix);
    if (this.#sortListings) {
      const all: ObjectInfo[] = [];
      for await (const info of this.#listPages(prefix)) all.push(info);
      yield* all.sort((a, b) => compareKeys(a.key, b.key));
      return;
    }
    let previous: string | undefined;
    for await (const info of this.#listPages(prefix)) {
      if (previous !== undefined && compareKeys(previous, info.key) >= 0) {
        throw new StorageError('storage.config', `the server listed ${JSON.stringify(info.key)} after ${JSON.stringify(previous)}, out of key order`, {
          hint: 'this S3-compatible server does not list keys in UTF-8 byte order; set sortListings: true for it',
          details: { prefix, previous, key: info.key },
        });
      }
      previous = info.key;
      yield info;
    }
  }

  /** Removes the object and its cached copy; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    validateKey(key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#full(key) }));
    } catch (e) {
      if (statusOf(e) !== 404) throw s3Error('delete', key, e);
    }
    await this.#forget(key);
  }

  /** Server-side copy (objects up to 5 GiB); refuses to replace a data file. */
  async copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    validateKey(fromKey);
    validateKey(toKey);
    await this.#assertWritable(toKey);
    try {
      await this.#client.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: this.#full(toKey),
          CopySource: `${this.#bucket}/${encodeKey(this.#full(fromKey))}`,
        }),
      );
    } catch (e) {
      throw s3Error('copy', fromKey, e);
    }
    await this.#forget(toKey);
    return this.#statOrThrow(toKey, 'copy');
  }

  /**
   * A cached file with the object's bytes at `<cacheDir>/<key>`, downloaded on
   * a miss (temp file, then rename). Data files are immutable and served from
   * the cache as they are; other keys are checked against the server's ETag
   * first. Least recently used files are evicted to stay under
   * `cacheMaxBytes`, never the one returned.
   */
  async localPath(key: string): Promise<string> {
    validateKey(key);
    const path = this.#cachePath(key);
    const entry = this.#cache.get(key);
    if (entry && (await this.#isFresh(key, entry)) && (await isFile(path))) {
      this.#cache.delete(key);
      this.#cache.set(key, entry);
      return path;
    }
    let download = this.#downloads.get(key);
    if (!download) {
      download = this.#download(key, path).finally(() => this.#downloads.delete(key));
      this.#downloads.set(key, download);
    }
    return download;
  }

  /** The cache directory (symlinks resolved). */
  localRoot(): string {
    return this.#cacheDir;
  }

  /** A fresh directory under `<cacheDir>/.staging/`; `putFile` from there moves the file into the cache by rename. */
  async removeStaleStaging(before: Date): Promise<number> {
    return removeStaleStaging(join(this.#cacheDir, STAGING_DIR), before);
  }

  async stagingDir(): Promise<string> {
    try {
      const staging = join(this.#cacheDir, STAGING_DIR);
      await mkdir(staging, { recursive: true });
      return await mkdtemp(join(staging, 'stage-'));
    } catch (e) {
      throw storageIoError('stagingDir', STAGING_DIR, e);
    }
  }

  /** Closes the client's connections; the cache stays on disk for the next open. */
  async close(): Promise<void> {
    this.#client.destroy();
  }

  /** Objects under `prefix` in the order the server returns them. */
  async *#listPages(prefix: string): AsyncGenerator<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix + prefix, ContinuationToken: token }),
        );
      } catch (e) {
        throw s3Error('list', prefix, e);
      }
      for (const object of page.Contents ?? []) {
        if (!object.Key?.startsWith(this.#prefix)) continue;
        const key = object.Key.slice(this.#prefix.length);
        // Objects written by other tools under names no key can have are not part of the lake.
        if (!isValidKey(key)) continue;
        yield { key, size: object.Size ?? 0, modified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  #full(key: string): string {
    return this.#prefix + key;
  }

  #cachePath(key: string): string {
    const path = resolve(this.#cacheDir, ...key.split('/'));
    if (!path.startsWith(this.#cacheDir + sep)) {
      throw new StorageError('storage.path_escape', `key ${JSON.stringify(key)} escapes the cache directory`, {
        details: { key },
      });
    }
    return path;
  }

  /** HEAD: info and ETag, or undefined when missing. */
  async #head(key: string, operation: string): Promise<{ info: ObjectInfo; etag: string | undefined } | undefined> {
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#full(key) }));
      return { info: { key, size: out.ContentLength ?? 0, modified: out.LastModified ?? new Date(0) }, etag: out.ETag };
    } catch (e) {
      const error = s3Error(operation, key, e);
      if (error.code === 'storage.not_found') return undefined;
      throw error;
    }
  }

  async #statOrThrow(key: string, operation: string): Promise<ObjectInfo> {
    const head = await this.#head(key, operation);
    if (!head) throw objectNotFound(key);
    return head.info;
  }

  /** Data files are written once: refuse when one already exists. */
  async #assertWritable(key: string): Promise<void> {
    if (isImmutableKey(key) && (await this.#head(key, 'put'))) throw immutableObject(key);
  }

  /** Uploads `size` bytes read by `read(offset, length)`: one PUT, or a multipart upload above the threshold. Returns the ETag. */
  async #upload(key: string, size: number, read: (offset: number, length: number) => Promise<Uint8Array>): Promise<string | undefined> {
    const ifNoneMatch = this.#conditionalWrites && isImmutableKey(key) ? { IfNoneMatch: '*' } : {};
    try {
      if (size <= this.#multipartThreshold) {
        const out = await this.#client.send(
          new PutObjectCommand({ Bucket: this.#bucket, Key: this.#full(key), Body: await read(0, size), ContentLength: size, ...ifNoneMatch }),
        );
        return out.ETag;
      }
      return await this.#multipartUpload(key, size, read, ifNoneMatch);
    } catch (e) {
      throw s3Error('put', key, e);
    }
  }

  async #multipartUpload(
    key: string,
    size: number,
    read: (offset: number, length: number) => Promise<Uint8Array>,
    ifNoneMatch: { IfNoneMatch?: string },
  ): Promise<string | undefined> {
    const Key = this.#full(key);
    const partSize = Math.max(this.#partSize, Math.ceil(size / MAX_PARTS));
    const partCount = Math.ceil(size / partSize);
    const created = await this.#client.send(new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key }));
    const UploadId = created.UploadId;
    if (!UploadId) throw new Error('the server returned no upload id');
    const etags: string[] = new Array<string>(partCount);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < partCount) {
        const i = next++;
        const offset = i * partSize;
        const length = Math.min(partSize, size - offset);
        try {
          const out = await this.#client.send(
            new UploadPartCommand({ Bucket: this.#bucket, Key, UploadId, PartNumber: i + 1, Body: await read(offset, length), ContentLength: length }),
          );
          if (!out.ETag) throw new Error(`the server returned no ETag for part ${i + 1}`);
          etags[i] = out.ETag;
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, partCount) }, worker));
      const done = await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          ...ifNoneMatch,
        }),
      );
      return done.ETag;
    } catch (e) {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key, UploadId })).catch(() => {});
      throw e;
    }
  }

  /** A cache entry is fresh when the key is immutable, or when the server's ETag still matches. */
  async #isFresh(key: string, entry: CacheEntry): Promise<boolean> {
    if (isImmutableKey(key)) return true;
    const head = await this.#head(key, 'localPath');
    if (!head) {
      await this.#forget(key);
      throw objectNotFound(key);
    }
    return entry.etag !== undefined && head.etag === entry.etag;
  }

  async #download(key: string, path: string): Promise<string> {
    let tmp: string | undefined = tempPath(this.#cacheTmp);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#full(key) }));
      await pipeline(asReadable(out.Body), createWriteStream(tmp, { flags: 'wx' }));
      const size = (await stat(tmp)).size;
      if (out.ContentLength !== undefined && size !== out.ContentLength) {
        throw new StorageError('storage.io', `download of ${JSON.stringify(key)} was cut short (${size} of ${out.ContentLength} bytes)`, {
          hint: 'retry; the connection was probably interrupted',
          retryable: true,
          details: { key, size, expected: out.ContentLength },
        });
      }
      await fsyncFile(tmp);
      this.#drop(key);
      await publishFile(tmp, path, { noClobber: false });
      tmp = undefined;
      this.#remember(key, { size, etag: out.ETag });
      await this.#evict(key);
      return path;
    } catch (e) {
      throw s3Error('localPath', key, e);
    } finally {
      if (tmp) await unlink(tmp).catch(() => {});
    }
  }

  /** Moves an uploaded file into the cache, or removes it when it is larger than the whole cache. */
  async #adopt(key: string, localPath: string, size: number, etag: string | undefined): Promise<void> {
    if (size > this.#cacheMaxBytes) {
      await rm(localPath, { force: true });
      return;
    }
    try {
      await moveFile(localPath, this.#cachePath(key), this.#cacheTmp, { noClobber: false });
      this.#remember(key, { size, etag });
      await this.#evict(key);
    } catch {
      // The object is stored; a file that cannot enter the cache is downloaded when first needed.
      await rm(localPath, { force: true });
    }
  }

  #remember(key: string, entry: CacheEntry): void {
    this.#drop(key);
    this.#cache.set(key, entry);
    this.#cacheBytes += entry.size;
  }

  /** Forgets a cache entry without touching the disk. */
  #drop(key: string): void {
    const entry = this.#cache.get(key);
    if (!entry) return;
    this.#cache.delete(key);
    this.#cacheBytes -= entry.size;
  }

  /** Removes a cached copy (after the object changed or went away). */
  async #forget(key: string): Promise<void> {
    this.#drop(key);
    await rm(this.#cachePath(key), { force: true }).catch(() => {});
  }

  /** Evicts least recently used files until the cache fits, sparing `keep`. */
  async #evict(keep: string): Promise<void> {
    const victims: string[] = [];
    for (const [key, entry] of this.#cache) {
      if (this.#cacheBytes <= this.#cacheMaxBytes) break;
      if (key === keep) continue;
      this.#cache.delete(key);
      this.#cacheBytes -= entry.size;
      victims.push(key);
    }
    await Promise.all(victims.map((key) => rm(this.#cachePath(key), { force: true }).catch(() => {})));
  }

  /** Rebuilds the cache index from disk (oldest access first), removes stale temp files and evicts down to size. */
  async #loadCache(): Promise<void> {
    const found: { key: string; size: number; used: number }[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (dir === this.#cacheDir && entry.name.startsWith('.')) continue;
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) {
          const key = relative(this.#cacheDir, path).split(sep).join('/');
          if (!isValidKey(key)) continue;
          const s = await stat(path).catch(() => undefined);
          if (s) found.push({ key, size: s.size, used: Math.max(s.atimeMs, s.mtimeMs) });
        }
      }
    };
    await walk(this.#cacheDir);
    found.sort((a, b) => a.used - b.used);
    for (const f of found) this.#remember(f.key, { size: f.size, etag: undefined });
    await this.#evict('');
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of await readdir(this.#cacheTmp).catch(() => [] as string[])) {
      const path = join(this.#cacheTmp, name);
      const s = await stat(path).catch(() => undefined);
      if (s && s.mtimeMs < cutoff) await rm(path, { force: true, recursive: true });
    }
  }
}

function checkConfig(config: S3ObjectStoreConfig): void {
  const problem = (field: string, message: string): StorageError =>
    new StorageError('storage.config', `invalid S3 store setting ${field}: ${message}`, {
      hint: 'fix the storage section of the settings',
      details: { field },
    });
  if (!config.bucket) throw problem('bucket', 'a bucket name is required');
  if (!config.region) throw problem('region', 'a region is required (us-east-1 suits most S3-compatible servers)');
  if (!config.cacheDir) throw problem('cacheDir', 'a local cache directory is required');
  if (!(config.cacheMaxBytes > 0)) throw problem('cacheMaxBytes', 'must be a positive number of bytes');
  if (!(config.partSizeBytes >= MIN_PART_BYTES)) throw problem('partSizeBytes', `must be at least ${MIN_PART_BYTES} bytes (5 MiB)`);
  if (!(config.multipartThresholdBytes >= 1)) throw problem('multipartThresholdBytes', 'must be a positive number of bytes');
  if (config.endpoint !== undefined && !URL.canParse(config.endpoint)) throw problem('endpoint', `${JSON.stringify(config.endpoint)} is not a URL`);
}

/** `lake`, `/lake/` → `lake/`; nothing → ``. */
function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${validateKey(trimmed)}/`;
}

/** `a b/c` → `a%20b/c`, as `x-amz-copy-source` wants. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

function asReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  throw new Error('the response body is not a stream');
}

function nameOf(e: unknown): string | undefined {
  const name = (e as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

function statusOf(e: unknown): number | undefined {
  const status = (e as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

const RETRYABLE_NAMES = new Set([
  'SlowDown',
  'RequestTimeout',
  'RequestTimeoutException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
]);
const DENIED_NAMES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken']);

/** Maps an SDK or network failure to a `StorageError` (missing → not_found; 5xx, throttling, network → retryable io). */
function s3Error(operation: string, key: string, e: unknown): StorageError {
  if (e instanceof StorageError) return e;
  const name = nameOf(e);
  const status = statusOf(e);
  const details = { key, operation, ...(status ? { status } : {}), ...(name ? { s3Code: name } : {}) };
  if (name === 'NoSuchBucket') {
    return new StorageError('storage.config', `the bucket of the store does not exist (${operation} ${JSON.stringify(key)})`, {
      hint: 'create the bucket, or fix storage.bucket / storage.endpoint',
      details,
      cause: e,
    });
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return objectNotFound(key, e);
  if (name === 'PreconditionFailed' || status === 412) return immutableObject(key);
  if (status === 403 || (name !== undefined && DENIED_NAMES.has(name))) {
    return new StorageError('storage.denied', `${operation} ${JSON.stringify(key)} was refused by the server: ${messageOf(e)}`, {
      hint: 'check the credentials and that they may read, write and list the bucket',
      details,
      cause: e,
    });
  }
  const retryable =
    (status !== undefined && (status >= 500 || status === 429)) ||
    (name !== undefined && RETRYABLE_NAMES.has(name)) ||
    (e as { $retryable?: unknown } | null)?.$retryable !== undefined ||
    isTransientErrno(e);
  if (status === undefined && !retryable) return storageIoError(operation, key, e);
  return new StorageError('storage.io', `${operation} ${JSON.stringify(key)} failed: ${messageOf(e)}`, {
    hint: retryable ? 'the server or network failed for a moment; retry' : 'check the request and the server logs',
    retryable,
    details,
    cause: e,
  });
}

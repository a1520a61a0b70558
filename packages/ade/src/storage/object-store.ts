import type { Readable } from 'node:stream';

/** What the store knows about one object. */
export interface ObjectInfo {
  /** Key relative to the store root, `/`-separated, e.g. `clean/orders/data/_/b1-0.parquet`. */
  readonly key: string;
  readonly size: number;
  /** Last modification time (for GC grace periods). */
  readonly modified: Date;
}

/**
 * The lake's bytes. Keys are relative, `/`-separated paths; a key never
 * escapes the store root. Data files are immutable: `put` of an existing data
 * key is a bug the caller must avoid (keys carry batch ids), and stores may
 * refuse it.
 *
 * One local and one S3 implementation; the same suite tests both.
 */
export interface ObjectStore {
  readonly kind: 'local' | 's3';
  /** Atomically writes the whole object: readers see the old object or the new one, never a part. */
  put(key: string, body: Uint8Array | string): Promise<ObjectInfo>;
  /** Atomically stores the file at `localPath` (moved or uploaded; the file may be consumed). */
  putFile(key: string, localPath: string): Promise<ObjectInfo>;
  /** The whole object; throws `StorageError` with code `storage.not_found` when missing. */
  get(key: string): Promise<Buffer>;
  /** The object as a stream. */
  getStream(key: string): Promise<Readable>;
  /** Size and time, or undefined when missing. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes the object; missing objects are not an error. */
  delete(key: string): Promise<void>;
  /** Server-side copy. */
  copy(fromKey: string, toKey: string): Promise<ObjectInfo>;
  /**
   * A local file path holding the object's bytes, for DuckDB to read. The local
   * store returns the file itself; S3 downloads into a bounded read-through
   * cache. Every returned path lies under `localRoot()/<key>`.
   */
  localPath(key: string): Promise<string>;
  /** The directory under which `localPath` results live (`localRoot()/<zone>/` is what a session may read). */
  localRoot(): string;
  /** A fresh local directory for staging files before `putFile` (same filesystem as the store when local). */
  stagingDir(): Promise<string>;
  /** Removes staging directories untouched since `before` (left by killed writers); returns how many. */
  removeStaleStaging(before: Date): Promise<number>;
  close(): Promise<void>;
}

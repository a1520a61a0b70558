import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  compareKeys,
  dataFileKey,
  openObjectStore,
  resolveS3Config,
  S3_STORE_DEFAULTS,
  StorageError,
  validateKey,
  validatePrefix,
  type ObjectStore,
  type S3StoreSettings,
} from './index.js';

/** The little of s3rver's API the tests use (it ships no types). */
interface S3rver {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  /** The HTTP server, once running. */
  readonly httpServer: Server;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rver;
const S3rverCtor = createRequire(import.meta.url)('s3rver') as S3rverClass;

const MIB = 1024 * 1024;
const BUCKET = 'ade-lake';
const S3_PREFIX = 'lake';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Options a test may pass when it opens a store of its own. */
interface OpenOptions {
  readonly cacheMaxBytes?: number;
}

interface Implementation {
  readonly name: string;
  readonly kind: 'local' | 's3';
  open(options?: OpenOptions): Promise<ObjectStore>;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof StorageError, `expected a StorageError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function collect(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(prefix)) keys.push(info.key);
  return keys;
}

/** Total bytes of the files cached under `dir`, leaving out the store's own `.tmp`/`.staging`. */
async function cachedBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile() || path.includes('/.tmp/') || path.includes('/.staging/')) continue;
    total += (await stat(path)).size;
  }
  return total;
}

/** Bytes that differ from position to position, so a misplaced part shows. */
function pattern(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(Math.ceil(size / 4) * 4);
  for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return bytes.subarray(0, size);
}

describe('ObjectStore', () => {
  let temp: string;
  let server: S3rver;
  let endpoint: string;
  /** `METHOD url` of every request s3rver received, to see which calls a store made. */
  const requests: string[] = [];

  before(async () => {
    temp = await mkdtemp(join(tmpdir(), 'ade-storage-test-'));
    server = new S3rverCtor({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: join(temp, 's3rver'),
      configureBuckets: [{ name: BUCKET, configs: [] }],
    });
    const address = await server.run();
    endpoint = `http://127.0.0.1:${address.port}`;
    server.httpServer.on('request', (request: IncomingMessage) => requests.push(`${request.method} ${request.url}`));
  });

  after(async () => {
    await server?.close();
    await rm(temp, { recursive: true, force: true });
  });

  let opened = 0;
  const s3Settings = (options: OpenOptions = {}): S3StoreSettings => ({
    kind: 's3',
    bucket: BUCKET,
    prefix: S3_PREFIX,
    endpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    cacheDir: join(temp, `cache-${++opened}`),
    multipartThresholdBytes: 5 * MIB,
    partSizeBytes: 5 * MIB,
    // s3rver lists in file system walk order, not S3's UTF-8 byte order.
    sortListings: true,
    ...options,
  });

  const implementations: Implementation[] = [
    { name: 'LocalObjectStore', kind: 'local', open: () => openObjectStore({ kind: 'local', root: join(temp, 'lake') }) },
    { name: 'S3ObjectStore on s3rver', kind: 's3', open: (options) => openObjectStore(s3Settings(options)) },
  ];

  for (const impl of implementations) {
    describe(impl.name, () => {
      let store: ObjectStore;

      before(async () => {
        store = await impl.open();
      });

      after(async () => {
        await store?.close();
      });

      it(`should report its kind as ${impl.kind}`, () => {
        assert.equal(store.kind, impl.kind);
      });

      it('should round-trip binary bytes through put and get', async () => {
        const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(64 * 1024)]);
        const info = await store.put('roundtrip/blob.bin', body);
        assert.equal(info.key, 'roundtrip/blob.bin');
        assert.equal(info.size, body.length);
        assert.ok(info.modified instanceof Date && !Number.isNaN(info.modified.getTime()));
        assert.deepEqual(await store.get('roundtrip/blob.bin'), body);
        const stat = await store.stat('roundtrip/blob.bin');
        assert.equal(stat?.size, body.length);
      });

      it('should store strings as UTF-8', async () => {
        await store.put('roundtrip/text.json', '{"name":"Zoë ✓"}');
        assert.equal((await store.get('roundtrip/text.json')).toString('utf8'), '{"name":"Zoë ✓"}');
      });

      it('should replace a metadata key with put', async () => {
        await store.put('atomic/replaced.json', '{"version":1}');
        await store.put('atomic/replaced.json', '{"version":2}');
        assert.equal((await store.get('atomic/replaced.json')).toString(), '{"version":2}');
        assert.equal((await store.stat('atomic/replaced.json'))?.size, 13);
      });

      it(
        'should show readers the old or the new object whole while a metadata key is replaced',
        { skip: impl.kind === 's3' && 's3rver rewrites objects in place (S3 itself replaces atomically)' },
        async () => {
          const size = 512 * 1024;
          const a = Buffer.alloc(size, 'a');
          const b = Buffer.alloc(size, 'b');
          await store.put('atomic/metadata.json', a);
          let writing = true;
          const writer = (async () => {
            for (let i = 0; i < 12; i++) await store.put('atomic/metadata.json', i % 2 === 0 ? b : a);
            writing = false;
          })();
          let reads = 0;
          while (writing) {
            const seen = await store.get('atomic/metadata.json');
            assert.equal(seen.length, size, 'a reader saw a partial object');
            assert.ok(seen.equals(a) || seen.equals(b), 'a reader saw mixed bytes');
            reads++;
          }
          await writer;
          assert.ok(reads > 0);
          assert.deepEqual(await store.get('atomic/metadata.json'), a);
        },
      );

      it('should refuse to overwrite a data file by put, putFile or copy', async () => {
        const key = dataFileKey('clean', 'orders', undefined, 'immutable', 0);
        await store.put(key, 'first');
        await rejectsWith(store.put(key, 'second'), 'storage.immutable');
        const staged = join(await store.stagingDir(), 'again.parquet');
        await writeFile(staged, 'third');
        await rejectsWith(store.putFile(key, staged), 'storage.immutable');
        await store.put('immutable/other.parquet', 'other');
        await rejectsWith(store.copy('immutable/other.parquet', key), 'storage.immutable');
        assert.equal((await store.get(key)).toString(), 'first');
      });

      it('should say what was refused, with a hint and the key, when a data file exists', async () => {
        const key = 'immutable/explained.parquet';
        await store.put(key, 'x');
        const error = await store.put(key, 'y').then(
          () => assert.fail('put over a data file succeeded'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof StorageError);
        assert.match(error.message, /immutable\/explained\.parquet/);
        assert.ok(error.hint && error.hint.length > 0);
        assert.equal(error.details.key, key);
        assert.equal(error.retryable, false);
      });

      it('should return undefined from stat for a missing key', async () => {
        assert.equal(await store.stat('missing/nothing.json'), undefined);
      });

      it('should throw storage.not_found from get, getStream, localPath and copy of a missing key', async () => {
        await rejectsWith(store.get('missing/nothing.json'), 'storage.not_found');
        await rejectsWith(store.getStream('missing/nothing.json'), 'storage.not_found');
        await rejectsWith(store.localPath('missing/nothing.json'), 'storage.not_found');
        await rejectsWith(store.copy('missing/nothing.json', 'missing/copy.json'), 'storage.not_found');
      });

      it('should treat a folder of keys as no object', async () => {
        await store.put('folder/inside/file.json', '{}');
        assert.equal(await store.stat('folder/inside'), undefined);
        await rejectsWith(store.get('folder/inside'), 'storage.not_found');
      });

      it('should list every object under a prefix in key order, recursing into folders', async () => {
        const keys = [
          'list/orders/metadata/v1.json',
          'list/ordersz',
          'list/orders/data/dt=2024-01-02/b2-0.parquet',
          'list/orders.json',
          'list/orders/data/_/b1-1.parquet',
          'list/orders-x/a.json',
          'list/orders/data/_/b1-0.parquet',
          'list/other.json',
        ];
        await Promise.all(keys.map((key, i) => store.put(key, 'x'.repeat(i + 1))));
        // Byte order: '-' < '.' < '/' < '_' < 'd' < 'm' < 'z'.
        assert.deepEqual(await collect(store, 'list/orders'), [
          'list/orders-x/a.json',
          'list/orders.json',
          'list/orders/data/_/b1-0.parquet',
          'list/orders/data/_/b1-1.parquet',
          'list/orders/data/dt=2024-01-02/b2-0.parquet',
          'list/orders/metadata/v1.json',
          'list/ordersz',
        ]);
        assert.deepEqual(await collect(store, 'list/orders/data/'), [
          'list/orders/data/_/b1-0.parquet',
          'list/orders/data/_/b1-1.parquet',
          'list/orders/data/dt=2024-01-02/b2-0.parquet',
        ]);
        assert.deepEqual(await collect(store, 'list/nothing'), []);
        const sizes = new Map<string, number>();
        for await (const info of store.list('list/')) sizes.set(info.key, info.size);
        assert.equal(sizes.get('list/ordersz'), 2);
        assert.equal(sizes.get('list/other.json'), 8);
        const everything = await collect(store, '');
        assert.deepEqual(everything, [...everything].sort(compareKeys));
        for (const key of keys) assert.ok(everything.includes(key), `${key} missing from list('')`);
      });

      it('should never list staging or temp files', async () => {
        const staging = await store.stagingDir();
        await writeFile(join(staging, 'pending.parquet'), 'pending');
        const everything = await collect(store, '');
        assert.ok(everything.every((key) => !key.startsWith('.')), everything.join(', '));
      });

      it('should delete an object, and not fail when it is already gone', async () => {
        await store.put('delete/me.json', '{}');
        await store.delete('delete/me.json');
        assert.equal(await store.stat('delete/me.json'), undefined);
        await store.delete('delete/me.json');
        await store.delete('delete/never-existed.json');
        assert.deepEqual(await collect(store, 'delete/'), []);
      });

      it('should copy an object to a new key and leave the source as it was', async () => {
        const body = randomBytes(10_000);
        await store.put('copy/source.bin', body);
        const info = await store.copy('copy/source.bin', 'copy/target dir/copy of source.bin');
        assert.equal(info.key, 'copy/target dir/copy of source.bin');
        assert.equal(info.size, body.length);
        assert.deepEqual(await store.get('copy/target dir/copy of source.bin'), body);
        assert.deepEqual(await store.get('copy/source.bin'), body);
      });

      it('should store a staged file with putFile and keep its bytes under localRoot()/<key>', async () => {
        const staging = await store.stagingDir();
        assert.ok(staging.startsWith(store.localRoot()), `${staging} is not under ${store.localRoot()}`);
        assert.notEqual(staging, await store.stagingDir(), 'staging dirs must be fresh');
        const body = randomBytes(200_000);
        const staged = join(staging, 'part-0.parquet');
        await writeFile(staged, body);
        const key = dataFileKey('clean', 'orders', 'dt=2024-05-01', 'putfile', 0);
        const info = await store.putFile(key, staged);
        assert.equal(info.size, body.length);
        assert.deepEqual(await store.get(key), body);
        assert.deepEqual(await readFile(join(store.localRoot(), key)), body);
      });

      it('should throw storage.not_found when putFile gets no file', async () => {
        await rejectsWith(store.putFile('putfile/none.json', join(temp, 'no-such-file')), 'storage.not_found');
      });

      it('should stream an object with getStream', async () => {
        const body = randomBytes(300_000);
        await store.put('stream/blob.bin', body);
        assert.deepEqual(await readAll(await store.getStream('stream/blob.bin')), body);
      });

      it('should give a local path under localRoot()/<key> that holds the same bytes', async () => {
        const body = randomBytes(50_000);
        await store.put('localpath/data/_/b-0.parquet', body);
        const path = await store.localPath('localpath/data/_/b-0.parquet');
        assert.equal(path, join(store.localRoot(), 'localpath/data/_/b-0.parquet'));
        assert.deepEqual(await readFile(path), body);
      });

      it('should give the new bytes from localPath after another writer replaced a metadata object', async () => {
        await store.put('localpath/metadata.json', '{"v":1}');
        assert.equal(await readFile(await store.localPath('localpath/metadata.json'), 'utf8'), '{"v":1}');
        const other = await impl.open();
        try {
          await other.put('localpath/metadata.json', '{"v":2}');
        } finally {
          await other.close();
        }
        assert.equal(await readFile(await store.localPath('localpath/metadata.json'), 'utf8'), '{"v":2}');
      });

      it('should reject keys that escape the store with storage.path_escape', async () => {
        for (const key of ['../x', '/etc/passwd', 'a/../../b', 'a/..', '..', 'C:/windows']) {
          await rejectsWith(store.put(key, 'x'), 'storage.path_escape');
          await rejectsWith(store.get(key), 'storage.path_escape');
          await rejectsWith(store.stat(key), 'storage.path_escape');
          await rejectsWith(store.delete(key), 'storage.path_escape');
          await rejectsWith(store.localPath(key), 'storage.path_escape');
          await rejectsWith(store.copy('roundtrip/text.json', key), 'storage.path_escape');
        }
        await rejectsWith(collect(store, '../'), 'storage.path_escape');
        assert.equal(existsSync(join(temp, 'x')), false, 'a file was written outside the store');
      });

      it('should reject malformed keys with storage.invalid_key', async () => {
        for (const key of ['', 'a//b', 'a/', 'a\\b', 'a/\u0000b', 'a/./b', '.tmp/x', '.staging/x', 'a\nb', 'x'.repeat(1025)]) {
          await rejectsWith(store.put(key, 'x'), 'storage.invalid_key');
          await rejectsWith(store.get(key), 'storage.invalid_key');
        }
      });

      it(
        'should refuse keys that reach outside the root through a symlink',
        { skip: impl.kind !== 'local' && 'only the local store has a file system to escape' },
        async () => {
          const outside = join(temp, 'outside');
          await mkdir(outside, { recursive: true });
          await writeFile(join(outside, 'secret.txt'), 'secret');
          const root = store.localRoot();
          await mkdir(join(root, 'sym'), { recursive: true });
          await symlink(outside, join(root, 'sym', 'dir'));
          await symlink(join(outside, 'secret.txt'), join(root, 'sym', 'file.json'));
          await symlink(join(outside, 'missing'), join(root, 'sym', 'dangling'));

          await rejectsWith(store.put('sym/dir/planted.json', 'x'), 'storage.path_escape');
          assert.equal(existsSync(join(outside, 'planted.json')), false, 'a file was written through the symlink');
          await rejectsWith(store.get('sym/dir/secret.txt'), 'storage.path_escape');
          await rejectsWith(store.get('sym/file.json'), 'storage.path_escape');
          await rejectsWith(store.localPath('sym/file.json'), 'storage.path_escape');
          await rejectsWith(store.stat('sym/dir/secret.txt'), 'storage.path_escape');
          await rejectsWith(store.put('sym/dangling/x.json', 'x'), 'storage.path_escape');
          await rejectsWith(collect(store, 'sym/dir/'), 'storage.path_escape');
          assert.deepEqual(await collect(store, 'sym/'), [], 'symlinks must not be listed');
          assert.equal(await readFile(join(outside, 'secret.txt'), 'utf8'), 'secret');
        },
      );

      it('should upload an object larger than the multipart threshold and read it back', async () => {
        const body = pattern(11 * MIB + 123, 7);
        const key = 'multipart/data/_/big-0.parquet';
        requests.length = 0;
        const info = await store.put(key, body);
        assert.equal(info.size, body.length);
        assert.ok((await store.get(key)).equals(body), 'get returned other bytes');
        assert.ok((await readAll(await store.getStream(key))).equals(body), 'getStream returned other bytes');
        const staged = join(await store.stagingDir(), 'big.parquet');
        const fileBody = pattern(10 * MIB + 1, 11);
        await writeFile(staged, fileBody);
        await store.putFile('multipart/data/_/big-1.parquet', staged);
        assert.ok((await store.get('multipart/data/_/big-1.parquet')).equals(fileBody), 'putFile stored other bytes');
        if (impl.kind === 's3') {
          // Each object went up as three parts (5 + 5 + the rest MiB) under the configured prefix.
          for (const name of ['big-0', 'big-1']) {
            const parts = requests.filter((r) => r.startsWith(`PUT /${BUCKET}/${S3_PREFIX}/multipart/data/_/${name}.parquet?`) && r.includes('partNumber='));
            assert.equal(parts.length, 3, `${name}: ${parts.join(', ')}`);
          }
        }
      });

      it(
        'should evict least recently used cached files to stay under cacheMaxBytes, and download them again',
        { skip: impl.kind !== 's3' && 'the local store serves its own files and has no cache' },
        async () => {
          const max = 100_000;
          const cached = await impl.open({ cacheMaxBytes: max });
          try {
            const root = cached.localRoot();
            const bodies = [0, 1, 2, 3, 4].map((i) => pattern(30_000, i));
            const keys = bodies.map((_, i) => `cache/data/_/f-${i}.parquet`);
            for (const [i, key] of keys.entries()) await cached.put(key, bodies[i]!);
            for (const [i, key] of keys.entries()) {
              const path = await cached.localPath(key);
              assert.deepEqual(await readFile(path), bodies[i]);
              assert.ok((await cachedBytes(root)) <= max, `cache holds ${await cachedBytes(root)} bytes`);
            }
            // Holds f-2, f-3, f-4; using f-2 makes f-3 the least recently used.
            const present = (i: number) => existsSync(join(root, keys[i]!));
            assert.deepEqual([0, 1, 2, 3, 4].map(present), [false, false, true, true, true]);
            await cached.localPath(keys[2]!);
            const again = await cached.localPath(keys[0]!);
            assert.deepEqual(await readFile(again), bodies[0], 'an evicted file came back with other bytes');
            assert.deepEqual([0, 1, 2, 3, 4].map(present), [true, false, true, false, true]);
            assert.ok((await cachedBytes(root)) <= max);

            // A file larger than the whole cache is still returned, and everything else makes way for it.
            const big = pattern(150_000, 99);
            await cached.put('cache/data/_/big-0.parquet', big);
            const bigPath = await cached.localPath('cache/data/_/big-0.parquet');
            assert.deepEqual(await readFile(bigPath), big);
            assert.equal(await cachedBytes(root), big.length);
          } finally {
            await cached.close();
          }
        },
      );

      it('should keep every object when many puts to different keys run at once', async () => {
        const bodies = Array.from({ length: 40 }, (_, i) => randomBytes(1_000 + i));
        const keys = bodies.map((_, i) => `concurrent/k-${String(i).padStart(2, '0')}.bin`);
        await Promise.all(keys.map((key, i) => store.put(key, bodies[i]!)));
        assert.deepEqual(await collect(store, 'concurrent/'), keys);
        for (const [i, key] of keys.entries()) assert.deepEqual(await store.get(key), bodies[i]);
      });
    });
  }

  it('should fill S3 size defaults once when settings leave them out', () => {
    const { kind: _kind, ...rest } = s3Settings();
    const config = resolveS3Config({ kind: 's3', ...rest, cacheMaxBytes: undefined, partSizeBytes: undefined, multipartThresholdBytes: undefined });
    assert.equal(config.cacheMaxBytes, 2 * 1024 ** 3);
    assert.equal(config.multipartThresholdBytes, 16 * MIB);
    assert.equal(config.partSizeBytes, 8 * MIB);
    assert.deepEqual(S3_STORE_DEFAULTS, { cacheMaxBytes: 2 * 1024 ** 3, multipartThresholdBytes: 16 * MIB, partSizeBytes: 8 * MIB });
    assert.equal(resolveS3Config({ ...s3Settings(), cacheMaxBytes: 5 }).cacheMaxBytes, 5);
  });

  it('should refuse to open an S3 store whose bucket does not exist', async () => {
    await rejectsWith(openObjectStore({ ...s3Settings(), bucket: 'no-such-bucket' }), 'storage.config');
  });

  it('should fail a listing loudly when the server breaks key order and sortListings is off', async () => {
    const store = await openObjectStore({ ...s3Settings(), prefix: 'unsorted', sortListings: false });
    try {
      await Promise.all(['a/b.json', 'a-b.json'].map((key) => store.put(key, '{}')));
      // s3rver walks folders first and so lists a/b.json before a-b.json; S3 would not.
      await rejectsWith(collect(store, ''), 'storage.config');
    } finally {
      await store.close();
    }
  });

  it('should refuse S3 parts smaller than 5 MiB', async () => {
    await rejectsWith(openObjectStore({ ...s3Settings(), partSizeBytes: MIB }), 'storage.config');
  });
});

describe('keys', () => {
  it('should build data file keys as <zone>/<table>/data/<partition or _>/<batch>-<n>.parquet', () => {
    assert.equal(dataFileKey('clean', 'orders', undefined, 'b1', 0), 'clean/orders/data/_/b1-0.parquet');
    assert.equal(
      dataFileKey('model', 'orders_f', 'dt=2024-05-01/country=nl', '0190b1c2-aaaa-7bbb-8ccc-123456789abc', 12),
      'model/orders_f/data/dt=2024-05-01/country=nl/0190b1c2-aaaa-7bbb-8ccc-123456789abc-12.parquet',
    );
  });

  it('should refuse data file keys with a bad zone, table, partition, batch id or number', () => {
    assert.throws(() => dataFileKey('nowhere', 'orders', undefined, 'b1', 0), /zone/);
    assert.throws(() => dataFileKey('clean', 'Orders', undefined, 'b1', 0), /table/);
    assert.throws(() => dataFileKey('clean', 'orders', '../x', 'b1', 0), (e: unknown) => (e as StorageError).code === 'storage.path_escape');
    assert.throws(() => dataFileKey('clean', 'orders', undefined, 'b/1', 0), (e: unknown) => (e as StorageError).code === 'storage.invalid_key');
    assert.throws(() => dataFileKey('clean', 'orders', undefined, 'b1', -1), (e: unknown) => (e as StorageError).code === 'storage.invalid_key');
    assert.throws(() => dataFileKey('clean', 'orders', undefined, 'b1', 1.5), (e: unknown) => (e as StorageError).code === 'storage.invalid_key');
  });

  it('should accept list prefixes that stop inside a segment or end with a slash, and nothing that escapes', () => {
    assert.equal(validatePrefix(''), '');
    assert.equal(validatePrefix('clean/ord'), 'clean/ord');
    assert.equal(validatePrefix('clean/'), 'clean/');
    assert.equal(validateKey('clean/orders/metadata/v1.json'), 'clean/orders/metadata/v1.json');
    assert.throws(() => validatePrefix('clean/../'), (e: unknown) => (e as StorageError).code === 'storage.path_escape');
    assert.throws(() => validatePrefix('/clean'), (e: unknown) => (e as StorageError).code === 'storage.path_escape');
  });

  it('should order keys by UTF-8 bytes, as S3 lists them', () => {
    assert.deepEqual(['a/b', 'a-b', 'a.b', '\uffff', '\u{1f600}'].sort(compareKeys), ['a-b', 'a.b', 'a/b', '\uffff', '\u{1f600}']);
  });
});

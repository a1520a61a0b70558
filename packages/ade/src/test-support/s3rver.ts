// Test helper: an s3rver on 127.0.0.1 (random port) with one bucket, stopped by `close`.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { S3StoreSettings } from '../storage/index.js';

interface S3rver {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer: Server;
}
const S3rverCtor = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rver;

export interface LocalS3 {
  readonly endpoint: string;
  /** Store settings for this server; each call gets its own cache folder. */
  settings(cacheDir: string): S3StoreSettings;
  close(): Promise<void>;
}

export async function startS3rver(dir: string, bucket = 'ade-lake'): Promise<LocalS3> {
  const server = new S3rverCtor({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3rver'), configureBuckets: [{ name: bucket, configs: [] }] });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    settings: (cacheDir) => ({
      kind: 's3',
      bucket,
      prefix: 'lake',
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      cacheDir,
      sortListings: true,
    }),
    close: () => server.close(),
  };
}

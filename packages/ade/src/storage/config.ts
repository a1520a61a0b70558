import { LocalObjectStore, type LocalObjectStoreConfig } from './local-object-store.js';
import type { ObjectStore } from './object-store.js';
import type { S3ObjectStoreConfig } from './s3-object-store.js';

/** S3 settings that have defaults. */
type DefaultedS3Field = 'cacheMaxBytes' | 'multipartThresholdBytes' | 'partSizeBytes';

/** The lake on local disk (the embedded default). */
export type LocalStoreSettings = { readonly kind: 'local' } & LocalObjectStoreConfig;

/** The lake on S3 or an S3-compatible server (team mode); sizes default to {@link S3_STORE_DEFAULTS}. */
export type S3StoreSettings = { readonly kind: 's3' } & Omit<S3ObjectStoreConfig, DefaultedS3Field> &
  Partial<Pick<S3ObjectStoreConfig, DefaultedS3Field>>;

/**
 * Where the lake's bytes live. Each field is documented on
 * {@link LocalObjectStoreConfig} and {@link S3ObjectStoreConfig}.
 *
 * @example
 * { kind: 'local', root: '.ade/lake' }
 * { kind: 's3', bucket: 'lake', region: 'us-east-1', endpoint: 'http://minio:9000', cacheDir: '/var/cache/ade' }
 */
export type ObjectStoreConfig = LocalStoreSettings | S3StoreSettings;

/** Sizes used when an S3 setting leaves them out. */
export const S3_STORE_DEFAULTS = {
  /** 2 GiB of cached files. */
  cacheMaxBytes: 2 * 1024 ** 3,
  /** Objects over 16 MiB go up in parts. */
  multipartThresholdBytes: 16 * 1024 ** 2,
  /** 8 MiB parts. */
  partSizeBytes: 8 * 1024 ** 2,
} as const satisfies Pick<S3ObjectStoreConfig, DefaultedS3Field>;

/** The S3 settings with every default filled in. */
export function resolveS3Config(settings: S3StoreSettings): S3ObjectStoreConfig {
  const { kind: _kind, ...config } = settings;
  return { ...S3_STORE_DEFAULTS, ...withoutUndefined(config) };
}

/**
 * Opens the store a configuration describes.
 *
 * @example
 * const store = await openObjectStore({ kind: 'local', root: '.ade/lake' });
 */
export async function openObjectStore(config: ObjectStoreConfig): Promise<ObjectStore> {
  switch (config.kind) {
    case 'local':
      return LocalObjectStore.open({ root: config.root });
    case 's3':
      // Loaded on demand: the AWS SDK costs hundreds of milliseconds of start-up.
      return (await import('./s3-object-store.js')).S3ObjectStore.open(resolveS3Config(config));
  }
}

/** Drops keys whose value is undefined, so they do not override defaults. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

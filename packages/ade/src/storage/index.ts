// The lake's object store: the only import point of storage/.
export type { ObjectInfo, ObjectStore } from './object-store.js';
export { LocalObjectStore, type LocalObjectStoreConfig } from './local-object-store.js';
// S3ObjectStore is loaded on demand by openObjectStore (the AWS SDK is heavy); import it from
// './s3-object-store.js' directly when you need the class itself.
export type { S3ObjectStore, S3Credentials, S3ObjectStoreConfig } from './s3-object-store.js';
export {
  openObjectStore,
  resolveS3Config,
  S3_STORE_DEFAULTS,
  type LocalStoreSettings,
  type ObjectStoreConfig,
  type S3StoreSettings,
} from './config.js';
export { isStorageError, StorageError, type StorageErrorCode } from './errors.js';
export {
  compareKeys,
  DATA_FILE_SUFFIX,
  dataFileKey,
  isImmutableKey,
  isValidKey,
  MAX_KEY_BYTES,
  MAX_SEGMENT_BYTES,
  NO_PARTITION,
  validateKey,
  validatePrefix,
} from './keys.js';

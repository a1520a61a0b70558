import { join } from 'node:path';
import { openObjectStore, type ObjectStore } from '../storage/index.js';
import type { Project } from './project.js';

/** Buckets that `s3://` source locations name, opened once each. */
export interface SourceBuckets {
  open(bucket: string): Promise<ObjectStore>;
  close(): Promise<void>;
}

/**
 * Opens `s3://` source locations with the project's S3 settings (endpoint,
 * credentials) or, for a project on local storage, the AWS defaults; each
 * bucket's files are cached under `.ade/fetch-cache/<bucket>`.
 */
export function sourceBuckets(project: Project): SourceBuckets {
  const buckets = new Map<string, Promise<ObjectStore>>();
  const storage = project.lake.storage;
  return {
    open(bucket) {
      let store = buckets.get(bucket);
      if (!store) {
        const cacheDir = join(project.dir, '.ade', 'fetch-cache', bucket);
        store = storage.kind === 's3' ? openObjectStore({ ...storage, bucket, prefix: '', cacheDir }) : openObjectStore({ kind: 's3', bucket, prefix: '', region: 'us-east-1', cacheDir });
        buckets.set(bucket, store);
      }
      return store;
    },
    async close() {
      await Promise.allSettled([...buckets.values()].map(async (b) => (await b).close()));
    },
  };
}

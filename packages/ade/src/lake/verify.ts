import { createHash } from 'node:crypto';
import type { IntegrityProblem } from '../catalog/index.js';
import { formatTableRef } from '../kernel/index.js';
import type { Lake } from './lake.js';

export interface VerifyReport {
  readonly tables: number;
  readonly snapshots: number;
  readonly files: number;
  /** Input files the ingest ledger keeps in the raw and archive zones. */
  readonly ingestedFiles: number;
  readonly problems: readonly IntegrityProblem[];
}

/**
 * Checks the catalog's structure and that every file of every table's current
 * snapshot exists in the store with the recorded size (and, with `readFiles`,
 * that DuckDB reads it with the recorded row count); and that every input
 * file the ingest ledger keeps exists (with `readFiles`: unchanged).
 */
export async function verifyLake(lake: Lake, options: { readFiles?: boolean } = {}): Promise<VerifyReport> {
  const problems: IntegrityProblem[] = [...(await lake.catalog.checkIntegrity())];
  const tables = await lake.catalog.listTables();
  let files = 0;
  let snapshots = 0;
  for (const t of tables) {
    const name = formatTableRef(t);
    snapshots += (await lake.catalog.history(t)).length;
    const current = await lake.catalog.files(t);
    files += current.length;
    for (const f of current) {
      const info = await lake.store.stat(f.path);
      if (!info) {
        problems.push({ table: name, problem: `file ${f.path} is referenced but missing` });
        continue;
      }
      if (info.size !== f.bytes) problems.push({ table: name, problem: `file ${f.path} has ${info.size} bytes, catalog says ${f.bytes}` });
    }
    if (options.readFiles && current.length) {
      const paths = await Promise.all(current.map((f) => lake.store.localPath(f.path)));
      try {
        const rows = await lake.engine.countParquetRows(paths);
        const expected = current.reduce((s, f) => s + f.rows, 0);
        if (rows !== expected) problems.push({ table: name, problem: `files hold ${rows} rows, catalog says ${expected}` });
      } catch (e) {
        problems.push({ table: name, problem: `files do not read: ${(e as Error).message.split('\n')[0]}` });
      }
    }
  }
  // Ingested input files: each copy the ledger points at exists (and, with readFiles, still has the
  // bytes that were hashed, unless an erasure rewrote it).
  const ingested = (await lake.catalog.listIngestedFiles()).filter((f) => f.zone !== 'deleted');
  for (const f of ingested) {
    const where = `source ${f.source}`;
    const info = await lake.store.stat(f.rawKey);
    if (!info) {
      problems.push({ table: where, problem: `ingested file ${f.rawKey} is in the ledger but missing` });
      continue;
    }
    if (options.readFiles && f.info.erasures === undefined) {
      const hash = createHash('sha256');
      for await (const chunk of await lake.store.getStream(f.rawKey)) hash.update(chunk as Buffer);
      if (`sha256:${hash.digest('hex')}` !== f.contentHash) problems.push({ table: where, problem: `ingested file ${f.rawKey} no longer has the bytes that were ingested` });
    }
  }
  return { tables: tables.length, snapshots, files, ingestedFiles: ingested.length, problems };
}

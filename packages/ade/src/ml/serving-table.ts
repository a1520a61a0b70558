import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelAliasRecord, ModelVersionRecord } from '../catalog/index.js';
import { formatTableRef, quoteLiteral, type Principal, type TableRef } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';

/**
 * The key-value serving table applications (and BFFs) read: one row per
 * `name@vN` (alias NULL) and per `name@alias`, with the artifact JSON.
 */
export const SERVING_TABLE: TableRef = { zone: 'ml', name: 'model_serving' };

/** Its columns, in order. */
export const SERVING_COLUMNS = {
  key: 'VARCHAR',
  name: 'VARCHAR',
  alias: 'VARCHAR',
  version: 'BIGINT',
  artifact: 'VARCHAR',
  sha256: 'VARCHAR',
  updated_at: 'TIMESTAMP',
} as const;

export interface ServingTableResult {
  readonly table: string;
  readonly snapshotId: number;
  /** Rows written: versions plus aliases. */
  readonly rows: number;
}

const MAX_ATTEMPTS = 6;

/** DuckDB's JSON reader needs its largest object size up front (and allocates buffers by it): the longest line, with room, at least its 16 MiB default. */
function objectSizeLimit(longestLine: number): number {
  return Math.max(16 * 1024 * 1024, 2 ** Math.ceil(Math.log2(longestLine + 1024)));
}

/** What the registry holds now, as the serving table will show it (to tell whether a write is still current). */
function fingerprint(versions: readonly ModelVersionRecord[], aliases: readonly ModelAliasRecord[]): string {
  return JSON.stringify([versions.map((v) => `${v.name}@v${v.version}:${v.artifactSha256}`), aliases.map((a) => `${a.name}@${a.alias}=${a.version}`)]);
}

/**
 * Rewrites the serving table from the registry in one commit (a replace: a
 * reader sees the old table or the new one, never a part). Two writers race
 * safely: a writer that lost the commit, or whose registry read is no longer
 * current once its commit landed, reads the registry again and rewrites.
 */
export async function writeServingTable(
  lake: Lake,
  principal: Principal,
  table: TableRef,
  artifactText: (r: ModelVersionRecord) => Promise<string>,
): Promise<ServingTableResult> {
  const dir = await mkdtemp(join(tmpdir(), 'ade-serving-'));
  const texts = new Map<string, string>();
  try {
    for (let attempt = 1; ; attempt++) {
      const versions = await lake.catalog.listAllModelVersions();
      const aliases = await lake.catalog.listModelAliases();
      const seen = fingerprint(versions, aliases);
      const path = join(dir, `serving-${attempt}.ndjson`);
      const file = createWriteStream(path);
      const write = (line: string) => (file.write(line) ? undefined : new Promise<void>((resolve) => file.once('drain', () => resolve())));
      let rows = 0;
      let longest = 0;
      const line = (row: Record<string, unknown>) => {
        const text = JSON.stringify(row) + '\n';
        longest = Math.max(longest, Buffer.byteLength(text));
        return write(text);
      };
      try {
        const byVersion = new Map<string, ModelVersionRecord>();
        for (const v of versions) {
          byVersion.set(`${v.name}@v${v.version}`, v);
          let text = texts.get(v.artifactKey);
          if (text === undefined) texts.set(v.artifactKey, (text = await artifactText(v)));
          await line({ key: `${v.name}@v${v.version}`, name: v.name, alias: null, version: v.version, artifact: text, sha256: v.artifactSha256, updated_ms: v.createdAt.getTime() });
          rows++;
        }
        for (const a of aliases) {
          const v = byVersion.get(`${a.name}@v${a.version}`);
          if (!v) continue;
          await line({ key: `${a.name}@${a.alias}`, name: a.name, alias: a.alias, version: a.version, artifact: texts.get(v.artifactKey), sha256: v.artifactSha256, updated_ms: a.updatedAt.getTime() });
          rows++;
        }
      } finally {
        await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
      }
      const columns = `{key: 'VARCHAR', name: 'VARCHAR', alias: 'VARCHAR', version: 'BIGINT', artifact: 'VARCHAR', sha256: 'VARCHAR', updated_ms: 'BIGINT'}`;
      const sql = `SELECT key, name, alias, version, artifact, sha256, epoch_ms(updated_ms) AS updated_at FROM read_json(${quoteLiteral(path)}, format = 'newline_delimited', columns = ${columns}, maximum_object_size = ${objectSizeLimit(longest)})`;
      try {
        const written = await lake.writeSelect(principal, {
          table,
          sql,
          mode: 'replace',
          readPaths: [path],
          batchInfo: { source: 'ml.registry', rows },
          create: { description: 'Published models: key name@vN or name@alias → the artifact JSON (ade.model/v1) and its sha256, rewritten on every register, promote and rollback' },
        });
        const now = fingerprint(await lake.catalog.listAllModelVersions(), await lake.catalog.listModelAliases());
        if (now === seen || attempt >= MAX_ATTEMPTS) return { table: formatTableRef(table), snapshotId: written.snapshot.id, rows };
      } catch (e) {
        if ((e as { code?: string }).code !== 'catalog.commit_conflict' || attempt >= MAX_ATTEMPTS) throw e;
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

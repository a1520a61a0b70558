import { ValidationError, validateName } from '../kernel/index.js';
import { checkDate, checkText, type CatalogContext } from './catalog-context.js';
import type { SqlExecutor } from './sql-driver.js';

/** One input file a source ingested, kept so that re-ingesting it is a no-op. */
export interface IngestedFile {
  readonly source: string;
  /** `sha256:<hex>` of the file's bytes as received. */
  readonly contentHash: string;
  /** The file's name when it arrived (no directories). */
  readonly name: string;
  /** Object key of the byte-for-byte copy (`raw/<source>/files/…` or, once archived, `archive/…`). */
  readonly rawKey: string;
  /** Zone the copy is in: `raw`, `archive`, or `deleted` once archive retention removed it. */
  readonly zone: 'raw' | 'archive' | 'deleted';
  readonly bytes: number;
  readonly batchId: string;
  readonly ingestedAt: Date;
  /** When the copy last moved (archived or deleted). */
  readonly movedAt?: Date;
  /** Counts and the detection report of the ingest (no values). */
  readonly info: Readonly<Record<string, unknown>>;
}

/** A source's pinned input schema. */
export interface SourceSchema {
  readonly name: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly pinnedAt: Date;
  readonly updatedAt: Date;
}

type FileRow = {
  source: string;
  content_hash: string;
  name: string;
  raw_key: string;
  zone: string;
  bytes: number | string;
  batch_id: string;
  ingested_at: number | string;
  moved_at: number | string | null;
  info: string;
};

const FILE_COLUMNS = 'source, content_hash, name, raw_key, zone, bytes, batch_id, ingested_at, moved_at, info';
const HASH = /^sha256:[0-9a-f]{64}$/;

function toFile(r: FileRow): IngestedFile {
  return {
    source: r.source,
    contentHash: r.content_hash,
    name: r.name,
    rawKey: r.raw_key,
    zone: r.zone as IngestedFile['zone'],
    bytes: Number(r.bytes),
    batchId: r.batch_id,
    ingestedAt: new Date(Number(r.ingested_at)),
    ...(r.moved_at === null ? {} : { movedAt: new Date(Number(r.moved_at)) }),
    info: JSON.parse(r.info) as Record<string, unknown>,
  };
}

export async function getIngestedFile(tx: SqlExecutor, source: string, contentHash: string): Promise<IngestedFile | undefined> {
  const [row] = await tx.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM ingest_files WHERE source = ? AND content_hash = ?`, [source, contentHash]);
  return row ? toFile(row) : undefined;
}

/** Records an ingested file; a second record of the same (source, hash) keeps the first and returns it. */
export async function recordIngestedFile(
  tx: SqlExecutor,
  ctx: CatalogContext,
  file: Omit<IngestedFile, 'ingestedAt' | 'movedAt' | 'zone'>,
): Promise<IngestedFile> {
  validateName('source', file.source);
  if (!HASH.test(file.contentHash)) throw new ValidationError('content hash must be sha256:<64 hex>', { code: 'validation.invalid' });
  checkText('raw key', file.rawKey);
  const existing = await getIngestedFile(tx, file.source, file.contentHash);
  if (existing) return existing;
  await tx.run(`INSERT INTO ingest_files (${FILE_COLUMNS}) VALUES (?, ?, ?, ?, 'raw', ?, ?, ?, NULL, ?)`, [
    file.source,
    file.contentHash,
    file.name,
    file.rawKey,
    file.bytes,
    file.batchId,
    ctx.clock.now().getTime(),
    JSON.stringify(file.info ?? {}),
  ]);
  return (await getIngestedFile(tx, file.source, file.contentHash))!;
}

/** Files of a source (or all sources), oldest first, optionally in one zone and ingested before a time. */
export async function listIngestedFiles(
  tx: SqlExecutor,
  opts: { source?: string; zone?: IngestedFile['zone']; before?: Date; limit?: number },
): Promise<IngestedFile[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (opts.source !== undefined) (where.push('source = ?'), params.push(opts.source));
  if (opts.zone !== undefined) (where.push('zone = ?'), params.push(opts.zone));
  if (opts.before !== undefined) (where.push('ingested_at < ?'), params.push(checkDate('before', opts.before)));
  const rows = await tx.query<FileRow>(
    `SELECT ${FILE_COLUMNS} FROM ingest_files${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ingested_at, content_hash LIMIT ?`,
    [...params, opts.limit ?? 1_000_000],
  );
  return rows.map(toFile);
}

/** Moves a file's record to another zone/key (archive, delete) or merges info (erasure). */
export async function updateIngestedFile(
  tx: SqlExecutor,
  ctx: CatalogContext,
  source: string,
  contentHash: string,
  patch: { zone?: IngestedFile['zone']; rawKey?: string; info?: Record<string, unknown> },
): Promise<IngestedFile> {
  const current = await getIngestedFile(tx, source, contentHash);
  if (!current) throw new ValidationError(`no ingested file ${contentHash} for source ${source}`, { code: 'ingest.file_unknown' });
  const moved = patch.zone !== undefined || patch.rawKey !== undefined;
  await tx.run(`UPDATE ingest_files SET zone = ?, raw_key = ?, moved_at = ?, info = ? WHERE source = ? AND content_hash = ?`, [
    patch.zone ?? current.zone,
    patch.rawKey ?? current.rawKey,
    moved ? ctx.clock.now().getTime() : current.movedAt?.getTime() ?? null,
    JSON.stringify({ ...current.info, ...(patch.info ?? {}) }),
    source,
    contentHash,
  ]);
  return (await getIngestedFile(tx, source, contentHash))!;
}

type SchemaRow = { name: string; columns: string; pinned_at: number | string; updated_at: number | string };

export async function getSourceSchema(tx: SqlExecutor, name: string): Promise<SourceSchema | undefined> {
  const [row] = await tx.query<SchemaRow>('SELECT name, columns, pinned_at, updated_at FROM ingest_sources WHERE name = ?', [name]);
  return row
    ? { name: row.name, columns: JSON.parse(row.columns), pinnedAt: new Date(Number(row.pinned_at)), updatedAt: new Date(Number(row.updated_at)) }
    : undefined;
}

/** Pins (first call) or evolves a source's schema. */
export async function putSourceSchema(
  tx: SqlExecutor,
  ctx: CatalogContext,
  name: string,
  columns: readonly { name: string; type: string }[],
): Promise<SourceSchema> {
  validateName('source', name);
  const now = ctx.clock.now().getTime();
  const text = JSON.stringify(columns.map((c) => ({ name: c.name, type: c.type })));
  if (await getSourceSchema(tx, name)) await tx.run('UPDATE ingest_sources SET columns = ?, updated_at = ? WHERE name = ?', [text, now, name]);
  else await tx.run('INSERT INTO ingest_sources (name, columns, pinned_at, updated_at) VALUES (?, ?, ?, ?)', [name, text, now, now]);
  return (await getSourceSchema(tx, name))!;
}

/**
 * Takes the source's ingest lease for `owner` until now + `leaseMs`, when it
 * is free, expired or already `owner`'s. Returns the holder after the attempt
 * (the caller has it when that is `owner`).
 */
export async function acquireIngestLease(
  tx: SqlExecutor,
  ctx: CatalogContext,
  source: string,
  owner: string,
  leaseMs: number,
): Promise<{ owner: string; expiresAt: Date }> {
  validateName('source', source);
  checkText('lease owner', owner);
  const now = ctx.clock.now().getTime();
  await tx.run(
    `INSERT INTO ingest_leases (source, owner, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (source) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
     WHERE ingest_leases.expires_at < ? OR ingest_leases.owner = excluded.owner`,
    [source, owner, now + leaseMs, now],
  );
  const [row] = await tx.query<{ owner: string; expires_at: number | string }>('SELECT owner, expires_at FROM ingest_leases WHERE source = ?', [source]);
  return { owner: row!.owner, expiresAt: new Date(Number(row!.expires_at)) };
}

/** Gives the lease back (only its owner can). */
export async function releaseIngestLease(tx: SqlExecutor, source: string, owner: string): Promise<void> {
  await tx.run('DELETE FROM ingest_leases WHERE source = ? AND owner = ?', [source, owner]);
}

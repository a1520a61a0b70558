import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import type { DataFile, IngestedFile, PinnedSnapshot } from '../catalog/index.js';
import type { Workspace } from '../engine/index.js';
import {
  AdeError,
  assertCanWrite,
  formatTableRef,
  normalizeNames,
  PermissionError,
  quoteIdent,
  quoteLiteral,
  roleAtLeast,
  uuidv7,
  ValidationError,
  type Principal,
  type TableRef,
} from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { isPiiKind, normalizeFor, tokenize, validateKeyring, type Keyring, type PiiKind } from '../privacy/index.js';
import { dataFileKey } from '../storage/index.js';
import { IngestError, scrub } from './errors.js';
import { plainPath } from './flatten.js';
import type { SourceConfig } from './source-config.js';
import { tokenKind } from './value-transforms.js';

/** Shortest value `forget` accepts: shorter ones would match unrelated records as substrings. */
export const MIN_SUBJECT_CHARS = 4;

export interface ForgetRequest {
  /** Sources to erase the subject from (usually every source, or the one asked for). */
  readonly sources: readonly SourceConfig[];
  /** Every key tokens may have been made with: each one's token of the subject is looked for. */
  readonly keyring: Keyring | undefined;
  /** The field that identifies the subject (`email`, `properties.email`). */
  readonly field: string;
  /** The subject's value as it arrived. Never printed, audited or put into SQL text. */
  readonly value: string;
  /** How the value is normalised before tokenising; default: the source's policy for the field, else from the field name. */
  readonly kind?: PiiKind;
  /** Count what would be removed and change nothing. */
  readonly dryRun?: boolean;
}

/** Rows removed from one table. */
export interface TableErasure {
  readonly table: string;
  readonly rowsRemoved: number;
  /** Data files replaced by copies without the subject's rows (or dropped when nothing was left). */
  readonly filesRewritten: number;
  /** The snapshot of the one `overwrite` commit, when there was one. */
  readonly snapshot?: number;
}

/** A raw or archived file forget could not rewrite. Named by content hash, never by its (possibly personal) contents. */
export interface UnsupportedFile {
  readonly contentHash: string;
  readonly zone: 'raw' | 'archive';
  readonly reason: string;
  /** Lines that hold the subject (known for text files). */
  readonly matchingLines?: number;
}

/** What `forgetSubject` did (or would do) in one source. Counts only: no value, no token. */
export interface ErasureReport {
  readonly source: string;
  readonly dryRun: boolean;
  readonly field: string;
  readonly kind: PiiKind;
  /** The clean column holding `field`; undefined when there is none (then only text columns are searched for tokens). */
  readonly fieldColumn?: string;
  /** Distinct tokens of the subject looked for (one per key). */
  readonly tokens: number;
  readonly tables: readonly TableErasure[];
  readonly rawFiles: {
    /** Raw and archived files rewritten without the subject's lines (rows for Parquet). */
    readonly filesRewritten: number;
    readonly linesRemoved: number;
    readonly unsupported: readonly UnsupportedFile[];
  };
}

/**
 * `ade forget`: erases one data subject (GDPR art. 17) from sources.
 *
 * - clean.<source>: rows whose column for `field` holds the subject's token
 *   under any key (or the value itself, for a kept field), and rows whose text
 *   columns hold such a token anywhere (`[EMAIL:tok_…]` placeholders, JSON
 *   text) are removed;
 * - quarantine.<source>: rows whose `record` holds the value (as given or
 *   normalised, on word boundaries) are removed;
 * - raw and archived copies: lines holding the value are removed (rows, for
 *   Parquet); the file is stored under a new key, the ledger pointed at it,
 *   then the old object deleted. Its content hash stays, so the original file
 *   is still recognised as ingested.
 *
 * Each table's affected files are replaced in one `overwrite` commit. Older
 * snapshots keep the removed rows until `ade gc` expires them. One audit event
 * (`erasure`) per source records counts only.
 *
 * @example
 * const [r] = await forgetSubject(lake, engineer, { sources: [events], keyring, field: 'email', value: 'jane@example.com' });
 * console.log(r.tables); // [{ table: 'clean.events', rowsRemoved: 3, filesRewritten: 1, snapshot: 12 }, …]
 */
export async function forgetSubject(lake: Lake, principal: Principal, req: ForgetRequest): Promise<ErasureReport[]> {
  if (!roleAtLeast(principal.role, 'engineer')) {
    throw new PermissionError(`${principal.name} (${principal.role}) may not erase data subjects`, { hint: 'erasure needs the engineer role (e.g. --as engineer)' });
  }
  for (const zone of ['clean', 'quarantine', 'raw', 'archive']) assertCanWrite(principal, zone);
  if (!req.keyring) {
    throw new IngestError('privacy.no_key', 'forget needs the keyring the tokens were made with, and none is configured', {
      hint: 'point privacy.keyring in ade.yaml (or ADE_KEYRING) at the keyring ingest used',
    });
  }
  const keyring = validateKeyring(req.keyring);
  if (typeof req.field !== 'string' || req.field.trim() === '') throw new ValidationError('forget needs the field that identifies the subject', { code: 'erasure.no_field', hint: 'pass --field, e.g. --field email' });
  if (typeof req.value !== 'string' || req.value.trim().length < MIN_SUBJECT_CHARS) {
    throw new ValidationError(`the subject's value must have at least ${MIN_SUBJECT_CHARS} characters`, {
      code: 'erasure.short_value',
      hint: 'shorter values would match unrelated records; identify the subject by a more specific field (email, phone, customer id)',
    });
  }
  if (req.kind !== undefined && !isPiiKind(req.kind)) throw new ValidationError(`unknown value kind ${JSON.stringify(req.kind)}`, { code: 'erasure.kind' });
  const reports: ErasureReport[] = [];
  for (const source of req.sources) {
    const kind = req.kind ?? declaredKind(source, req.field) ?? tokenKind(plainPath(req.field));
    const subject = subjectOf(req.value, kind, keyring);
    try {
      reports.push(await forgetInSource(lake, principal, source, req.field, subject, req.dryRun ?? false));
    } catch (e) {
      throw safeError(e, `erasure in source ${source.name} failed`, subject.secrets);
    }
  }
  return reports;
}

/** What identifies the subject, in every form forget looks for. */
interface Subject {
  readonly kind: PiiKind;
  /** The subject's token under every key of the keyring. */
  readonly tokens: readonly string[];
  /** The value as given, trimmed and normalised (lower-cased for case-insensitive kinds): equality with a kept field. */
  readonly values: readonly string[];
  readonly caseInsensitive: boolean;
  /** The value (as given, normalised, JSON-escaped) between non-alphanumerics; RE2 and JS syntax. */
  readonly pattern: string;
  readonly regex: RegExp;
  /** Everything an error message must not contain. */
  readonly secrets: readonly string[];
}

const CASE_INSENSITIVE: readonly PiiKind[] = ['email', 'ipv4', 'ipv6', 'mac'];

function subjectOf(value: string, kind: PiiKind, keyring: Keyring): Subject {
  const tokens = [...new Set(Object.keys(keyring.keys).map((id) => tokenize(value, keyring, id, kind)))];
  const caseInsensitive = CASE_INSENSITIVE.includes(kind);
  const fold = (s: string) => (caseInsensitive ? s.toLowerCase() : s);
  const forms = [...new Set([value, value.trim(), normalizeFor(kind, value)].filter((s) => s.trim() !== ''))];
  const values = [...new Set(forms.map((s) => fold(s.trim())))];
  const spelled = [...new Set(forms.flatMap((s) => [s.trim(), jsonEscaped(s.trim()), jsonEscaped(s.trim(), true)]))];
  const body = `(?:^|[^A-Za-z0-9])(?:${spelled.map(escapeRegex).join('|')})(?:[^A-Za-z0-9]|$)`;
  return {
    kind,
    tokens,
    values,
    caseInsensitive,
    pattern: caseInsensitive ? `(?i)${body}` : body,
    regex: new RegExp(body, caseInsensitive ? 'i' : ''),
    secrets: [...forms, ...spelled, ...tokens],
  };
}

function jsonEscaped(s: string, asciiOnly = false): string {
  const j = JSON.stringify(s).slice(1, -1);
  return asciiOnly ? j.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : j;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The kind the source's own policy tokenises `field` with, if it declares one. */
function declaredKind(source: SourceConfig, field: string): PiiKind | undefined {
  for (const [path, policy] of Object.entries(source.fields)) {
    if (plainPath(path) === plainPath(field) && policy.action === 'tokenize' && policy.kind) return policy.kind;
  }
  return undefined;
}

async function forgetInSource(lake: Lake, principal: Principal, source: SourceConfig, field: string, subject: Subject, dryRun: boolean): Promise<ErasureReport> {
  const batchId = `erasure-${uuidv7()}`;
  const tables: TableErasure[] = [];
  const clean: TableRef = { zone: 'clean', name: source.name };
  const quarantine: TableRef = { zone: 'quarantine', name: source.name };
  const cleanPinned = await pinIfCommitted(lake, clean);
  const fieldColumn = cleanPinned ? columnFor(cleanPinned.schema.columns, field) : undefined;
  if (cleanPinned) {
    tables.push(await eraseRows(lake, principal, cleanPinned, subject, (cols) => cleanPredicate(cols, fieldColumn, subject), batchId, dryRun));
  }
  const quarantinePinned = await pinIfCommitted(lake, quarantine);
  if (quarantinePinned) {
    tables.push(await eraseRows(lake, principal, quarantinePinned, subject, (cols) => recordPredicate(cols), batchId, dryRun));
  }
  const rawFiles = await eraseRawFiles(lake, source, subject, dryRun);
  const report: ErasureReport = {
    source: source.name,
    dryRun,
    field,
    kind: subject.kind,
    ...(fieldColumn ? { fieldColumn } : {}),
    tokens: subject.tokens.length,
    tables,
    rawFiles,
  };
  if (!dryRun) {
    await lake.catalog.audit({
      actor: principal.name,
      action: 'erasure',
      target: `source:${source.name}`,
      details: {
        field,
        kind: subject.kind,
        tokens: subject.tokens.length,
        rowsRemoved: Object.fromEntries(tables.map((t) => [t.table, t.rowsRemoved])),
        filesRewritten: { ...Object.fromEntries(tables.map((t) => [t.table, t.filesRewritten])), raw: rawFiles.filesRewritten },
        rawLinesRemoved: rawFiles.linesRemoved,
        unsupportedFiles: rawFiles.unsupported.length,
      },
    });
  }
  return report;
}

async function pinIfCommitted(lake: Lake, ref: TableRef): Promise<PinnedSnapshot | undefined> {
  const table = await lake.catalog.getTable(ref);
  if (!table || table.currentSnapshotId === undefined) return undefined;
  return lake.catalog.pin(ref);
}

const FROM_FIELD = /input field ([^;\s]+)/;

/** The clean column of an input field: the one whose doc says `… input field <path>`, else the path flattened (`a.b` → `a_b`). */
function columnFor(columns: readonly { name: string; doc?: string }[], field: string): string | undefined {
  const documented = columns.find((c) => {
    const m = c.doc ? FROM_FIELD.exec(c.doc) : null;
    return m !== null && plainPath(m[1]!) === plainPath(field);
  });
  if (documented) return documented.name;
  const flat = normalizeNames([plainPath(field).split('.').join('_')])[0]!;
  return columns.find((c) => c.name === flat)?.name;
}

/** Column name → DuckDB type of one Parquet file. */
type FileColumns = ReadonlyMap<string, string>;

// The subject lives in temp tables (`_ade_tokens`, `_ade_values`, `_ade_pattern`), never in SQL text.
function cleanPredicate(cols: FileColumns, fieldColumn: string | undefined, subject: Subject): string | undefined {
  const parts: string[] = [];
  if (fieldColumn && cols.has(fieldColumn)) {
    const text = `CAST(s.${quoteIdent(fieldColumn)} AS VARCHAR)`;
    parts.push(`${text} IN (SELECT v FROM _ade_tokens)`);
    parts.push(`${subject.caseInsensitive ? `lower(trim(${text}))` : `trim(${text})`} IN (SELECT v FROM _ade_values)`);
  }
  const texts = [...cols].filter(([, type]) => type === 'VARCHAR').map(([name]) => `contains(s.${quoteIdent(name)}, k.v)`);
  if (texts.length) parts.push(`EXISTS (SELECT 1 FROM _ade_tokens AS k WHERE ${texts.join(' OR ')})`);
  return parts.length ? parts.map((p) => `coalesce(${p}, false)`).join(' OR ') : undefined;
}

function recordPredicate(cols: FileColumns): string | undefined {
  if (cols.get('record') !== 'VARCHAR') return undefined;
  return `coalesce(regexp_matches(s.record, (SELECT v FROM _ade_pattern)), false)`;
}

async function loadSubject(ws: Workspace, subject: Subject): Promise<void> {
  await ws.createVarcharTable('_ade_tokens', ['v'], subject.tokens.map((t) => [t]));
  await ws.createVarcharTable('_ade_values', ['v'], subject.values.map((v) => [v]));
  await ws.createVarcharTable('_ade_pattern', ['v'], [[subject.pattern]]);
}

function readParquet(path: string): string {
  return `read_parquet(${quoteLiteral(path)}, hive_partitioning = false)`;
}

async function fileColumns(ws: Workspace, path: string): Promise<FileColumns> {
  const rows = await ws.all(`DESCRIBE SELECT * FROM ${readParquet(path)}`);
  return new Map(rows.map((r) => [String(r.column_name), String(r.column_type)]));
}

/**
 * Rewrites the table's files that hold matching rows without them and
 * commits all of them in one `overwrite` (removed: the old files by id; added:
 * their rewrites, none when no row was left).
 */
async function eraseRows(
  lake: Lake,
  principal: Principal,
  pinned: PinnedSnapshot,
  subject: Subject,
  predicate: (cols: FileColumns) => string | undefined,
  batchId: string,
  dryRun: boolean,
): Promise<TableErasure> {
  const ref: TableRef = { zone: pinned.table.zone, name: pinned.table.name };
  const table = formatTableRef(ref);
  const files = pinned.files;
  if (files.length === 0) return { table, rowsRemoved: 0, filesRewritten: 0 };
  const locals = await Promise.all(files.map((f) => lake.store.localPath(f.path)));
  const staging = await lake.store.stagingDir();
  const ws = await lake.engine.openWorkspace({ workDir: join(staging, 'ws'), readPaths: locals });
  const keys: string[] = [];
  try {
    await loadSubject(ws, subject);
    let rowsRemoved = 0;
    const removed: number[] = [];
    const added: { path: string; rows: number; bytes: number; partition?: string; columnStats: DataFile['columnStats'] }[] = [];
    const uploads: { key: string; localPath: string }[] = [];
    for (const [i, file] of files.entries()) {
      const pred = predicate(await fileColumns(ws, locals[i]!));
      if (!pred) continue;
      const from = `${readParquet(locals[i]!)} AS s`;
      const hits = Number((await ws.all(`SELECT count(*) AS n FROM ${from} WHERE ${pred}`))[0]?.n ?? 0);
      if (hits === 0) continue;
      rowsRemoved += hits;
      removed.push(file.id);
      if (dryRun) continue;
      const prefix = `${batchId}-${i}`;
      const written = await ws.writeParquet(`SELECT s.* FROM ${from} WHERE NOT (${pred})`, join(ws.workDir, 'out'), prefix);
      for (const [n, w] of written.files.entries()) {
        const key = dataFileKey(ref.zone, ref.name, file.partition, prefix, n);
        uploads.push({ key, localPath: w.localPath });
        added.push({ path: key, rows: w.rows, bytes: w.bytes, ...(file.partition !== undefined ? { partition: file.partition } : {}), columnStats: w.columnStats });
      }
    }
    if (dryRun || removed.length === 0) return { table, rowsRemoved, filesRewritten: removed.length };
    keys.push(...uploads.map((u) => u.key));
    await lake.catalog.registerStaged(keys);
    for (const u of uploads) await lake.store.putFile(u.key, u.localPath);
    const result = await lake.catalog.commit({
      table: ref,
      operation: 'overwrite',
      baseSnapshotId: pinned.snapshot?.id ?? null,
      added,
      removedFileIds: removed,
      batchId,
      batchSource: 'erasure',
      batchInfo: { source: 'erasure', rowsRemoved, filesRewritten: removed.length },
      committer: principal.name,
      summary: { erasure: true, rowsRemoved },
      // Appends that landed meanwhile do not touch the files replaced here; a file another commit removed fails the commit.
      retryOnConflict: true,
    });
    keys.length = 0;
    return { table, rowsRemoved, filesRewritten: removed.length, snapshot: result.snapshot.id };
  } catch (e) {
    await Promise.allSettled(keys.map((k) => lake.store.delete(k)));
    await lake.catalog.unregisterStaged(keys).catch(() => undefined);
    throw e;
  } finally {
    await ws.close();
    await rm(staging, { recursive: true, force: true });
  }
}

type Compression = 'none' | 'gzip' | 'zstd';

function compressionOf(source: SourceConfig, key: string): Compression {
  if (source.compression !== 'auto') return source.compression;
  if (/\.(gz|gzip)$/i.test(key)) return 'gzip';
  if (/\.(zst|zstd)$/i.test(key)) return 'zstd';
  return 'none';
}

/** Node ≥ 22.15 compresses zstd; Node 20 only reads it (through fzstd). */
function zstdCompressor(): (() => Transform) | undefined {
  const z = zlib as unknown as { createZstdCompress?: () => Transform };
  return typeof z.createZstdCompress === 'function' ? () => z.createZstdCompress!() : undefined;
}

/** Raw and archived copies of the source without the subject. */
async function eraseRawFiles(lake: Lake, source: SourceConfig, subject: Subject, dryRun: boolean): Promise<ErasureReport['rawFiles']> {
  const files = (await lake.catalog.listIngestedFiles({ source: source.name })).filter((f) => f.zone === 'raw' || f.zone === 'archive');
  if (!dryRun) await removeReplacedCopies(lake, files);
  let filesRewritten = 0;
  let linesRemoved = 0;
  const unsupported: UnsupportedFile[] = [];
  for (const file of files) {
    const zone = file.zone as 'raw' | 'archive';
    if (!(await lake.store.stat(file.rawKey))) {
      unsupported.push({ contentHash: file.contentHash, zone, reason: 'the stored copy is missing' });
      continue;
    }
    const compression = compressionOf(source, file.rawKey);
    if (source.format === 'parquet') {
      const n = await eraseParquetRows(lake, file, subject, dryRun);
      if (n > 0) {
        filesRewritten++;
        linesRemoved += n;
      }
      continue;
    }
    const matching = await filterLines(await lake.store.getStream(file.rawKey), compression, subject.regex);
    if (matching === 0) continue;
    if (source.format === 'json') {
      unsupported.push({ contentHash: file.contentHash, zone, reason: 'JSON documents are not rewritten line by line (only NDJSON, CSV, TSV and Parquet are)', matchingLines: matching });
      continue;
    }
    const zstdOut = compression === 'zstd' ? zstdCompressor() : undefined;
    if (compression === 'zstd' && !zstdOut && source.compression === 'zstd') {
      unsupported.push({ contentHash: file.contentHash, zone, reason: 'this Node.js cannot write zstd (22.15 or later can), and the source declares compression: zstd', matchingLines: matching });
      continue;
    }
    linesRemoved += matching;
    filesRewritten++;
    if (dryRun) continue;
    // Without a zstd writer, a zstd copy is written as gzip (its key then ends in .gz, which `auto` compression reads).
    const out: Compression = compression === 'zstd' && !zstdOut ? 'gzip' : compression;
    const staging = await lake.store.stagingDir();
    try {
      const tmp = join(staging, 'erased');
      const encoder = out === 'gzip' ? zlib.createGzip() : out === 'zstd' ? zstdOut!() : undefined;
      await filterLines(await lake.store.getStream(file.rawKey), compression, subject.regex, { encoder, path: tmp });
      await replaceCopy(lake, file, erasedKey(file.rawKey, out === 'gzip' && compression === 'zstd'), tmp, matching);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  return { filesRewritten, linesRemoved, unsupported };
}

/** Store the rewrite, point the ledger at it, then delete the old copy (a crash leaves `replacedKey` for the next run to delete). */
async function replaceCopy(lake: Lake, file: IngestedFile, key: string, localPath: string, removed: number): Promise<void> {
  await lake.store.putFile(key, localPath);
  const before = typeof file.info.erasures === 'number' ? file.info.erasures : 0;
  await lake.catalog.updateIngestedFile(file.source, file.contentHash, { rawKey: key, info: { erasures: before + removed, replacedKey: file.rawKey } });
  await lake.store.delete(file.rawKey);
}

/** Old copies an interrupted erasure left behind (the ledger already points at their rewrite). */
async function removeReplacedCopies(lake: Lake, files: readonly IngestedFile[]): Promise<void> {
  for (const f of files) {
    const old = f.info.replacedKey;
    if (typeof old === 'string' && old !== f.rawKey && (await lake.store.stat(old))) await lake.store.delete(old);
  }
}

/** `…/<hash16>-<name>` → `…/<hash16>-erased-<id>-<name>` (a later erasure replaces the id). */
function erasedKey(rawKey: string, zstdAsGzip: boolean): string {
  const slash = rawKey.lastIndexOf('/');
  const dir = rawKey.slice(0, slash + 1);
  let base = rawKey.slice(slash + 1);
  const id = uuidv7().replaceAll('-', '').slice(-12);
  const m = /^([0-9a-f]{16})-(?:erased-[0-9a-f]{12}-)?(.*)$/.exec(base);
  base = m ? `${m[1]}-erased-${id}-${m[2]}` : `erased-${id}-${base}`;
  if (zstdAsGzip) base = base.replace(/\.(zst|zstd)$/i, '') + '.gz';
  return dir + base;
}

/**
 * Streams a text file's lines, dropping those `match` finds; returns how many
 * were dropped. With `write`, the kept lines (byte for byte, line endings
 * included) go to `write.path` through `write.encoder`.
 */
async function filterLines(input: Readable, compression: Compression, match: RegExp, write?: { encoder: Transform | undefined; path: string }): Promise<number> {
  let removed = 0;
  const split = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let pending: Buffer[] = [];
    const keep = (line: Buffer) => {
      if (match.test(line.toString('utf8'))) {
        removed++;
        return false;
      }
      return true;
    };
    for await (const chunk of source) {
      const kept: Buffer[] = [];
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const piece = chunk.subarray(start, nl + 1);
        const line = pending.length ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        if (keep(line)) kept.push(line);
        start = nl + 1;
      }
      if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
      if (kept.length && write) yield Buffer.concat(kept);
    }
    if (pending.length) {
      const line = Buffer.concat(pending);
      if (keep(line) && write) yield line;
    }
  };
  const decoders = compression === 'gzip' ? [zlib.createGunzip()] : compression === 'zstd' ? [unzstd] : [];
  const run = pipeline as unknown as (streams: readonly unknown[]) => Promise<void>;
  const drain = async (source: AsyncIterable<Buffer>) => {
    for await (const _ of source);
  };
  await run([input, ...decoders, split, ...(write?.encoder ? [write.encoder] : []), write ? createWriteStream(write.path) : drain]);
  return removed;
}

/** zstd decoding through fzstd's streaming decoder (Node 20 has none). */
async function* unzstd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  const decoder = new Decompress((data) => {
    if (data.length > 0) out.push(Buffer.from(data));
  });
  for await (const chunk of source) {
    decoder.push(chunk);
    while (out.length) yield out.shift()!;
  }
  decoder.push(new Uint8Array(0), true);
  while (out.length) yield out.shift()!;
}

/** A raw Parquet copy without rows whose JSON form holds the value; returns the rows removed. */
async function eraseParquetRows(lake: Lake, file: IngestedFile, subject: Subject, dryRun: boolean): Promise<number> {
  const local = await lake.store.localPath(file.rawKey);
  const staging = await lake.store.stagingDir();
  const ws = await lake.engine.openWorkspace({ workDir: join(staging, 'ws'), readPaths: [local] });
  try {
    await loadSubject(ws, subject);
    const from = `${readParquet(local)} AS s`;
    const pred = `coalesce(regexp_matches(CAST(to_json(s) AS VARCHAR), (SELECT v FROM _ade_pattern)), false)`;
    const hits = Number((await ws.all(`SELECT count(*) AS n FROM ${from} WHERE ${pred}`))[0]?.n ?? 0);
    if (hits === 0 || dryRun) return hits;
    const tmp = join(ws.workDir, 'erased.parquet');
    await ws.run(`COPY (SELECT s.* FROM ${from} WHERE NOT (${pred})) TO ${quoteLiteral(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
    await replaceCopy(lake, file, erasedKey(file.rawKey, false), tmp, hits);
    return hits;
  } finally {
    await ws.close();
    await rm(staging, { recursive: true, force: true });
  }
}

/** An error safe to show: values DuckDB quoted are removed, and one that still names the subject is withheld. */
function safeError(e: unknown, context: string, secrets: readonly string[]): AdeError {
  const s = scrub(e, context);
  const text = JSON.stringify({ m: s.message, h: s.hint, d: s.details }).toLowerCase();
  const leaks = secrets.some((x) => x.length > 0 && (text.includes(x.toLowerCase()) || text.includes(JSON.stringify(x).slice(1, -1).toLowerCase())));
  if (!leaks) return s;
  return new IngestError(s.code.startsWith('ingest.') ? s.code : 'ingest.failed', `${context}: the error quoted the subject and is withheld`, {
    hint: 'run again; nothing is lost (each file is replaced only after its rewrite is stored)',
  });
}

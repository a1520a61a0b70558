import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { basename, join } from 'node:path';
import type { ColumnInput } from '../catalog/index.js';
import type { Workspace } from '../engine/index.js';
import { formatTableRef, quoteIdent, quoteLiteral, uuidv5, uuidv7, type Principal, type TableRef } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { detectInput, type InputFile } from '../lake/input-format.js';
import type { Tokenizer } from '../privacy/index.js';
import { IngestError, scrub } from './errors.js';
import { flattenColumns, plainPath, typedExpr, type FlatColumn } from './flatten.js';
import { planColumns, sqlFastSql, type ColumnPlan } from './plan.js';
import { CANDIDATES, MAX_SPLICED_SPANS, buildMaps, describeColumn, type Maps } from './value-maps.js';
import {
  checkReasons,
  compressedStreamProblem,
  csvColumns,
  csvRead,
  describeReadError,
  inferTextTypes,
  rawTextExpr,
  readFn,
  typeDepth,
  unseenFields,
  type TopColumn,
} from './input-sql.js';
import { scanFile } from './scan.js';
import type { SourceConfig } from './source-config.js';

/** Columns every quarantine table has. */
export const QUARANTINE_COLUMNS: readonly ColumnInput[] = [
  { name: 'file', type: 'VARCHAR' },
  { name: 'raw_key', type: 'VARCHAR' },
  { name: 'line', type: 'BIGINT' },
  { name: 'byte_offset', type: 'BIGINT' },
  { name: 'field', type: 'VARCHAR' },
  { name: 'reason', type: 'VARCHAR' },
  { name: 'record', type: 'VARCHAR', privacy: 'personal', doc: 'the input record as received (raw values)' },
  { name: 'record_truncated', type: 'BOOLEAN' },
  { name: 'batch_id', type: 'VARCHAR' },
];

export type IngestStage = 'hashing' | 'copying' | 'reading' | 'scanning' | 'obfuscating' | 'writing' | 'committing';

export interface IngestFileContext {
  readonly lake: Lake;
  readonly principal: Principal;
  readonly source: SourceConfig;
  readonly tokenizer: Tokenizer;
  /** Set by a rebuild: new batch ids, even with the key of the first ingest. */
  readonly batchSalt?: string;
  /** HMAC pads of the tokenizer's key, bound into DuckDB so it computes the same tokens (see `hmacPads`). */
  readonly pads: { readonly ipad: Uint8Array; readonly opad: Uint8Array };
  readonly onStage?: (stage: IngestStage, fraction?: number) => void;
}

/** One detector (or field-name heuristic) firing in one field, counted in rows. */
export interface Detection {
  readonly field: string;
  readonly detector: string;
  /** Values (or spans of free text) the detector matched. */
  readonly count: number;
  /** What was done: replaced, column dropped or rows rejected. */
  readonly action: string;
}

/** What ingesting one file did. Holds counts and names only, never values. */
export interface FileReport {
  readonly file: string;
  readonly contentHash: string;
  /** `skipped`: the same bytes were ingested before (a no-op). */
  readonly status: 'ingested' | 'skipped';
  readonly batchId: string;
  readonly rawKey: string;
  readonly bytes: number;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly quarantined: number;
  readonly deduplicated: number;
  readonly seconds: number;
  /** `fast`: DuckDB read the file in one go; `scan`: problems made ade check it record by record. */
  readonly path: 'fast' | 'scan' | 'none';
  readonly detections: readonly Detection[];
  readonly droppedColumns: readonly string[];
  readonly addedColumns: readonly string[];
  /** A problem with the file as a whole (truncated stream, too many columns). */
  readonly fileError?: string;
  readonly cleanSnapshot?: number;
  readonly quarantineSnapshot?: number;
}

/** `sha256:<hex>` of a file, streamed. */
export async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** Copies `path` to `to` while hashing it; returns `sha256:<hex>` of the bytes copied. */
export async function hashAndCopy(path: string, to: string): Promise<string> {
  const h = createHash('sha256');
  const out = createWriteStream(to, { flags: 'wx' });
  const source = createReadStream(path, { highWaterMark: 1 << 20 });
  source.on('data', (chunk) => h.update(chunk as Buffer));
  await pipeline(source, out);
  return `sha256:${h.digest('hex')}`;
}

/** Where the byte-for-byte copy of an input file lives. */
export function rawKeyFor(source: string, contentHash: string, name: string, at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '/');
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 120) || 'input';
  return `raw/${source}/files/${day}/${contentHash.slice(7, 23)}-${safe}`;
}

/**
 * Ingests one file of a source: hash → (no-op if seen) → raw copy → typed read
 * (fast path; record-by-record scan when DuckDB rejects the file) →
 * obfuscation → quarantine commit → clean commit (dedup by event id) → ledger
 * (see `processStored` for the batch id that makes a retry safe).
 */
export async function ingestFile(ctx: IngestFileContext, path: string, originalName?: string): Promise<FileReport> {
  const started = performance.now();
  const { lake, source } = ctx;
  const name = originalName ?? basename(path);
  ctx.onStage?.('hashing');
  const info = await stat(path);
  // One read both hashes the file and makes the byte-for-byte copy for the raw zone.
  const workDir = await lake.store.stagingDir();
  const copy = join(workDir, 'raw-copy');
  let contentHash: string;
  try {
    contentHash = await hashAndCopy(path, copy);
  } catch (e) {
    await rm(workDir, { recursive: true, force: true });
    throw e;
  }
  const seen = await lake.catalog.getIngestedFile(source.name, contentHash);
  if (seen) {
    await rm(workDir, { recursive: true, force: true });
    return {
      file: path,
      contentHash,
      status: 'skipped',
      batchId: seen.batchId,
      rawKey: seen.rawKey,
      bytes: info.size,
      rowsRead: 0,
      rowsWritten: 0,
      quarantined: 0,
      deduplicated: 0,
      seconds: (performance.now() - started) / 1000,
      path: 'none',
      detections: [],
      droppedColumns: [],
      addedColumns: [],
    };
  }
  try {
    ctx.onStage?.('copying');
    const rawKey = rawKeyFor(source.name, contentHash, name, lake.clock.now());
    await lake.store.putFile(rawKey, copy);
    const report = await processStored(ctx, { rawKey, name, contentHash, bytes: info.size }, workDir);
    await lake.catalog.recordIngestedFile({ source: source.name, contentHash, name, rawKey, bytes: info.size, batchId: report.batchId, info: ledgerInfo(ctx, report) });
    return { ...report, file: path, seconds: (performance.now() - started) / 1000 };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** What the ledger keeps about an ingest of a file: counts, key id, detection report (no values). */
export function ledgerInfo(ctx: IngestFileContext, report: FileReport): Record<string, unknown> {
  return {
    rowsRead: report.rowsRead,
    rowsWritten: report.rowsWritten,
    quarantined: report.quarantined,
    deduplicated: report.deduplicated,
    keyId: ctx.tokenizer.keyId,
    batchId: report.batchId,
    detections: report.detections,
    ...(report.fileError ? { fileError: report.fileError } : {}),
  };
}

/**
 * Runs the pipeline on a file already stored in the raw (or archive) zone:
 * typed read → obfuscation → quarantine commit → clean commit. Used by
 * ingest right after the copy, and by a rebuild from raw. The batch id is
 * derived from the source, the content hash and the key id, so a retry after a
 * crash finds what was already committed and does not repeat it, while a
 * rebuild with a new key writes new batches.
 */
export async function processStored(
  ctx: IngestFileContext,
  stored: { rawKey: string; name: string; contentHash: string; bytes: number },
  workDir: string,
): Promise<FileReport> {
  const started = performance.now();
  const { lake, source } = ctx;
  const { rawKey, name, contentHash } = stored;
  const batchId = uuidv5(`ingest:${source.name}:${contentHash}:${ctx.tokenizer.keyId}${ctx.batchSalt ? `:${ctx.batchSalt}` : ''}`);
  const clean: TableRef = { zone: 'clean', name: source.name };
  const quarantine: TableRef = { zone: 'quarantine', name: source.name };
  const cleanTable = await lake.catalog.getTable(clean);
  const cleanPinned = cleanTable?.currentSnapshotId !== undefined ? await lake.catalog.pin(clean) : undefined;
  const binding = cleanPinned && cleanPinned.files.length ? await lake.bind(cleanPinned) : undefined;
  // The pipeline reads the stored copy: exactly the bytes that were hashed, whatever happens to the input later.
  const local = await lake.store.localPath(rawKey);
  const ws = await lake.engine.openWorkspace({ workDir: join(workDir, 'ws'), readPaths: [local], tables: binding ? [binding] : [] });
  try {
    await ws.runWithBlobs('CREATE TEMP TABLE _ade_keys AS SELECT CAST($1 AS BLOB) AS ipad, CAST($2 AS BLOB) AS opad', [ctx.pads.ipad, ctx.pads.opad]);
    const input = detectInput(name, source.format);
    const compression = source.compression === 'auto' ? input.compression : source.compression;
    const file: InputFile = { path: local, format: source.format, compression };
    const report: PipelineReport = await runPipeline(ctx, ws, file, {
      rawKey,
      fileName: name,
      batchId,
      contentHash,
      clean,
      quarantine,
      cleanColumns: cleanPinned?.schema.columns,
      cleanHasRows: binding !== undefined,
    });
    // The first file pins the source's input schema; later ones evolve it when the source allows.
    if (!source.schema && report.inputColumns.length) {
      const current = await lake.catalog.getSourceSchema(source.name);
      if (!current || (source.onSchemaChange === 'evolve' && report.inputColumns.length > current.columns.length)) {
        await lake.catalog.putSourceSchema(source.name, report.inputColumns);
      }
    }
    const { inputColumns: _, ...rest } = report;
    return { ...rest, file: rawKey, contentHash, status: 'ingested', batchId, rawKey, bytes: stored.bytes, seconds: (performance.now() - started) / 1000 };
  } catch (e) {
    throw scrub(e, `ingest of ${name} into ${formatTableRef(clean)} failed`);
  } finally {
    await ws.close();
  }
}

interface PipelineTargets {
  readonly rawKey: string;
  /** The input file's name as received. */
  readonly fileName: string;
  readonly batchId: string;
  readonly contentHash: string;
  readonly clean: TableRef;
  readonly quarantine: TableRef;
  readonly cleanColumns?: readonly { name: string; type: string }[];
  /** The clean table holds rows (dedup against it); false right after a rebuild emptied it. */
  readonly cleanHasRows: boolean;
}

type PipelineReport = Omit<FileReport, 'file' | 'contentHash' | 'status' | 'batchId' | 'rawKey' | 'bytes' | 'seconds'> & {
  /** The input's top-level columns as read (pinned after a successful ingest). */
  readonly inputColumns: readonly TopColumn[];
};

async function runPipeline(ctx: IngestFileContext, ws: Workspace, file: InputFile, t: PipelineTargets): Promise<PipelineReport> {
  const { source } = ctx;
  const goodPath = join(ws.workDir, 'good.ndjson');
  const badPath = join(ws.workDir, 'bad.ndjson');
  const stage = quoteLiteral(join(ws.workDir, 'stage.parquet'));
  let mode: 'fast' | 'scan' = 'fast';
  let fileError: string | undefined;
  let scanBad = 0;
  let top: TopColumn[] = [];
  let flat: FlatColumn[] = [];
  let added: string[] = [];
  let rejectedNew: FlatColumn[] = [];
  ctx.onStage?.('reading');

  // 1. Columns: pinned (or declared) plus what this file adds.
  const pinned = source.schema ? source.schema.map((c) => ({ name: c.name, type: c.type })) : (await ctx.lake.catalog.getSourceSchema(source.name))?.columns.map((c) => ({ ...c }));

  const resolveColumns = async (sampleFrom: InputFile) => {
    let sampled: TopColumn[];
    if (file.format === 'csv' || file.format === 'tsv') sampled = await csvColumns(ws, sampleFrom);
    else {
      const describe = async (all: boolean) =>
        (await ws.all(`DESCRIBE SELECT * FROM ${readFn(sampleFrom, undefined, source, all)}`)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      sampled = await describe(false);
      if (sampleFrom.format !== 'parquet') {
        // DuckDB infers types from a sample of records; fields that first appear later would be dropped
        // without a word, and records over the size limit would pass. One pass over the records checks both
        // (over the records that parsed, when the file has bad ones: the scan already sized every record).
        const seen = await unseenFields(ws, sampleFrom, sampled, pinned ?? [], source);
        if (sampleFrom === file && seen.biggest > source.maxRecordBytes) {
          throw new IngestError('ingest.too_big', `${t.fileName}: a record is ${seen.biggest.toLocaleString('en-US')} bytes; the limit is ${source.maxRecordBytes.toLocaleString('en-US')}`);
        }
        if (seen.unknown.length) {
          const full = await describe(true);
          // New nested fields widen a pinned struct (evolve); new top-level fields are handled below.
          const byName = new Map(full.map((c) => [c.name, c]));
          sampled = full;
          if (pinned && source.onSchemaChange === 'evolve') {
            for (const [i, c] of pinned.entries()) {
              const wider = byName.get(c.name);
              if (wider && /^STRUCT\(/i.test(c.type) && /^STRUCT\(/i.test(wider.type)) pinned[i] = { ...c, type: wider.type };
            }
          }
        }
      }
    }
    sampled = sampled.filter((c) => !c.name.startsWith('_ade_'));
    if (file.format === 'csv' || file.format === 'tsv') sampled = sampled.map((c) => (pinned?.find((p) => p.name === c.name) ? { ...c, type: pinned.find((p) => p.name === c.name)!.type } : c));
    const known = new Map((pinned ?? []).map((c) => [c.name, c]));
    const fresh = sampled.filter((c) => !known.has(c.name));
    // Declared types keep the file's column order; a schema pinned from an earlier file keeps the table's.
    top = source.schema
      ? [...sampled.map((c) => known.get(c.name) ?? c), ...(pinned ?? []).filter((c) => !sampled.some((x) => x.name === c.name))]
      : [...(pinned ?? []), ...fresh];
    added = pinned && !source.schema ? fresh.map((c) => c.name) : [];
    flat = flattenColumns(top);
    const freshNames = new Set(fresh.map((c) => c.name));
    rejectedNew = pinned && source.onSchemaChange === 'reject' ? flat.filter((c) => freshNames.has(c.segments[0]!)) : [];
    const depth = Math.max(0, ...top.map((c) => typeDepth(c.type)));
    if (depth > source.maxDepth) {
      throw new IngestError('ingest.too_deep', `${t.fileName}: values are nested ${depth} levels deep; the limit is ${source.maxDepth}`, {
        hint: `raise sources.${source.name}.max_depth if this is expected`,
      });
    }
    if (flat.length > source.maxColumns) {
      throw new IngestError('ingest.too_many_columns', `${t.fileName}: the input has ${flat.length.toLocaleString('en-US')} columns; the limit is ${source.maxColumns.toLocaleString('en-US')}`, {
        hint: `raise sources.${source.name}.max_columns if this is expected`,
      });
    }
  };

  // 2. Stage: typed, flattened rows (+ line, offset, reason) as uncompressed Parquet.
  const stageFast = async () => {
    await resolveColumns(file);
    const reasons = checkReasons(source, flat, rejectedNew);
    const select =
      file.format === 'csv' || file.format === 'tsv'
        ? `SELECT ${flat.map((c) => `${quoteIdent(c.segments[0]!)} AS ${quoteIdent(c.name)}`).join(', ')} FROM ${csvRead(file, top, source.maxRecordBytes)}`
        : `SELECT ${flat.map((c) => `${typedExpr(c, 'r')} AS ${quoteIdent(c.name)}`).join(', ')} FROM ${readFn(file, top, source)} AS r`;
    await ws.run(
      `COPY (SELECT *, CAST(NULL AS BIGINT) AS _ade_line, CAST(NULL AS BIGINT) AS _ade_offset, ${reasons.sql} AS _ade_reason, ${reasons.field} AS _ade_field FROM (${select})) ` +
        `TO ${stage} (FORMAT parquet, COMPRESSION uncompressed)`,
    );
  };
  const stageScan = async () => {
    mode = 'scan';
    ctx.onStage?.('scanning');
    if (file.format === 'parquet') throw new Error('parquet has no record-by-record path');
    const scanned = await scanFile({
      path: file.path,
      format: file.format,
      compression: file.compression,
      goodOut: goodPath,
      badOut: badPath,
      maxRecordBytes: source.maxRecordBytes,
      maxDepth: source.maxDepth,
      maxColumns: source.maxColumns,
    });
    fileError = scanned.fileError;
    scanBad = scanned.bad;
    const good: InputFile = { path: goodPath, format: 'ndjson', compression: 'none' };
    if (scanned.good === 0) {
      flat = [];
      top = pinned ?? [];
      flat = flattenColumns(top);
    } else if (file.format === 'csv' || file.format === 'tsv') {
      // Types as sniffed from the original (or pinned); values come as text.
      const header: string[] = (scanned.header ?? []).filter((h: string) => h !== '');
      let typed: TopColumn[];
      try {
        typed = await csvColumns(ws, file);
      } catch {
        typed = header.map((h) => ({ name: h, type: 'VARCHAR' }));
      }
      // The sniffer reads everything as text once a file is malformed: infer from the rows that parsed.
      if (typed.every((c) => c.type === 'VARCHAR')) typed = await inferTextTypes(ws, goodPath, header);
      const byName = new Map([...(pinned ?? []), ...typed].map((c) => [c.name, c.type]));
      const known = new Set((pinned ?? []).map((c) => c.name));
      top = [...(pinned ?? []), ...header.filter((h) => !known.has(h)).map((h) => ({ name: h, type: byName.get(h) ?? 'VARCHAR' }))];
      added = pinned ? header.filter((h) => !known.has(h)) : [];
      flat = flattenColumns(top);
      rejectedNew = pinned && source.onSchemaChange === 'reject' ? flat.filter((c) => added.includes(c.segments[0]!)) : [];
    } else {
      await resolveColumns(good);
    }
    const textTop = `{'_ade_line': 'BIGINT', '_ade_offset': 'BIGINT'${top.map((c) => `, ${quoteLiteral(c.name)}: 'JSON'`).join('')}}`;
    const extracts = flat.map((c) => ({ c, raw: rawTextExpr(c, 'r') }));
    const conversions = extracts.map(({ c, raw }) => ({ c, raw, typed: c.type === 'VARCHAR' ? raw : `TRY_CAST(${raw} AS ${c.type})` }));
    const convReason = conversions
      .filter(({ c }) => c.type !== 'VARCHAR')
      .map(({ c, raw, typed }) => `WHEN ${raw} IS NOT NULL AND ${typed} IS NULL THEN ${quoteLiteral(`field ${c.path}: not a ${c.type}`)}`);
    const convField = conversions.filter(({ c }) => c.type !== 'VARCHAR').map(({ c, raw, typed }) => `WHEN ${raw} IS NOT NULL AND ${typed} IS NULL THEN ${quoteLiteral(c.path)}`);
    const inner = `SELECT ${[...conversions.map(({ c, typed }) => `${typed} AS ${quoteIdent(c.name)}`), 'r._ade_line AS _ade_line', 'r._ade_offset AS _ade_offset', `CASE ${convReason.join(' ') || 'WHEN false THEN NULL'} ELSE NULL END AS _ade_conv`, `CASE ${convField.join(' ') || 'WHEN false THEN NULL'} ELSE NULL END AS _ade_conv_field`, `regexp_replace(CAST(to_json(r) AS VARCHAR), '^\\{"_ade_line":[0-9-]+,"_ade_offset":[0-9-]+,?', '{') AS _ade_record`].join(', ')} FROM read_json(${quoteLiteral(goodPath)}, format='newline_delimited', columns=${textTop}, maximum_object_size=${Math.max(source.maxRecordBytes * 2, 16 << 20)}) AS r`;
    const reasons = checkReasons(source, flat, rejectedNew);
    if (scanned.good === 0) {
      await ws.run(
        `COPY (SELECT ${[...flat.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`), 'CAST(NULL AS BIGINT) AS _ade_line', 'CAST(NULL AS BIGINT) AS _ade_offset', 'CAST(NULL AS VARCHAR) AS _ade_reason', 'CAST(NULL AS VARCHAR) AS _ade_field', 'CAST(NULL AS VARCHAR) AS _ade_record'].join(', ')} WHERE false) TO ${stage} (FORMAT parquet, COMPRESSION uncompressed)`,
      );
      return;
    }
    await ws.run(
      `COPY (SELECT * EXCLUDE (_ade_conv, _ade_conv_field), coalesce(_ade_conv, ${reasons.sql}) AS _ade_reason, coalesce(_ade_conv_field, ${reasons.field}) AS _ade_field FROM (${inner})) ` +
        `TO ${stage} (FORMAT parquet, COMPRESSION uncompressed)`,
    );
  };

  if (file.format === 'parquet') {
    try {
      await stageFast();
    } catch (e) {
      return await wholeFileQuarantined(ctx, ws, t, describeReadError(e));
    }
  } else {
    try {
      // DuckDB reads a truncated gzip/zstd stream without complaint: compressed files are checked first.
      if (file.compression !== 'none') {
        const broken = await compressedStreamProblem(file);
        if (broken) throw new IngestError('ingest.truncated', `${t.fileName}: ${broken}`);
      }
      await stageFast();
    } catch (e) {
      if (e instanceof IngestError && !['ingest.too_many_columns', 'ingest.too_deep', 'ingest.too_big', 'ingest.truncated'].includes(e.code)) throw e;
      // Malformed, mistyped, too deep or too wide: record by record, so that good rows still land.
      try {
        await stageScan();
      } catch (e2) {
        if (e2 instanceof IngestError && e2.code === 'ingest.too_many_columns') return await wholeFileQuarantined(ctx, ws, t, e2.message);
        throw e2;
      }
    }
  }

  // 3. Rows that failed checks: with line numbers only from the scan, so a fast read with failures is redone as a scan.
  const failed = Number((await ws.all(`SELECT count(*) AS n FROM read_parquet(${stage}) WHERE _ade_reason IS NOT NULL`))[0]?.n ?? 0);
  if (failed > 0 && mode === 'fast' && file.format !== 'parquet') await stageScan();

  // 4. Obfuscation plans and value maps.
  ctx.onStage?.('obfuscating');
  const plans = planColumns(source, flat, ctx.tokenizer);
  const maps = await buildMaps(ws, plans, `read_parquet(${stage})`, ctx.tokenizer);
  let built = { plans, maps };
  if (maps.rejects.size > 0 && mode === 'fast' && file.format !== 'parquet') {
    await stageScan();
    built = await rebuild();
  }
  return { ...(await finish(ctx, ws, t, built, stage, mode, fileError, scanBad, added)), inputColumns: top };

  async function rebuild() {
    const again = planColumns(source, flat, ctx.tokenizer);
    return { plans: again, maps: await buildMaps(ws, again, `read_parquet(${stage})`, ctx.tokenizer) };
  }
}

/** Writes quarantine and clean rows and commits both. */
async function finish(
  ctx: IngestFileContext,
  ws: Workspace,
  t: PipelineTargets,
  built: { plans: ColumnPlan[]; maps: Maps },
  stage: string,
  mode: 'fast' | 'scan',
  fileError: string | undefined,
  scanBad: number,
  added: string[],
): Promise<PipelineReport> {
  const { source, lake, principal } = ctx;
  const { plans, maps } = built;
  const s = `read_parquet(${stage})`;
  const joins: string[] = [];
  const select: string[] = [];
  /** Per-row lists the span splicing needs, computed once before the joins. */
  const pre: string[] = [];
  const outColumns: { name: string; path: string }[] = [];
  for (const plan of plans) {
    const col = plan.column;
    const ref = `s.${quoteIdent(col.name)}`;
    if (plan.how === 'drop' || maps.dropped.has(col.name)) continue;
    if (plan.how === 'sql') select.push(`${plan.expr(ref)} AS ${quoteIdent(col.name)}`);
    else if (plan.how === 'spans') {
      const m = maps.spans.get(col.name);
      const text = `CAST(${ref} AS VARCHAR)`;
      if (!m) select.push(`${text} AS ${quoteIdent(col.name)}`);
      else {
        const k = pre.length;
        const p = `s._ade_p_${k}`;
        const sp = `s._ade_s_${k}`;
        const bare = `CAST(${quoteIdent(col.name)} AS VARCHAR)`;
        pre.push(`regexp_split_to_array(${bare}, ${CANDIDATES}) AS _ade_p_${k}`, `regexp_extract_all(${bare}, ${CANDIDATES}) AS _ade_s_${k}`);
        const aliases = Array.from({ length: MAX_SPLICED_SPANS }, (_, j) => `sp_${k}_${j + 1}`);
        aliases.forEach((a, j) => joins.push(`LEFT JOIN ${quoteIdent(m.spans)} AS ${a} ON ${a}.v = ${sp}[${j + 1}]`));
        let many = text;
        if (m.many) {
          joins.push(`LEFT JOIN ${quoteIdent(m.many)} AS mn_${k} ON mn_${k}.v = ${text}`);
          many = `coalesce(mn_${k}.t, ${text})`;
        }
        const spliced = [`${p}[1]`, ...aliases.flatMap((a, j) => [`coalesce(${a}.t, ${sp}[${j + 1}], '')`, `coalesce(${p}[${j + 2}], '')`])].join(' || ');
        const whole = plan.wholeToken ? `WHEN len(${sp}) = 1 AND trim(${p}[1]) = '' AND trim(${p}[2]) = '' AND ${aliases[0]}.tok IS NOT NULL THEN ${aliases[0]}.tok ` : '';
        select.push(
          `CASE WHEN ${ref} IS NULL THEN NULL WHEN len(${sp}) = 0 THEN ${text} WHEN len(${sp}) > ${MAX_SPLICED_SPANS} THEN ${many} ${whole}ELSE ${spliced} END AS ${quoteIdent(col.name)}`,
        );
      }
    }
    else {
      const table = maps.tables.get(col.name);
      const alias = `m_${joins.length}`;
      if (table) joins.push(`LEFT JOIN ${quoteIdent(table)} AS ${alias} ON ${alias}.v = CAST(${ref} AS VARCHAR)`);
      const fast = sqlFastSql(plan, s);
      let mapped = table ? `${alias}.t` : 'CAST(NULL AS VARCHAR)';
      let hit = table ? `${alias}.v IS NOT NULL` : 'false';
      if (plan.sqlFast?.perRow) {
        const v = `CAST(${ref} AS VARCHAR)`;
        mapped = `CASE WHEN ${plan.sqlFast.when(v)} THEN ${plan.sqlFast.expr(v)} ELSE ${mapped} END`;
        hit = `(${plan.sqlFast.when(v)} OR ${hit})`;
      } else if (fast) {
        const f = `f_${joins.length}`;
        joins.push(`LEFT JOIN (${fast}) AS ${f} ON ${f}.v = CAST(${ref} AS VARCHAR)`);
        mapped = table ? `CASE WHEN ${f}.v IS NOT NULL THEN ${f}.t ELSE ${alias}.t END` : `${f}.t`;
        hit = table ? `(${f}.v IS NOT NULL OR ${alias}.v IS NOT NULL)` : `${f}.v IS NOT NULL`;
      }
      select.push(plan.complete ? `${mapped} AS ${quoteIdent(col.name)}` : `CASE WHEN ${hit} THEN ${mapped} ELSE CAST(${ref} AS ${col.json ? 'VARCHAR' : col.type}) END AS ${quoteIdent(col.name)}`);
    }
    outColumns.push({ name: col.name, path: col.path });
  }
  const rejectJoin = [...maps.rejects.entries()].map(([name, table], k) => ({
    join: `LEFT JOIN ${quoteIdent(table)} AS r_${k} ON r_${k}.v = CAST(s.${quoteIdent(name)} AS VARCHAR) AND r_${k}.d IS NOT NULL`,
    when: `WHEN r_${k}.v IS NOT NULL THEN ${quoteLiteral(`undeclared field ${plans.find((p) => p.column.name === name)!.column.path} holds personal data (`)} || r_${k}.d || ')'`,
    field: `WHEN r_${k}.v IS NOT NULL THEN ${quoteLiteral(plans.find((p) => p.column.name === name)!.column.path)}`,
  }));
  const rejectReason = rejectJoin.length ? `CASE ${rejectJoin.map((r) => r.when).join(' ')} ELSE NULL END` : 'CAST(NULL AS VARCHAR)';
  const rejectField = rejectJoin.length ? `CASE ${rejectJoin.map((r) => r.field).join(' ')} ELSE NULL END` : 'CAST(NULL AS VARCHAR)';
  // file_row_number keeps the input's order through the joins (time-ordered files prune well on event time).
  const base = `SELECT s.*, coalesce(s._ade_reason, ${rejectReason}) AS _ade_why, coalesce(s._ade_field, ${rejectField}) AS _ade_where FROM read_parquet(${stage}, file_row_number = true) AS s ${rejectJoin.map((r) => r.join).join(' ')}`;
  await ws.run(`CREATE TEMP VIEW _ade_checked AS ${base}`);
  const { total, bad } = (await ws.all(`SELECT count(*) AS total, count(_ade_why) AS bad FROM _ade_checked`))[0] as { total: unknown; bad: unknown };
  const rowsRead = Number(total) + scanBad;

  // Quarantine: records the scan rejected + rows that failed checks.
  ctx.onStage?.('writing');
  const hasRecord = mode === 'scan';
  const rel = t.fileName;
  const fromChecks =
    `SELECT ${quoteLiteral(rel)} AS file, ${quoteLiteral(t.rawKey)} AS raw_key, _ade_line AS line, _ade_offset AS byte_offset, _ade_where AS field, _ade_why AS reason, ` +
    `${hasRecord ? '_ade_record' : recordOf(plans)} AS record, false AS record_truncated, ${quoteLiteral(t.batchId)} AS batch_id FROM _ade_checked WHERE _ade_why IS NOT NULL`;
  const parts = [fromChecks];
  if (mode === 'scan' && scanBad > 0) {
    parts.push(
      `SELECT ${quoteLiteral(rel)} AS file, ${quoteLiteral(t.rawKey)} AS raw_key, line, "offset" AS byte_offset, field, reason, record, record_truncated, ${quoteLiteral(t.batchId)} AS batch_id ` +
        `FROM read_json(${quoteLiteral(join(ws.workDir, 'bad.ndjson'))}, format='newline_delimited', maximum_object_size=${64 << 20}, columns={'line': 'BIGINT', 'offset': 'BIGINT', 'field': 'VARCHAR', 'reason': 'VARCHAR', 'record': 'VARCHAR', 'record_truncated': 'BOOLEAN'})`,
    );
  }
  let quarantined = 0;
  let quarantineSnapshot: number | undefined;
  const existingQ = await lake.catalog.getTable(t.quarantine);
  const qDone = existingQ?.currentSnapshotId !== undefined && (await lake.catalog.getBatch(t.quarantine, t.batchId));
  if (Number(bad) + scanBad > 0 && !qDone) {
    const written = await ws.writeParquet(parts.join(' UNION ALL '), join(ws.workDir, 'out-quarantine'), `${t.batchId}-${uuidv7().slice(-12)}`);
    if (written.rows > 0) {
      const committed = await lake.commitFiles(principal, {
        table: t.quarantine,
        files: written.files,
        columns: QUARANTINE_COLUMNS,
        batchId: t.batchId,
        filePrefix: written.files.length ? basename(written.files[0]!.localPath).replace(/-\d+\.parquet$/, '') : t.batchId,
        batchInfo: { source: 'ingest', origin: source.name, contentHash: t.contentHash, ...(fileError ? { fileError } : {}) },
        create: { description: `Rows of source ${source.name} that failed to ingest, with file, line, field and reason. Holds raw values: engineers only.` },
      });
      quarantined = committed.rows;
      quarantineSnapshot = committed.snapshot.id;
    }
  }

  // Clean: obfuscated, deduplicated by event id (within the file and against the table).
  const good = select.length === 0 ? 0 : Number(total) - Number(bad);
  let rowsWritten = 0;
  let cleanSnapshot: number | undefined;
  const cleanDone = t.cleanColumns && (await lake.catalog.getBatch(t.clean, t.batchId));
  if (!cleanDone && good > 0) {
    ctx.onStage?.('writing');
    const eid = source.eventId ? outColumns.find((c) => plainPath(c.path) === source.eventId)?.name : undefined;
    const from = pre.length ? `(SELECT *, ${pre.join(', ')} FROM _ade_checked WHERE _ade_why IS NULL)` : '_ade_checked';
    let cleanSql = `SELECT ${select.join(', ')}, s.file_row_number AS _ade_order FROM ${from} AS s ${joins.join(' ')} WHERE s._ade_why IS NULL`;
    if (eid) {
      const e = quoteIdent(eid);
      // The window that keeps one row per id is costly; it runs only when the file repeats ids.
      const [dups] = await ws.all(`SELECT count(${e}) - count(DISTINCT ${e}) AS n FROM _ade_checked WHERE _ade_why IS NULL`);
      if (Number(dups?.n ?? 0) > 0) cleanSql = `SELECT * FROM (${cleanSql}) QUALIFY row_number() OVER (PARTITION BY ${e} ORDER BY _ade_order) = 1`;
      if (t.cleanHasRows && t.cleanColumns?.some((c) => c.name === eid)) {
        cleanSql = `SELECT * FROM (${cleanSql}) WHERE ${e} NOT IN (SELECT ${e} FROM clean.${quoteIdent(source.name)} WHERE ${e} IS NOT NULL)`;
      }
    }
    // Appends keep the table's types.
    const cleanTypes = new Map((t.cleanColumns ?? []).map((c) => [c.name, c.type]));
    const described = await ws.all(`DESCRIBE ${cleanSql}`);
    const columns: ColumnInput[] = described.filter((r) => r.column_name !== '_ade_order').map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const cast = columns.map((c) => {
      const target = cleanTypes.get(c.name);
      return target && target !== c.type ? `CAST(${quoteIdent(c.name)} AS ${target}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name);
    });
    const finalColumns: ColumnInput[] = columns.map((c) => ({ ...c, type: cleanTypes.get(c.name) ?? c.type, ...describeColumn(plans, maps, c.name) }));
    const written = await ws.writeParquet(`SELECT ${cast.join(', ')} FROM (${cleanSql}) ORDER BY _ade_order`, join(ws.workDir, 'out-clean'), `${t.batchId}-${uuidv7().slice(-12)}`, (f) =>
      ctx.onStage?.('writing', f),
    );
    if (written.rows > 0) {
      ctx.onStage?.('committing');
      const committed = await lake.commitFiles(principal, {
        table: t.clean,
        files: written.files,
        columns: finalColumns,
        batchId: t.batchId,
        filePrefix: basename(written.files[0]!.localPath).replace(/-\d+\.parquet$/, ''),
        batchInfo: {
          source: 'ingest',
          origin: source.name,
          contentHash: t.contentHash,
          keyId: ctx.tokenizer.keyId,
          detections: maps.detections,
          ...(source.eventTime ? { eventTime: source.eventTime } : {}),
        },
        create: { description: `Source ${source.name}, obfuscated at ingest (see ade.yaml sources.${source.name}).` },
      });
      rowsWritten = committed.rows;
      cleanSnapshot = committed.snapshot.id;
    }
  }
  return {
    inputColumns: [],
    rowsRead,
    rowsWritten,
    quarantined,
    deduplicated: Math.max(0, good - rowsWritten - (cleanDone ? good : 0)),
    path: mode,
    detections: maps.detections,
    droppedColumns: [...maps.dropped, ...plans.filter((p) => p.how === 'drop').map((p) => p.column.name)],
    addedColumns: added,
    ...(fileError ? { fileError } : {}),
    ...(cleanSnapshot !== undefined ? { cleanSnapshot } : {}),
    ...(quarantineSnapshot !== undefined ? { quarantineSnapshot } : {}),
  };
}

/** A row's input values as JSON text, for quarantine rows found after a fast read (no line text). */
function recordOf(plans: readonly ColumnPlan[]): string {
  if (plans.length === 0) return 'CAST(NULL AS VARCHAR)';
  return `CAST(to_json(struct_pack(${plans.map((p) => `${quoteIdent(p.column.name)} := ${quoteIdent(p.column.name)}`).join(', ')})) AS VARCHAR)`;
}

/** A Parquet file DuckDB cannot read: one quarantine row for the whole file. */
async function wholeFileQuarantined(ctx: IngestFileContext, ws: Workspace, t: PipelineTargets, reason: string): Promise<PipelineReport> {
  const sql =
    `SELECT ${quoteLiteral(t.fileName)} AS file, ${quoteLiteral(t.rawKey)} AS raw_key, CAST(NULL AS BIGINT) AS line, CAST(NULL AS BIGINT) AS byte_offset, ` +
    `CAST(NULL AS VARCHAR) AS field, ${quoteLiteral(reason)} AS reason, CAST(NULL AS VARCHAR) AS record, false AS record_truncated, ${quoteLiteral(t.batchId)} AS batch_id`;
  const written = await ws.writeParquet(sql, join(ws.workDir, 'out-quarantine'), `${t.batchId}-${uuidv7().slice(-12)}`);
  const committed = await ctx.lake.commitFiles(ctx.principal, {
    table: t.quarantine,
    files: written.files,
    columns: QUARANTINE_COLUMNS,
    batchId: t.batchId,
    filePrefix: basename(written.files[0]!.localPath).replace(/-\d+\.parquet$/, ''),
    batchInfo: { source: 'ingest', origin: ctx.source.name, contentHash: t.contentHash, fileError: reason },
  });
  return {
    rowsRead: 0,
    rowsWritten: 0,
    quarantined: committed.rows,
    deduplicated: 0,
    path: 'fast',
    detections: [],
    droppedColumns: [],
    addedColumns: [],
    fileError: reason,
    quarantineSnapshot: committed.snapshot.id,
    inputColumns: [],
  };
}


import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Workspace } from '../engine/index.js';
import { quoteIdent, quoteLiteral } from '../kernel/index.js';
import { readCsvHeader, sniffCsvSql, type InputFile } from '../lake/input-format.js';
import { IngestError, scrubText } from './errors.js';
import { flattenColumns, plainPath, type FlatColumn } from './flatten.js';
import type { SourceConfig } from './source-config.js';

// How ingest reads an input file with DuckDB: the read functions with their
// limits, the pre-read checks (fields past DuckDB's sample, record sizes,
// truncated compressed streams), type inference for text, and the row checks.

/** A top-level input column: name and DuckDB type. */
export type TopColumn = { name: string; type: string };

/** Why DuckDB could not read a file, without any value from it. */
export function describeReadError(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return `the file could not be read: ${scrubText(m.split('\n')[0]!)}`;
}

/** Row checks evaluated while staging: missing event id, fields a `reject` source did not expect. */
export function checkReasons(source: SourceConfig, flat: readonly FlatColumn[], rejectedNew: readonly FlatColumn[]): { sql: string; field: string } {
  const whens: string[] = [];
  const fields: string[] = [];
  const eid = source.eventId ? flat.find((c) => plainPath(c.path) === source.eventId) : undefined;
  if (source.eventId) {
    const cond = eid ? `${quoteIdent(eid.name)} IS NULL` : 'true';
    whens.push(`WHEN ${cond} THEN ${quoteLiteral(`event id field ${source.eventId} is missing`)}`);
    fields.push(`WHEN ${cond} THEN ${quoteLiteral(source.eventId)}`);
  }
  for (const c of rejectedNew) {
    whens.push(`WHEN ${quoteIdent(c.name)} IS NOT NULL THEN ${quoteLiteral(`field ${c.path} is not in the pinned schema (on_schema_change: reject)`)}`);
    fields.push(`WHEN ${quoteIdent(c.name)} IS NOT NULL THEN ${quoteLiteral(c.path)}`);
  }
  if (!whens.length) return { sql: 'CAST(NULL AS VARCHAR)', field: 'CAST(NULL AS VARCHAR)' };
  return { sql: `CASE ${whens.join(' ')} ELSE NULL END`, field: `CASE ${fields.join(' ')} ELSE NULL END` };
}

/** How deeply a DuckDB type nests (lists and structs). */
export function typeDepth(type: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < type.length; i++) {
    const ch = type[i];
    if (ch === '(') max = Math.max(max, ++depth);
    else if (ch === ')') depth--;
    else if (ch === '[' && type[i + 1] === ']') max = Math.max(max, depth + 1 + countBrackets(type, i));
  }
  return max;
}

function countBrackets(type: string, at: number): number {
  let n = 0;
  for (let i = at; type[i] === '[' && type[i + 1] === ']'; i += 2) n++;
  return n - 1;
}

/** JSON text → the value as text (strings unquoted; objects/lists as JSON) at a flat column's path. */
export function rawTextExpr(c: FlatColumn, alias: string): string {
  const [head, ...rest] = c.segments;
  const root = `${alias}.${quoteIdent(head!)}`;
  const path = rest.length ? `'$${rest.map((k) => `."${k.replaceAll('"', '\\"')}"`).join('')}'` : "'$'";
  if (c.json) return `CASE WHEN json_type(${root}, ${path}) IN ('NULL') THEN NULL ELSE CAST(json_extract(${root}, ${path}) AS VARCHAR) END`;
  return `json_extract_string(${root}, ${path})`;
}

function compressionArg(file: InputFile): string {
  return file.compression === 'none' ? '' : `, compression=${quoteLiteral(file.compression)}`;
}

/**
 * read_json / read_parquet of a file, with pinned top-level columns when given.
 * Map inference is off: a record with many rare keys must not turn the whole
 * file into one opaque map column (policies could not see its fields).
 */
export function readFn(file: InputFile, top: readonly TopColumn[] | undefined, source: SourceConfig, sampleAll = false): string {
  const p = quoteLiteral(file.path);
  if (file.format === 'parquet') return `read_parquet(${p})`;
  const fmt = file.format === 'ndjson' ? 'newline_delimited' : 'auto';
  const cols = top && top.length ? `, columns={${top.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(', ')}}` : '';
  return `read_json(${p}, format=${quoteLiteral(fmt)}${cols}, map_inference_threshold=-1${sampleAll ? ', sample_size=-1' : ''}, maximum_object_size=${Math.max(source.maxRecordBytes, 16 << 20)}${compressionArg(file)})`;
}

/**
 * Fields the records hold that the columns don't know (top level and inside
 * objects), and the largest record's size in bytes — one pass over the raw records.
 */
export async function unseenFields(
  ws: Workspace,
  file: InputFile,
  sampled: readonly TopColumn[],
  pinned: readonly TopColumn[],
  source: SourceConfig,
): Promise<{ unknown: string[]; biggest: number }> {
  const flat = flattenColumns([...pinned, ...sampled.filter((c) => !pinned.some((p) => p.name === c.name))]);
  const children = new Map<string, Set<string>>();
  for (const c of flat) {
    for (let i = 0; i < c.segments.length; i++) {
      const parent = c.segments.slice(0, i).join('\u0000');
      if (!children.has(parent)) children.set(parent, new Set());
      children.get(parent)!.add(c.segments[i]!);
    }
  }
  const parents = [...children.keys()];
  const keysOf = (parent: string) =>
    parent === '' ? 'json_keys(json)' : `json_keys(json, ${quoteLiteral('$' + parent.split('\u0000').map((k) => `."${k.replaceAll('"', '\\"')}"`).join(''))})`;
  const fmt = file.format === 'ndjson' ? 'newline_delimited' : 'auto';
  // The distinct key lists, not the distinct keys: records of one stream mostly share a few lists, and
  // collecting them whole costs no unnest per key (1.5× faster on Segment-like events).
  const sql =
    `SELECT max(strlen(json)) AS biggest, ${parents.map((p, i) => `list(DISTINCT ${keysOf(p)}) AS k${i}`).join(', ')} ` +
    `FROM read_json_objects(${quoteLiteral(file.path)}, format=${quoteLiteral(fmt)}, maximum_object_size=${Math.max(source.maxRecordBytes, 16 << 20) * 2}${compressionArg(file)})`;
  const [row] = await ws.all(sql);
  const unknown = new Set<string>();
  parents.forEach((p, i) => {
    const known = children.get(p)!;
    for (const keys of (row?.[`k${i}`] as (string[] | null)[] | null) ?? []) {
      for (const k of keys ?? []) {
        if (k !== null && !known.has(k)) unknown.add(p === '' ? k : `${p.split('\u0000').join('.')}.${k}`);
      }
    }
  });
  return { unknown: [...unknown], biggest: Number(row?.biggest ?? 0) };
}

/** Why a gzip/zstd file cannot be read to its end, or undefined when it can (streamed, nothing kept). */
export async function compressedStreamProblem(file: InputFile): Promise<string | undefined> {
  const { createGunzip } = await import('node:zlib');
  const { Writable } = await import('node:stream');
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  try {
    if (file.compression === 'gzip') await pipeline(createReadStream(file.path, { highWaterMark: 1 << 20 }), createGunzip(), sink);
    else if (file.compression === 'zstd') {
      const { Decompress } = await import('fzstd');
      let ended = false;
      const d = new Decompress((_chunk, final) => {
        if (final) ended = true;
      });
      for await (const chunk of createReadStream(file.path, { highWaterMark: 1 << 20 })) d.push(chunk as Uint8Array);
      d.push(new Uint8Array(0), true);
      if (!ended) return 'the zstd stream is truncated';
    }
    return undefined;
  } catch (e) {
    return `the ${file.compression} stream is truncated or corrupt (${(e as Error).message.split('\n')[0]})`;
  }
}

/** Strict read_csv (RFC 4180) with the given columns. */
export function csvRead(file: InputFile, top: readonly TopColumn[], maxLine: number): string {
  const delim = file.format === 'tsv' ? '\t' : ',';
  const cols = `{${top.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(', ')}}`;
  return `read_csv(${quoteLiteral(file.path)}, header=true, delim=${quoteLiteral(delim)}, quote='"', escape='"', auto_detect=false, strict_mode=true, null_padding=false, max_line_size=${maxLine}, columns=${cols}${compressionArg(file)})`;
}

/**
 * Types for text columns from their values: the narrowest of BIGINT, DOUBLE,
 * BOOLEAN, DATE, TIMESTAMP that every non-empty value converts to, else VARCHAR.
 */
export async function inferTextTypes(ws: Workspace, goodPath: string, names: readonly string[]): Promise<TopColumn[]> {
  if (names.length === 0) return [];
  const candidates = ['BIGINT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP'];
  const checks = names.flatMap((n, i) =>
    candidates.map((t) => `bool_and(${quoteIdent(n)} IS NULL OR TRY_CAST(${quoteIdent(n)} AS ${t}) IS NOT NULL) AS c${i}_${t}`),
  );
  const cols = `{${names.map((n) => `${quoteLiteral(n)}: 'VARCHAR'`).join(', ')}}`;
  const [row] = await ws.all(`SELECT ${checks.join(', ')} FROM read_json(${quoteLiteral(goodPath)}, format='newline_delimited', columns=${cols})`);
  return names.map((name, i) => ({ name, type: candidates.find((t) => row?.[`c${i}_${t}`] === true) ?? 'VARCHAR' }));
}

/** CSV columns: the header (read by us) with DuckDB's sniffed types, VARCHAR where unsure. */
export async function csvColumns(ws: Workspace, file: InputFile): Promise<TopColumn[]> {
  const header = await readCsvHeader(file);
  let sniffed: { name: string; type: string }[] | undefined;
  try {
    const r = await ws.all(sniffCsvSql(file));
    sniffed = r[0]?.Columns as { name: string; type: string }[] | undefined;
  } catch {
    sniffed = undefined;
  }
  const names = header ?? sniffed?.map((c) => c.name) ?? [];
  if (names.length === 0) throw new IngestError('ingest.no_header', `the file has no header row`, { hint: 'CSV files need a header row naming the columns' });
  const fits = sniffed && sniffed.length === names.length && sniffed.every((c, i) => c.name === names[i]);
  return names.map((name, i) => ({ name, type: fits ? sniffed![i]!.type : 'VARCHAR' }));
}

import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createGunzip } from 'node:zlib';
import { quoteIdent, quoteLiteral, ValidationError } from '../kernel/index.js';
import { LoadError } from './errors.js';

export const INPUT_FORMATS = ['csv', 'tsv', 'ndjson', 'json', 'parquet'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];
export type Compression = 'none' | 'gzip' | 'zstd';

export interface InputFile {
  readonly path: string;
  readonly format: InputFormat;
  readonly compression: Compression;
}

const EXTENSIONS: Readonly<Record<string, InputFormat>> = {
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  json: 'json',
  parquet: 'parquet',
  pq: 'parquet',
};

/** Format and compression from the file name (`orders.csv.gz` → csv, gzip), unless `format` is given. */
export function detectInput(path: string, format?: string): InputFile {
  const parts = basename(path).toLowerCase().split('.');
  let compression: Compression = 'none';
  const last = parts.at(-1);
  if (last === 'gz' || last === 'gzip') compression = 'gzip';
  if (last === 'zst' || last === 'zstd') compression = 'zstd';
  if (compression !== 'none') parts.pop();
  const detected = format ?? EXTENSIONS[parts.at(-1) ?? ''];
  if (detected === undefined || !(INPUT_FORMATS as readonly string[]).includes(detected)) {
    throw new ValidationError(`cannot tell the format of ${path}`, {
      code: 'load.unknown_format',
      hint: `name the file with an extension (${Object.keys(EXTENSIONS).join(', ')}, optionally .gz/.zst) or pass --format ${INPUT_FORMATS.join('|')}`,
      details: { file: path },
    });
  }
  return { path, format: detected as InputFormat, compression };
}

/** Columns a user declared (`id:BIGINT,name:VARCHAR`); types are DuckDB type names. */
export type DeclaredColumns = readonly { readonly name: string; readonly type: string }[];

const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])?$/;

/** Parses `id:BIGINT,name:VARCHAR,price:DECIMAL(10,2)`. */
export function parseDeclaredColumns(spec: string): DeclaredColumns {
  const out: { name: string; type: string }[] = [];
  // split on commas that are not inside parentheses
  let depth = 0;
  let start = 0;
  const pieces: string[] = [];
  for (let i = 0; i < spec.length; i++) {
    const ch = spec[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      pieces.push(spec.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(spec.slice(start));
  for (const piece of pieces) {
    const m = /^\s*([^:\s]+)\s*:\s*(.+?)\s*$/.exec(piece);
    if (!m || !TYPE_PATTERN.test(m[2]!)) {
      throw new ValidationError(`invalid column declaration ${JSON.stringify(piece.trim())}`, {
        code: 'validation.columns',
        hint: 'declare columns as name:TYPE pairs separated by commas, e.g. id:BIGINT,name:VARCHAR,price:DECIMAL(10,2)',
      });
    }
    out.push({ name: m[1]!, type: m[2]!.toUpperCase() });
  }
  return out;
}

function columnsOption(columns: DeclaredColumns): string {
  return `{${columns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(', ')}}`;
}

function compressionOption(input: InputFile): string {
  return input.compression === 'none' ? '' : `, compression=${quoteLiteral(input.compression)}`;
}

/** The pinned CSV dialect: RFC 4180. Sniffing dialects silently misreads malformed files. */
function csvDialect(input: InputFile): string {
  const delim = input.format === 'tsv' ? '\t' : ',';
  return `header=true, delim=${quoteLiteral(delim)}, quote='"', escape='"'${compressionOption(input)}`;
}

/** SQL that asks DuckDB's sniffer for column types of a CSV/TSV file (pinned dialect). */
export function sniffCsvSql(input: InputFile): string {
  return `SELECT Columns FROM sniff_csv(${quoteLiteral(input.path)}, ${csvDialect(input)}, sample_size=20480)`;
}

/**
 * SQL reading the whole input. CSV is read strictly with explicit columns (every
 * row must have exactly the header's fields), so errors name the line.
 */
export function readSql(input: InputFile, columns: DeclaredColumns | undefined): string {
  const path = quoteLiteral(input.path);
  switch (input.format) {
    case 'csv':
    case 'tsv': {
      if (!columns) throw new Error('CSV reads need columns (from the header and sniffer)');
      return `SELECT * FROM read_csv(${path}, ${csvDialect(input)}, auto_detect=false, strict_mode=true, null_padding=false, columns=${columnsOption(columns)})`;
    }
    case 'ndjson':
    case 'json': {
      const fmt = input.format === 'ndjson' ? 'newline_delimited' : 'auto';
      const cols = columns ? `, columns=${columnsOption(columns)}` : '';
      return `SELECT * FROM read_json(${path}, format=${quoteLiteral(fmt)}${cols}${compressionOption(input)})`;
    }
    case 'parquet': {
      if (columns) {
        const list = columns.map((c) => `CAST(${quoteIdent(c.name)} AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ');
        return `SELECT ${list} FROM read_parquet(${path})`;
      }
      return `SELECT * FROM read_parquet(${path})`;
    }
  }
}

/** Reads the header row of a CSV/TSV file (gzip understood; zstd returns undefined). */
export async function readCsvHeader(input: InputFile): Promise<string[] | undefined> {
  if (input.compression === 'zstd') return undefined;
  const raw = createReadStream(input.path, { start: 0, end: input.compression === 'gzip' ? undefined : 1 << 20 });
  const stream = input.compression === 'gzip' ? raw.pipe(createGunzip()) : raw;
  let text = '';
  try {
    for await (const chunk of stream) {
      text += (chunk as Buffer).toString('utf8');
      const fields = parseFirstRecord(text, input.format === 'tsv' ? '\t' : ',');
      if (fields) return fields;
      if (text.length > 1 << 20) break;
    }
    return parseFirstRecord(text + '\n', input.format === 'tsv' ? '\t' : ',') ?? undefined;
  } finally {
    raw.destroy();
  }
}

/** The fields of the first record if `text` holds all of it, else undefined. */
export function parseFirstRecord(text: string, delim: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delim) {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      fields.push(field);
      return fields;
    } else field += ch;
  }
  return undefined;
}

/** Turns a DuckDB read error into a LoadError naming the file and the line. */
export async function toLoadError(input: InputFile, error: unknown): Promise<LoadError> {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n')[0]!.replace(/^[A-Za-z ]+Error: /, '');
  const hint = 'fix the input and load it again; nothing was committed';
  const csvLine = /CSV Error on Line: (\d+)/.exec(message);
  if (csvLine) {
    const field = /converting column "([^"]+)"/.exec(message)?.[1];
    const detail = message
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter((l) => /^(Original Line:|Error when converting|Expected Number of Columns)/.test(l))
      .join('; ');
    return new LoadError(detail || first, {
      file: input.path,
      line: Number(csvLine[1]),
      field,
      cause: error,
      hint: field ? `fix the value, or declare the column's type (e.g. --columns ${field}:VARCHAR); nothing was committed` : hint,
    });
  }
  if ((input.format === 'json' || input.format === 'ndjson') && /Malformed JSON/.test(message) && input.compression === 'none') {
    const found = input.format === 'ndjson' ? await firstBadJsonLine(input.path) : await badJsonPosition(input.path);
    if (found) return new LoadError(`malformed JSON: ${found.reason}`, { file: input.path, line: found.line, cause: error, hint });
  }
  const conversion = /Could not convert .*/.exec(message)?.[0];
  return new LoadError(conversion ?? first.replace(/ in file "[^"]*"/, ''), { file: input.path, cause: error, hint });
}

/** Scans NDJSON line by line (error path only) for the first line JSON.parse rejects. */
async function firstBadJsonLine(path: string): Promise<{ line: number; reason: string } | undefined> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (text.trim() === '') continue;
      try {
        JSON.parse(text);
      } catch (e) {
        return { line, reason: (e as Error).message };
      }
    }
  } finally {
    rl.close();
  }
  return undefined;
}

/** Parses a JSON document (error path only) and turns the first syntax error's offset into a line. */
async function badJsonPosition(path: string): Promise<{ line: number; reason: string } | undefined> {
  const { readFile, stat } = await import('node:fs/promises');
  if ((await stat(path)).size > 256 * 1024 * 1024) return undefined;
  const text = await readFile(path, 'utf8');
  const { parse, printParseErrorCode } = await import('jsonc-parser');
  const errors: import('jsonc-parser').ParseError[] = [];
  parse(text, errors, { allowTrailingComma: false, disallowComments: true });
  const first = errors[0];
  if (!first) return undefined;
  let line = 1;
  for (let i = 0; i < first.offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return { line, reason: printParseErrorCode(first.error) };
}

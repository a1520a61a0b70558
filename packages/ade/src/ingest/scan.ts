/**
 * The slow path of ingestion: when DuckDB cannot read an input file in one go,
 * the file is streamed through here, cut into records, and each record is
 * checked on its own. Good records go to a staging NDJSON file (with
 * `_ade_line` / `_ade_offset` in front), bad ones to a quarantine NDJSON file
 * with a reason that names what is wrong but never quotes the data.
 *
 * Memory stays bounded: the only large buffer is the record being cut out,
 * and it stops growing at `maxRecordBytes` (the rest of an oversized record is
 * counted and dropped; its first 64 KiB are kept for the quarantine row).
 *
 * Layout of this file: options/result → limits and wording → record cutting
 * (`RecordBuffer`) → per-format scanners (NDJSON, JSON, CSV/TSV) → output
 * sinks → decompression → `scanFile`.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import { Decompress } from 'fzstd';
import { AdeError, ValidationError, messageOf } from '../kernel/index.js';

export interface ScanOptions {
  /** Local input file. */
  readonly path: string;
  /** How records are laid out in the (decompressed) file. */
  readonly format: 'csv' | 'tsv' | 'ndjson' | 'json';
  /** How the file is compressed. */
  readonly compression: 'none' | 'gzip' | 'zstd';
  /** Path to create: good records, one JSON object a line, `_ade_line` and `_ade_offset` first. */
  readonly goodOut: string;
  /** Path to create: one quarantine row a line (`line, offset, field, reason, record, record_truncated`). */
  readonly badOut: string;
  /** Records larger than this many bytes are quarantined. */
  readonly maxRecordBytes: number;
  /** JSON nested deeper than this many levels is quarantined. */
  readonly maxDepth: number;
  /** A CSV header or JSON object with more top-level fields than this is rejected. */
  readonly maxColumns: number;
  /** Aborting rejects the scan with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface ScanResult {
  /** Records seen (good + bad), excluding the CSV header and blank lines; a file-level quarantine row counts as one. */
  readonly records: number;
  /** Rows written to goodOut. */
  readonly good: number;
  /** Rows written to badOut. */
  readonly bad: number;
  /** Decompressed bytes read (a file-level error can stop reading early). */
  readonly bytes: number;
  /** CSV/TSV header fields. */
  readonly header?: readonly string[];
  /** A problem with the file as a whole (e.g. truncated compressed stream, header with too many columns). Also written to badOut as a record with field null. */
  readonly fileError?: string;
}

/** Quarantine rows keep at most this many bytes of the record. */
const SAMPLE_BYTES = 64 * 1024;
/** A little more than the sample, so it can be cut at a character boundary. */
const SAMPLE_KEEP = SAMPLE_BYTES + 4;
const EMPTY = Buffer.alloc(0);

const LF = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

// ---------------------------------------------------------------- wording

const KIB = 1024;
const MIB = 1024 * 1024;

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

function size(n: number): string {
  const oneDecimal = (x: number) => String(Math.round(x * 10) / 10);
  if (n >= MIB) return `${oneDecimal(n / MIB)} MiB`;
  if (n >= KIB) return `${oneDecimal(n / KIB)} KiB`;
  return plural(n, 'byte');
}

function sizeReason(what: string, actual: number, limit: number): string {
  let a = size(actual);
  let b = size(limit);
  if (a === b) {
    a = plural(actual, 'byte');
    b = plural(limit, 'byte');
  }
  return `${what} is ${a}; the limit is ${b}`;
}

/** V8 messages that name the grammar only (never input text), keyed by their start. */
const SAFE_JSON_MESSAGES = [
  "Expected property name or '}'",
  "Expected ',' or '}' after property value",
  "Expected ',' or ']' after array element",
  "Expected ':' after property name",
  'Expected double-quoted property name',
  'Unterminated string',
  'Bad control character in string literal',
  'Bad escaped character',
  'Unexpected non-whitespace character after JSON',
  'Unexpected number',
  'Unexpected string',
  'No number after minus sign',
  'Unterminated fractional number',
  'Exponent part is missing a number',
];

/**
 * A JSON.parse failure in words that cannot leak the record: V8 may quote the
 * input (`Unexpected token 'a', "abc" is not valid JSON`), so only known
 * grammar phrases and the position are kept.
 */
function jsonSyntaxReason(e: unknown): string {
  const message = messageOf(e);
  if (message.startsWith('Unexpected end of JSON input')) return 'not valid JSON (the record ends before the JSON value is complete)';
  const position = /\bin JSON at position (\d+)/.exec(message);
  const phrase = SAFE_JSON_MESSAGES.find((p) => message.startsWith(p));
  const what = phrase === undefined ? 'syntax error' : phrase.charAt(0).toLowerCase() + phrase.slice(1);
  if (position) return `not valid JSON (${what} at character ${count(Number(position[1]) + 1)} of the record)`;
  return `not valid JSON (${phrase === undefined ? 'unexpected character' : what})`;
}

// ---------------------------------------------------------------- byte checks

/** Index of the first byte that breaks UTF-8, or -1. Only called once `isUtf8` said no. */
function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= n) return i; // the sequence runs past the end
    const second = b[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) {
      const cont = b[i + k]!;
      if (cont < 0x80 || cont > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** True when `{`/`[` outside strings in `b[from, to)` nest deeper than `max` (a byte scan, so deep input never reaches JSON.parse). */
function nestsDeeperThan(b: Uint8Array, from: number, to: number, max: number): boolean {
  if (to - from <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === LBRACE || c === LBRACKET) {
      if (++depth > max) return true;
    } else if (c === RBRACE || c === RBRACKET) depth--;
  }
  return false;
}

function isJsonSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === LF;
}

function isBlank(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (!isJsonSpace(b[i]!)) return false;
  return true;
}

function withoutTrailingCr(b: Buffer): Buffer {
  return b.length > 0 && b[b.length - 1] === CR ? b.subarray(0, b.length - 1) : b;
}

function trimEndSpace(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && isJsonSpace(b[end - 1]!)) end--;
  return end === b.length ? b : b.subarray(0, end);
}

function concat(parts: readonly Buffer[]): Buffer {
  if (parts.length === 0) return EMPTY;
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** The record's text for the quarantine row: lossy UTF-8, at most 64 KiB, cut at a character boundary. */
function sampleText(head: Buffer, total: number): { readonly text: string; readonly truncated: boolean } {
  if (total <= SAMPLE_BYTES && head.length <= SAMPLE_BYTES) return { text: head.toString('utf8'), truncated: false };
  let cut = Math.min(SAMPLE_BYTES, head.length);
  for (let back = 0; back < 3 && cut > 0 && cut < head.length && (head[cut]! & 0xc0) === 0x80; back++) cut--;
  return { text: head.subarray(0, cut).toString('utf8'), truncated: true };
}

// ---------------------------------------------------------------- record cutting

/** One record cut out of the stream. `bytes` is null when it exceeded the limit (then only `head` is kept). */
interface CutRecord {
  /** 1-based line of the record's first byte. */
  readonly line: number;
  /** Byte offset of the record's first byte in the decompressed input. */
  readonly offset: number;
  readonly size: number;
  readonly bytes: Buffer | null;
  /** The first bytes (up to 64 KiB and a little), for the quarantine row. */
  readonly head: Buffer;
}

/** Collects the bytes of the record being cut out: whole up to `cap`, only its head beyond. */
class RecordBuffer {
  active = false;
  size = 0;
  private line = 0;
  private offset = 0;
  /** The first piece; usually the only one. */
  private first: Buffer | null = null;
  private more: Buffer[] | null = null;
  /** Set once the record is over the cap: copies of its first bytes. */
  private head: Buffer[] | null = null;
  private headSize = 0;

  constructor(private readonly cap: number) {}

  begin(line: number, offset: number): void {
    this.active = true;
    this.line = line;
    this.offset = offset;
    this.size = 0;
    this.first = null;
    this.more = null;
    this.head = null;
    this.headSize = 0;
  }

  append(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    const piece = from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
    this.size += piece.length;
    if (this.head === null) {
      if (this.first === null) this.first = piece;
      else (this.more ??= []).push(piece);
      if (this.size > this.cap) this.keepHeadOnly();
    } else if (this.headSize < SAMPLE_KEEP) this.addToHead(piece);
  }

  take(): CutRecord {
    this.active = false;
    let bytes: Buffer | null = null;
    let head: Buffer;
    if (this.head === null) {
      bytes = this.first === null ? EMPTY : this.more === null ? this.first : Buffer.concat([this.first, ...this.more]);
      head = bytes;
    } else head = concat(this.head);
    const record: CutRecord = { line: this.line, offset: this.offset, size: this.size, bytes, head };
    this.first = null;
    this.more = null;
    this.head = null;
    return record;
  }

  /** Over the cap: keep copies of the first bytes (so the chunks can be freed) and stop buffering. */
  private keepHeadOnly(): void {
    const pieces = this.first === null ? [] : [this.first, ...(this.more ?? [])];
    this.head = [];
    this.headSize = 0;
    this.first = null;
    this.more = null;
    for (const piece of pieces) {
      if (this.headSize >= SAMPLE_KEEP) break;
      this.addToHead(piece);
    }
  }

  private addToHead(piece: Buffer): void {
    const copy = Buffer.from(piece.subarray(0, SAMPLE_KEEP - this.headSize));
    this.head!.push(copy);
    this.headSize += copy.length;
  }
}

// ---------------------------------------------------------------- outputs

/** A quarantine row before serialisation. */
interface BadRow {
  readonly line: number | null;
  readonly offset: number | null;
  readonly field: string | null;
  readonly reason: string;
  readonly head: Buffer;
  readonly size: number;
}

/** NDJSON lines written to a file, with backpressure at `flush`. */
class LineSink {
  private readonly stream: WriteStream;
  private pending: string[] = [];
  private failure: Error | undefined;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
    this.stream.on('error', (e) => {
      this.failure ??= e;
    });
  }

  write(line: string): void {
    this.pending.push(line);
  }

  async flush(): Promise<void> {
    this.check();
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    if (!this.stream.write(text)) await this.until(['drain', 'error', 'close']);
    this.check();
  }

  async close(): Promise<void> {
    await this.flush();
    const closed = this.until(['close', 'error']);
    this.stream.end();
    await closed;
    this.check();
  }

  destroy(): void {
    this.stream.destroy();
  }

  private until(events: readonly string[]): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        for (const e of events) this.stream.off(e, done);
        resolve();
      };
      for (const e of events) this.stream.on(e, done);
    });
  }

  private check(): void {
    if (this.failure !== undefined) {
      throw new AdeError('ingest.staging_write_failed', `could not write ${this.path}: ${this.failure.message}`, {
        hint: 'check that the staging folder exists and has free space, then ingest the file again',
        retryable: true,
        details: { path: this.path },
        cause: this.failure,
      });
    }
  }
}

/** Where scanners put their verdicts; counts them. */
class Outputs {
  good = 0;
  bad = 0;

  constructor(
    private readonly goodSink: LineSink,
    private readonly badSink: LineSink,
  ) {}

  /** `json` is the record's object text with the `_ade_` keys already in front. */
  accept(json: string): void {
    this.good++;
    this.goodSink.write(json + '\n');
  }

  reject(row: BadRow): void {
    this.bad++;
    const { text, truncated } = sampleText(row.head, row.size);
    this.badSink.write(
      JSON.stringify({
        line: row.line,
        offset: row.offset,
        field: row.field,
        reason: row.reason,
        record: text,
        record_truncated: truncated,
      }) + '\n',
    );
  }

  async flush(): Promise<void> {
    await Promise.all([this.goodSink.flush(), this.badSink.flush()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.goodSink.close(), this.badSink.close()]);
  }

  destroy(): void {
    this.goodSink.destroy();
    this.badSink.destroy();
  }
}

function adePrefix(line: number, offset: number): string {
  return `{"_ade_line":${line},"_ade_offset":${offset}`;
}

const PARTIAL_REASON = 'the file ends inside this record (the compressed stream is truncated)';

function rejectRecord(out: Outputs, r: CutRecord, reason: string, field: string | null = null): void {
  out.reject({ line: r.line, offset: r.offset, field, reason, head: r.head, size: r.size });
}

// ---------------------------------------------------------------- scanners

/** A format-specific state machine fed decompressed bytes in order. */
interface Scanner {
  /** Current 1-based line (where the next byte would be). */
  readonly line: number;
  /** Set when the rest of the input is not needed (the scan stops reading). */
  readonly stopped: boolean;
  /** A problem with the file as a whole (already written to the quarantine). */
  readonly fileError: string | undefined;
  readonly header?: readonly string[];
  /** Skips bytes that belong to no record (a BOM at the start). */
  skip(n: number): void;
  push(chunk: Buffer): void;
  /** End of input; `truncated` when the compressed stream broke off. */
  finish(truncated: boolean): void;
}

type JsonVerdict = { readonly json: string } | { readonly reason: string; readonly field: string | null };

const NEWLINE_AND_INDENT = /[\r\n][ \t\r\n]*/g;

function notUtf8(bytes: Uint8Array, unit: 'line' | 'record'): JsonVerdict {
  return { reason: `not valid UTF-8 (first bad byte at offset ${count(firstInvalidUtf8(bytes))} of the ${unit})`, field: null };
}

function tooDeep(options: ScanOptions): JsonVerdict {
  return { reason: `nested deeper than ${count(options.maxDepth)} levels`, field: null };
}

/**
 * Checks the text of one JSON record (already known to be valid UTF-8 and not
 * too deep). The output keeps the original text, so numbers keep their
 * digits; raw newlines, which valid JSON only has between tokens, are removed.
 */
function checkJsonText(text: string, line: number, offset: number, options: ScanOptions): JsonVerdict {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { reason: jsonSyntaxReason(e), field: null };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { reason: `record is not a JSON object (it is ${kind})`, field: null };
  }
  const keys = Object.keys(value);
  for (const key of keys) {
    if (key.startsWith('_ade_')) {
      return { reason: `the key ${JSON.stringify(key.slice(0, 100))} is reserved (keys starting with _ade_ belong to ade)`, field: key };
    }
  }
  if (keys.length > options.maxColumns) {
    return { reason: `object has ${count(keys.length)} top-level keys; the limit is ${count(options.maxColumns)}`, field: null };
  }
  const prefix = adePrefix(line, offset);
  if (keys.length === 0) return { json: prefix + '}' };
  const flat = text.includes('\n') || text.includes('\r') ? text.replace(NEWLINE_AND_INDENT, '') : text;
  return { json: prefix + ',' + flat.slice(flat.indexOf('{') + 1) };
}

/** NDJSON: a record per `\n`-terminated line; blank lines are skipped but counted as lines. */
class NdjsonScanner implements Scanner {
  line = 1;
  readonly stopped = false;
  readonly fileError = undefined;
  private pos = 0;
  private readonly rec: RecordBuffer;

  constructor(
    private readonly options: ScanOptions,
    private readonly out: Outputs,
  ) {
    this.rec = new RecordBuffer(options.maxRecordBytes);
  }

  skip(n: number): void {
    this.pos += n;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let start = 0;
    if (this.rec.active) {
      // A line carried over from earlier chunks.
      const nl = chunk.indexOf(LF);
      if (nl === -1) {
        this.rec.append(chunk, 0, n);
        this.pos += n;
        return;
      }
      this.rec.append(chunk, 0, nl);
      this.line++;
      this.emitCut(this.rec.take(), false);
      start = nl + 1;
    }
    // Lines wholly inside the chunk: one UTF-8 check for all of them (a newline never splits a character).
    const lastNl = chunk.lastIndexOf(LF);
    if (lastNl >= start) {
      const allUtf8 = isUtf8(chunk.subarray(start, lastNl));
      for (let s = start; s <= lastNl; ) {
        const nl = chunk.indexOf(LF, s);
        this.emitLine(chunk, s, nl, this.line, this.pos + s, allUtf8);
        this.line++;
        s = nl + 1;
      }
      start = lastNl + 1;
    }
    if (start < n) {
      this.rec.begin(this.line, this.pos + start);
      this.rec.append(chunk, start, n);
    }
    this.pos += n;
  }

  finish(truncated: boolean): void {
    if (this.rec.active) this.emitCut(this.rec.take(), truncated);
  }

  private emitCut(r: CutRecord, partial: boolean): void {
    if (r.bytes === null) {
      if (partial) rejectRecord(this.out, r, PARTIAL_REASON);
      else if (!isBlank(r.head)) rejectRecord(this.out, r, sizeReason('record', r.size, this.options.maxRecordBytes));
    } else if (partial) {
      if (!isBlank(r.bytes)) rejectRecord(this.out, r, PARTIAL_REASON);
    } else this.emitLine(r.bytes, 0, r.bytes.length, r.line, r.offset, false);
  }

  /** Checks the line `b[from, to)` (without its `\n`). */
  private emitLine(b: Buffer, from: number, to: number, line: number, offset: number, utf8Known: boolean): void {
    if (to > from && b[to - 1] === CR) to--;
    let first = from;
    while (first < to && isJsonSpace(b[first]!)) first++;
    if (first === to) return; // blank
    const { options, out } = this;
    let verdict: JsonVerdict;
    if (to - from > options.maxRecordBytes) verdict = { reason: sizeReason('record', to - from, options.maxRecordBytes), field: null };
    else if (!utf8Known && !isUtf8(b.subarray(from, to))) verdict = notUtf8(b.subarray(from, to), 'line');
    else if (nestsDeeperThan(b, from, to, options.maxDepth)) verdict = tooDeep(options);
    else verdict = checkJsonText(b.toString('utf8', from, to), line, offset, options);
    if ('json' in verdict) out.accept(verdict.json);
    else out.reject({ line, offset, field: verdict.field, reason: verdict.reason, head: b.subarray(from, Math.min(to, from + SAMPLE_KEEP)), size: to - from });
  }
}

type JsonMode =
  /** Between top-level values. */
  | 'top'
  /** Inside the top-level array, between elements. */
  | 'array'
  /** Inside a top-level object. */
  | 'object'
  /** Inside an element of the top-level array. */
  | 'element'
  /** After a framing error: the rest of the file is one bad record. */
  | 'rest';

/**
 * JSON: one top-level array whose elements are records, or a sequence of
 * top-level objects (pretty-printed or NDJSON), or both. A byte state machine
 * (strings, escapes, depth) cuts out each record with the line it starts on.
 */
class JsonScanner implements Scanner {
  line = 1;
  stopped = false;
  fileError: string | undefined;
  private pos = 0;
  private mode: JsonMode = 'top';
  /** In 'array': a comma was seen, so an element must follow. */
  private afterComma = false;
  private arrayLine = 0;
  private depth = 0;
  private maxDepthSeen = 0;
  private inString = false;
  private escaped = false;
  private readonly rec: RecordBuffer;
  private readonly rest = new RecordBuffer(0);

  constructor(
    private readonly options: ScanOptions,
    private readonly out: Outputs,
  ) {
    this.rec = new RecordBuffer(options.maxRecordBytes);
  }

  skip(n: number): void {
    this.pos += n;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let recordStart = 0;
    let i = 0;
    while (i < n) {
      if (this.mode === 'rest') return this.pushRest(chunk, i);
      if (this.mode === 'object' || this.mode === 'element') {
        const end = this.scanRecord(chunk, i);
        if (end === -1) {
          this.rec.append(chunk, recordStart, n);
          break;
        }
        if (this.mode === 'object') {
          this.rec.append(chunk, recordStart, end + 1);
          this.mode = 'top';
        } else {
          this.rec.append(chunk, recordStart, end);
          this.mode = chunk[end] === COMMA ? 'array' : 'top';
          this.afterComma = this.mode === 'array';
        }
        this.emit(this.rec.take());
        i = end + 1;
        continue;
      }
      // Between records.
      const b = chunk[i]!;
      if (b === LF) this.line++;
      else if (b === SPACE || b === TAB || b === CR) {
        // whitespace
      } else if (this.mode === 'top') {
        if (b === LBRACE) {
          this.begin('object', i);
          recordStart = i;
          continue; // the record's loop reads the `{`
        } else if (b === LBRACKET) {
          this.mode = 'array';
          this.afterComma = false;
          this.arrayLine = this.line;
        } else {
          this.breakFraming(i, `a character that cannot start a JSON object or array appears between records at line ${count(this.line)}`);
          continue;
        }
      } else if (b === RBRACKET) {
        if (this.afterComma) this.emptyElement(i);
        this.mode = 'top';
      } else if (b === COMMA) {
        this.emptyElement(i);
        this.afterComma = true;
      } else {
        this.begin('element', i);
        this.afterComma = false;
        recordStart = i;
        continue; // the record's loop reads this byte as the element's first
      }
      i++;
    }
    this.pos += n;
  }

  /**
   * Runs through the record being cut out from `chunk[from]`: returns the
   * index of the byte that ends it (an object's closing brace; an element's
   * `,` or `]`), or -1 when the chunk ends first.
   */
  private scanRecord(chunk: Buffer, from: number): number {
    const element = this.mode === 'element';
    const n = chunk.length;
    // The state lives in locals while the loop runs (much faster than fields).
    let { depth, maxDepthSeen, inString, escaped, line } = this;
    let end = -1;
    for (let i = from; i < n; i++) {
      const b = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
        else if (b === LF) line++;
      } else if (b === QUOTE) inString = true;
      else if (b === LBRACE || b === LBRACKET) {
        if (++depth > maxDepthSeen) maxDepthSeen = depth;
      } else if (b === RBRACE || b === RBRACKET) {
        if (depth > 0) {
          if (--depth === 0 && !element) {
            end = i;
            break;
          }
        } else if (b === RBRACKET) {
          end = i; // the top-level array closes
          break;
        }
        // A stray `}` at element level stays in the element; JSON.parse rejects it.
      } else if (b === COMMA) {
        if (element && depth === 0) {
          end = i;
          break;
        }
      } else if (b === LF) line++;
    }
    this.depth = depth;
    this.maxDepthSeen = maxDepthSeen;
    this.inString = inString;
    this.escaped = escaped;
    this.line = line;
    return end;
  }

  finish(truncated: boolean): void {
    if (this.mode === 'rest') {
      this.rejectRest();
      return;
    }
    if (this.mode === 'object' || this.mode === 'element') {
      const r = this.rec.take();
      if (truncated) {
        rejectRecord(this.out, r, PARTIAL_REASON);
        return;
      }
      if (this.mode === 'element' && this.depth === 0 && !this.inString) {
        this.emit(r); // a complete element; only the array's `]` is missing
      } else {
        this.setFileError(
          `the file ends inside a record that starts at line ${count(r.line)} (unbalanced brackets or an unclosed string); the rest of the file is quarantined as one record`,
        );
        rejectRecord(this.out, r, this.fileError!);
        return;
      }
    }
    if (!truncated && (this.mode === 'array' || this.mode === 'element')) {
      this.setFileError(`the file ends before the top-level array that starts at line ${count(this.arrayLine)} is closed`);
      this.out.reject({ line: this.line, offset: this.pos, field: null, reason: this.fileError!, head: EMPTY, size: 0 });
    }
  }

  private begin(mode: 'object' | 'element', i: number): void {
    this.mode = mode;
    this.depth = 0;
    this.maxDepthSeen = 0;
    this.inString = false;
    this.escaped = false;
    this.rec.begin(this.line, this.pos + i);
  }

  private emit(r: CutRecord): void {
    if (r.bytes === null) {
      rejectRecord(this.out, r, sizeReason('record', r.size, this.options.maxRecordBytes));
      return;
    }
    const bytes = trimEndSpace(r.bytes);
    const record: CutRecord = { line: r.line, offset: r.offset, size: bytes.length, bytes, head: bytes };
    const verdict = !isUtf8(bytes)
      ? notUtf8(bytes, 'record')
      : this.maxDepthSeen > this.options.maxDepth
        ? tooDeep(this.options)
        : checkJsonText(bytes.toString('utf8'), r.line, r.offset, this.options);
    if ('json' in verdict) this.out.accept(verdict.json);
    else rejectRecord(this.out, record, verdict.reason, verdict.field);
  }

  private emptyElement(i: number): void {
    this.out.reject({
      line: this.line,
      offset: this.pos + i,
      field: null,
      reason: 'empty array element (a comma with no value before it)',
      head: EMPTY,
      size: 0,
    });
  }

  private breakFraming(i: number, why: string): void {
    this.setFileError(`the JSON structure breaks: ${why}; the rest of the file is quarantined as one record`);
    this.mode = 'rest';
    this.rest.begin(this.line, this.pos + i);
  }

  private pushRest(chunk: Buffer, from: number): void {
    this.rest.append(chunk, from, chunk.length);
    this.pos += chunk.length;
    // Enough to fill the quarantine row and know it is cut: stop reading.
    if (this.rest.size > SAMPLE_BYTES) this.stopped = true;
  }

  private rejectRest(): void {
    rejectRecord(this.out, this.rest.take(), this.fileError!);
  }

  private setFileError(message: string): void {
    this.fileError ??= message;
  }
}

/** Options for csv-parse on records already cut out by `CsvScanner` (one per line of the batch). */
function csvParseOptions(delimiter: ',' | '\t') {
  return {
    delimiter,
    quote: '"',
    escape: '"',
    record_delimiter: '\n',
    relax_column_count: true,
    skip_empty_lines: false,
    bom: false,
    encoding: 'utf8',
  } as const;
}

/** A csv-parse failure for one record. */
interface CsvSyntax {
  readonly code: string;
  readonly column: number | null;
}

function csvSyntaxReason(e: CsvSyntax): string {
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'not valid CSV (a quoted field is not closed)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'not valid CSV (a closing quote is followed by something other than a delimiter or the end of the line)';
    case 'INVALID_OPENING_QUOTE':
      return 'not valid CSV (a quote appears inside an unquoted field; quote the whole field and double the inner quotes)';
    default:
      return `not valid CSV (${e.code})`;
  }
}

function toCsvSyntax(e: unknown): CsvSyntax {
  const err = e as { code?: unknown; column?: unknown };
  return {
    code: typeof err.code === 'string' ? err.code : 'CSV_UNKNOWN_ERROR',
    column: typeof err.column === 'number' ? err.column : null,
  };
}

/**
 * CSV/TSV. Records are cut out here (quotes open only at a field's start, `""`
 * inside quotes is a quote, a record ends at `\n` outside quotes — csv-parse's
 * rules for well-formed input), which gives exact lines, offsets and a size
 * cap. Records without any `"` are split at the delimiter (what csv-parse
 * would return, much faster); the others go to csv-parse in one batch per
 * chunk, and if a batch fails its records are parsed one by one so only the
 * broken ones are quarantined.
 */
class CsvScanner implements Scanner {
  line = 1;
  stopped = false;
  fileError: string | undefined;
  header: readonly string[] | undefined;
  private headerJson: readonly string[] = [];
  private pos = 0;
  private inQuote = false;
  private quotePending = false;
  private fieldStart = true;
  private quoteLine = 0;
  private readonly delimiter: number;
  private readonly delimiterChar: ',' | '\t';
  private readonly parseOptions: ReturnType<typeof csvParseOptions>;
  private readonly rec: RecordBuffer;
  private batch: CutRecord[] = [];

  constructor(
    private readonly options: ScanOptions,
    private readonly out: Outputs,
  ) {
    const delimiter = options.format === 'tsv' ? '\t' : ',';
    this.delimiter = delimiter.charCodeAt(0);
    this.delimiterChar = delimiter;
    this.parseOptions = csvParseOptions(delimiter);
    this.rec = new RecordBuffer(options.maxRecordBytes);
  }

  skip(n: number): void {
    this.pos += n;
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    const n = chunk.length;
    const delimiter = this.delimiter;
    // The state lives in locals while the loop runs (much faster than fields).
    let { inQuote, quotePending, fieldStart, line } = this;
    let start = 0;
    if (!this.rec.active) this.rec.begin(line, this.pos);
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      if (inQuote) {
        if (quotePending) {
          quotePending = false;
          if (b === QUOTE) continue; // "" inside quotes
          inQuote = false; // the quote closed; read b as unquoted
        } else {
          if (b === QUOTE) quotePending = true;
          else if (b === LF) line++;
          continue;
        }
      }
      if (b === LF) {
        this.rec.append(chunk, start, i > start && chunk[i - 1] === CR ? i - 1 : i);
        line++;
        this.batch.push(this.rec.take());
        start = i + 1;
        this.rec.begin(line, this.pos + start);
        fieldStart = true;
      } else if (b === delimiter) fieldStart = true;
      else if (b === QUOTE && fieldStart) {
        inQuote = true;
        fieldStart = false;
        this.quoteLine = line;
      } else fieldStart = false;
    }
    this.inQuote = inQuote;
    this.quotePending = quotePending;
    this.fieldStart = fieldStart;
    this.line = line;
    this.rec.append(chunk, start, n);
    this.pos += n;
    this.processBatch();
  }

  finish(truncated: boolean): void {
    if (this.stopped) return;
    const last = this.rec.active && this.rec.size > 0 ? this.rec.take() : undefined;
    const unclosed = this.inQuote && !this.quotePending;
    if (last !== undefined && !truncated && !unclosed) this.batch.push(last);
    this.processBatch();
    if (last === undefined || this.stopped) return;
    if (truncated) {
      if (last.bytes === null || withoutTrailingCr(last.bytes).length > 0) rejectRecord(this.out, last, PARTIAL_REASON);
    } else if (unclosed) {
      this.fileError ??= `the file ends inside a quoted field that starts at line ${count(this.quoteLine)}; everything from line ${count(last.line)} on is quarantined as one record`;
      rejectRecord(this.out, last, this.fileError);
    }
  }

  private processBatch(): void {
    const batch = this.batch;
    this.batch = [];
    const records: CutRecord[] = [];
    for (const r of batch) {
      if (r.bytes !== null && withoutTrailingCr(r.bytes).length === 0) continue; // blank line
      if (this.header === undefined) {
        if (!this.takeHeader(r)) return;
      } else records.push(r);
    }
    if (records.length === 0) return;
    // A record without any quote is split as csv-parse would split it; the others go through csv-parse.
    const texts: Buffer[] = [];
    const fields: (string[] | CsvSyntax)[] = [];
    const quoted: number[] = [];
    for (const r of records) {
      if (r.bytes === null) continue;
      const text = withoutTrailingCr(r.bytes);
      if (text.indexOf(QUOTE) === -1) fields.push(text.toString('utf8').split(this.delimiterChar));
      else {
        quoted.push(fields.length);
        fields.push([]);
      }
      texts.push(text);
    }
    const parsed = this.parseAll(quoted.map((k) => texts[k]!));
    quoted.forEach((k, i) => (fields[k] = parsed[i]!));
    let k = 0;
    for (const r of records) {
      if (r.bytes === null) rejectRecord(this.out, r, sizeReason('record', r.size, this.options.maxRecordBytes));
      else {
        this.checkRow(r, texts[k]!, fields[k]!);
        k++;
      }
    }
  }

  /** Fields of each record; a batch that fails or disagrees is redone record by record. */
  private parseAll(texts: readonly Buffer[]): (string[] | CsvSyntax)[] {
    if (texts.length === 0) return [];
    const joined: Buffer[] = [];
    for (const t of texts) joined.push(t, NEWLINE);
    try {
      const rows = parseCsv(Buffer.concat(joined), this.parseOptions);
      if (rows.length === texts.length) return rows;
    } catch {
      // fall through: find the broken records
    }
    return texts.map((t) => this.parseOne(t));
  }

  private parseOne(text: Buffer): string[] | CsvSyntax {
    try {
      const rows = parseCsv(text, this.parseOptions);
      return rows.length === 1 ? rows[0]! : { code: 'CSV_RECORD_SPLIT', column: null };
    } catch (e) {
      return toCsvSyntax(e);
    }
  }

  private takeHeader(r: CutRecord): boolean {
    const fail = (reason: string): false => {
      this.fileError = reason;
      rejectRecord(this.out, r, reason);
      this.stopped = true;
      return false;
    };
    if (r.bytes === null) return fail(sizeReason('the header', r.size, this.options.maxRecordBytes));
    const text = withoutTrailingCr(r.bytes);
    const fields = this.parseOne(text);
    if (!Array.isArray(fields)) return fail(`the header is ${csvSyntaxReason(fields)}`);
    if (!isUtf8(text)) return fail(`the header is not valid UTF-8 (first bad byte at offset ${count(firstInvalidUtf8(text))})`);
    if (fields.length > this.options.maxColumns) {
      return fail(`the header has ${count(fields.length)} columns; the limit is ${count(this.options.maxColumns)}`);
    }
    const seen = new Map<string, number>();
    for (const [i, name] of fields.entries()) {
      if (name.trim() === '') return fail(`column ${count(i + 1)} of the header has no name`);
      if (name.startsWith('_ade_')) return fail(`the header's column ${JSON.stringify(name)} starts with _ade_, which is reserved for ade`);
      const before = seen.get(name);
      if (before !== undefined) return fail(`the header names ${JSON.stringify(name)} twice (columns ${count(before + 1)} and ${count(i + 1)})`);
      seen.set(name, i);
    }
    this.header = fields;
    this.headerJson = fields.map((f) => JSON.stringify(f));
    return true;
  }

  private checkRow(r: CutRecord, text: Buffer, fields: string[] | CsvSyntax): void {
    const header = this.header!;
    if (!Array.isArray(fields)) {
      rejectRecord(this.out, r, csvSyntaxReason(fields), fields.column === null ? null : (header[fields.column] ?? null));
      return;
    }
    if (fields.length !== header.length) {
      rejectRecord(this.out, r, `row has ${plural(fields.length, 'field')}; the header has ${count(header.length)}`);
      return;
    }
    if (!isUtf8(text)) {
      const column = fields.findIndex((f) => f.includes('\uFFFD'));
      const reason = `not valid UTF-8 (first bad byte at offset ${count(firstInvalidUtf8(text))} of the record)`;
      rejectRecord(this.out, r, reason, column === -1 ? null : header[column]!);
      return;
    }
    let json = adePrefix(r.line, r.offset);
    for (let i = 0; i < fields.length; i++) {
      const v = fields[i]!;
      json += ',' + this.headerJson[i]! + ':' + (v === '' ? 'null' : JSON.stringify(v));
    }
    this.out.accept(json + '}');
  }
}

const NEWLINE = Buffer.from('\n');

function createScanner(options: ScanOptions, out: Outputs): Scanner {
  switch (options.format) {
    case 'ndjson':
      return new NdjsonScanner(options, out);
    case 'json':
      return new JsonScanner(options, out);
    case 'csv':
    case 'tsv':
      return new CsvScanner(options, out);
  }
}

// ---------------------------------------------------------------- decompression

/** The decompressor gave up; what it decoded before is kept. */
class DecodeError extends Error {
  constructor(
    readonly codec: 'gzip' | 'zstd',
    cause: unknown,
    /** Offset in the compressed file of the input chunk being decoded when it failed; undefined: at the end. */
    readonly chunkStart?: number,
  ) {
    super(`${codec} decompression failed: ${messageOf(cause)}`, { cause });
  }

  /** The decoder's own words (zlib's and fzstd's messages never quote data). */
  get detail(): string {
    return messageOf(this.cause).slice(0, 100);
  }
}

function takeAll(out: Buffer[]): Buffer {
  const b = concat(out);
  out.length = 0;
  return b;
}

/**
 * gzip through node:zlib. zlib drops the output of the internal step that
 * fails (up to 16 KiB decoded just before a corrupt byte or trailing
 * garbage), so after a failure in mid-stream the file is decoded a second
 * time, feeding the failing input chunk one byte at a time, and what the
 * first pass lost is delivered. A truncated stream fails only at the end and
 * loses nothing, so it needs no second pass.
 */
async function* gunzipChunks(options: ScanOptions): AsyncGenerator<Buffer> {
  let delivered = 0;
  try {
    for await (const chunk of gunzipPass(fileChunks(options), Infinity)) {
      delivered += chunk.length;
      yield chunk;
    }
    return;
  } catch (e) {
    if (!(e instanceof DecodeError) || e.chunkStart === undefined) throw e;
    let skip = delivered;
    try {
      for await (const chunk of gunzipPass(fileChunks(options), e.chunkStart)) {
        if (skip >= chunk.length) {
          skip -= chunk.length;
          continue;
        }
        yield chunk.subarray(skip);
        skip = 0;
      }
    } catch (again) {
      if (!(again instanceof DecodeError)) throw again;
    }
    throw e;
  }
}

/** One pass of gzip decoding; input from offset `slowFrom` on is written a byte at a time. */
async function* gunzipPass(source: AsyncIterable<Buffer>, slowFrom: number): AsyncGenerator<Buffer> {
  const gz = createGunzip();
  const out: Buffer[] = [];
  let failure: Error | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const settle = (start: (done: () => void) => void) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      start(resolve);
    });
  const write = (piece: Buffer) => settle((done) => gz.write(piece, () => done()));
  gz.on('data', (c: Buffer) => out.push(c));
  gz.on('error', (e) => {
    failure ??= e;
    wake?.();
  });
  gz.on('end', () => {
    ended = true;
    wake?.();
  });
  gz.on('close', () => wake?.());
  try {
    let offset = 0;
    for await (const chunk of source) {
      const chunkStart = offset;
      offset += chunk.length;
      if (offset <= slowFrom) {
        if (!ended && failure === undefined) await write(chunk);
      } else {
        const fast = Math.max(0, slowFrom - chunkStart);
        if (fast > 0 && !ended && failure === undefined) await write(chunk.subarray(0, fast));
        for (let i = fast; i < chunk.length && !ended && failure === undefined; i++) await write(chunk.subarray(i, i + 1));
      }
      if (out.length > 0) yield takeAll(out);
      if (failure !== undefined) throw new DecodeError('gzip', failure, chunkStart);
    }
    if (!ended && failure === undefined) {
      await settle((done) => {
        gz.end();
        if (ended) done();
      });
    }
    if (out.length > 0) yield takeAll(out);
    if (failure !== undefined) throw new DecodeError('gzip', failure);
  } finally {
    gz.destroy();
  }
}

/** zstd through fzstd's streaming decoder (Node 20 has none). */
async function* unzstdChunks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  const decoder = new Decompress((data) => {
    if (data.length > 0) out.push(Buffer.from(data)); // copy: the decoder may reuse its buffers
  });
  const feed = (chunk: Uint8Array, final: boolean): unknown => {
    try {
      decoder.push(chunk, final);
      return undefined;
    } catch (e) {
      return e ?? new Error('invalid zstd data');
    }
  };
  for await (const chunk of source) {
    const failure = feed(chunk, false);
    if (out.length > 0) yield takeAll(out);
    if (failure !== undefined) throw new DecodeError('zstd', failure);
  }
  const failure = feed(EMPTY, true);
  if (out.length > 0) yield takeAll(out);
  if (failure !== undefined) throw new DecodeError('zstd', failure);
}

/** The raw file's chunks; read errors become `ingest.read_failed`. */
async function* fileChunks(options: ScanOptions): AsyncGenerator<Buffer> {
  const stream = createReadStream(options.path, {
    highWaterMark: 64 * KIB,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new AdeError('ingest.read_failed', `could not read ${options.path}: ${messageOf(e)}`, {
      hint: 'check that the file exists and is readable',
      details: { path: options.path },
      cause: e,
    });
  } finally {
    stream.destroy();
  }
}

function decodedChunks(options: ScanOptions): AsyncGenerator<Buffer> {
  switch (options.compression) {
    case 'none':
      return fileChunks(options);
    case 'gzip':
      return gunzipChunks(options);
    case 'zstd':
      return unzstdChunks(fileChunks(options));
  }
}

// ---------------------------------------------------------------- scanFile

const FORMATS: readonly string[] = ['csv', 'tsv', 'ndjson', 'json'];
const COMPRESSIONS: readonly string[] = ['none', 'gzip', 'zstd'];

function validate(options: ScanOptions): void {
  const problems: string[] = [];
  if (!FORMATS.includes(options.format)) problems.push(`format must be one of ${FORMATS.join(', ')}`);
  if (!COMPRESSIONS.includes(options.compression)) problems.push(`compression must be one of ${COMPRESSIONS.join(', ')}`);
  for (const key of ['maxRecordBytes', 'maxDepth', 'maxColumns'] as const) {
    if (!Number.isSafeInteger(options[key]) || options[key] < 1) problems.push(`${key} must be a positive integer`);
  }
  if (problems.length > 0) {
    throw new ValidationError(`invalid scan options: ${problems.join('; ')}`, {
      code: 'ingest.scan_options',
      details: { path: options.path },
    });
  }
}

/**
 * Streams one input file, splits it into records, checks each and writes
 * good ones to `goodOut` (NDJSON with `_ade_line`/`_ade_offset` first) and bad
 * ones to `badOut`. A broken file (truncated compression, unusable header,
 * broken JSON structure) does not throw: what was readable is kept and
 * `fileError` says what went wrong. Throws only for unreadable input,
 * unwritable outputs, invalid options, or an abort.
 *
 * @example
 * const r = await scanFile({ path: 'events.ndjson.gz', format: 'ndjson', compression: 'gzip',
 *   goodOut: 'stage/good.ndjson', badOut: 'stage/bad.ndjson',
 *   maxRecordBytes: 16 * 1024 * 1024, maxDepth: 64, maxColumns: 4096 });
 * console.log(`${r.good} good, ${r.bad} quarantined`, r.fileError ?? '');
 */
export async function scanFile(options: ScanOptions): Promise<ScanResult> {
  validate(options);
  const { signal } = options;
  signal?.throwIfAborted();
  const out = new Outputs(new LineSink(options.goodOut), new LineSink(options.badOut));
  const scanner = createScanner(options, out);
  let bytes = 0;
  let decodeError: string | undefined;
  /** The file's first bytes while a BOM may still be forming; null once decided. */
  let start: Buffer | null = EMPTY;
  const feed = (chunk: Buffer, atEnd: boolean): void => {
    if (start !== null) {
      chunk = start.length === 0 ? chunk : Buffer.concat([start, chunk]);
      if (chunk.length < 3 && !atEnd) {
        start = chunk;
        return;
      }
      start = null;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        scanner.skip(3);
        chunk = chunk.subarray(3);
      }
    }
    if (chunk.length > 0) scanner.push(chunk);
  };
  try {
    try {
      for await (const chunk of decodedChunks(options)) {
        bytes += chunk.length;
        feed(chunk, false);
        await out.flush();
        signal?.throwIfAborted();
        if (scanner.stopped) break;
      }
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      decodeError = `the ${e.codec} stream is truncated or corrupt after ${count(bytes)} decompressed bytes (${e.detail})`;
    }
    if (start !== null) feed(EMPTY, true);
    scanner.finish(decodeError !== undefined);
    if (decodeError !== undefined) {
      out.reject({ line: scanner.line, offset: bytes, field: null, reason: decodeError, head: EMPTY, size: 0 });
    }
    await out.close();
  } catch (e) {
    out.destroy();
    if (signal?.aborted) throw signal.reason;
    throw e;
  }
  const fileError = scanner.fileError ?? decodeError;
  return {
    records: out.good + out.bad,
    good: out.good,
    bad: out.bad,
    bytes,
    ...(scanner.header !== undefined ? { header: scanner.header } : {}),
    ...(fileError !== undefined ? { fileError } : {}),
  };
}

/**
 * The durable buffer behind the HTTP event collector: a request is answered
 * only after its events are on disk here; a flusher later reads sealed
 * segments, commits them through the ingest path and removes them.
 *
 * ```ts
 * const buf = await DurableBuffer.open({ dir: '/var/lib/ade/collector', onDamage: alert });
 * await buf.append('track', [Buffer.from(JSON.stringify(event))]); // on disk now: answer 200
 * // flusher, on its own policy (size, interval):
 * await buf.seal('track');
 * for (const seg of await buf.sealed('track')) {
 *   for await (const payload of buf.read(seg)) batch.push(payload);
 *   await commitToLake(batch);   // idempotent on seg.stream + seg.name
 *   await buf.remove(seg);       // only after the commit
 * }
 * ```
 *
 * ## On disk
 *
 * ```
 * <dir>/<stream>/<seq>.seg                 segments, seq = 20 decimal digits
 * <dir>/<stream>/quarantine/<seq>-<offset>.bad   damaged byte ranges found by recovery or read
 * ```
 *
 * A segment is a sequence of records, each a 16-byte header and the payload:
 *
 * | bytes | field                                             |
 * |-------|---------------------------------------------------|
 * | 0     | magic `0xF7` (a byte that never occurs in UTF-8)  |
 * | 1     | format version, `1`                               |
 * | 2     | flags, `0` (reserved)                             |
 * | 3     | reserved, `0`                                     |
 * | 4–7   | payload length, u32 little-endian                 |
 * | 8–11  | CRC-32C of the payload, u32 LE                    |
 * | 12–15 | CRC-32C of header bytes 0–11, u32 LE              |
 *
 * The header CRC (beyond magic/version/flags/length/payload CRC) makes a
 * corrupted length detectable on its own and lets recovery re-synchronise
 * cheaply: a candidate record is accepted only if magic, header CRC and payload
 * CRC all match. Payloads are opaque bytes (one JSON event, an NDJSON batch…).
 *
 * Sequence numbers are `max(last + 1, µs since the epoch)`, so a name is never
 * reused even after every segment was removed and the process restarted — a
 * flusher can make its lake commit idempotent on `(stream, name)`.
 *
 * ## Writing (group commit)
 *
 * Each stream has one open segment. `append` encodes its payloads, reserves
 * budget and queues them; one writer per stream takes everything queued, writes
 * it with one positional writev and one `fdatasync` (or one writev to a file
 * opened with O_DSYNC, where there is one), then resolves every append
 * in the batch. While that fsync runs, new appends queue up and go into the next
 * batch — at most one fsync per stream is ever in flight. Payloads of one
 * `append` are contiguous and appends land in call order. A batch that would
 * take a non-empty segment past `segmentBytes` starts a new segment first;
 * creating (or deleting) a segment fsyncs its directory.
 *
 * A failed write or fsync rejects the whole batch (nothing in it was
 * acknowledged), cuts the segment back to its last good length and seals it;
 * the next batch starts a new segment.
 *
 * ## Recovery (`open`)
 *
 * Every segment is scanned and the stream's newest segment (the one open at the
 * crash) is sealed, so nothing is appended to a recovered file.
 * - A torn tail — an incomplete header or payload, or a bad CRC, with no valid
 *   record after it — in a stream's newest segment is a write that was never
 *   acknowledged: it is truncated away silently.
 * - Any other damage (a bad record followed by valid ones, or a bad tail of an
 *   older, fully synced segment) is never dropped silently: the range is
 *   copied to `quarantine/<seq>-<offset>.bad` and fsynced, reported through
 *   `onDamage`, and the segment is rewritten (temp file, fsync, rename) without
 *   it. Reading resumes at the next offset where magic, header CRC and payload
 *   CRC all match.
 * - Segments left empty are deleted; leftover `*.tmp` files from an interrupted
 *   rewrite are deleted (the original is intact until the rename).
 *
 * `read` validates every CRC again; damage that appeared after `open` is
 * handled the same way (quarantined, reported, skipped). Scanning and reading
 * give the event loop a turn every MiB, so a flush of a large segment does
 * not hold up the appends (and HTTP requests) of the same process.
 *
 * ## Budget
 *
 * `maxBytes` bounds the bytes of all segments not yet removed plus appends
 * queued but not yet written. An append that does not fit throws
 * {@link BufferFullError} before anything is written; `remove` frees budget.
 */
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AdeError, AsyncMutex, NAME_PATTERN, systemClock, ValidationError, type Clock } from '../kernel/index.js';

/** First byte of every record; `0xF7` never occurs in UTF-8 text, so JSON payloads cannot imitate it. */
export const RECORD_MAGIC = 0xf7;
/** The record format version written by this module. */
export const RECORD_VERSION = 1;
/** Size of a record header in bytes. */
export const RECORD_HEADER_BYTES = 16;

const MiB = 1024 * 1024;
/** Bytes of a segment checked (or handed out by `read`) between turns of the event loop: no whole-segment pass holds up the requests the process is answering. */
const SLICE_BYTES = MiB;
const MAX_U32 = 0xffff_ffff;
const SEGMENT_FILE = /^(\d{20})\.seg$/;

export interface DurableBufferOptions {
  /** Directory holding the buffer (created if missing); one subdirectory per stream. */
  readonly dir: string;
  /** A batch that would take a non-empty open segment past this size starts a new segment. */
  readonly segmentBytes?: number;
  /** Budget: bytes of all segments not yet removed plus queued appends; beyond it `append` throws {@link BufferFullError}. */
  readonly maxBytes?: number;
  /** Largest single payload `append` accepts (at most 4 GiB − 1). */
  readonly maxPayloadBytes?: number;
  /** The wait {@link BufferFullError} suggests (becomes the HTTP Retry-After). */
  readonly retryAfterSeconds?: number;
  /** Called once per damaged byte range, after it was copied to quarantine; must not throw. */
  readonly onDamage?: (info: DamageInfo) => void;
  /** Source of time for segment sequence numbers. */
  readonly clock?: Clock;
}

export const DURABLE_BUFFER_DEFAULTS = {
  segmentBytes: 64 * MiB,
  maxBytes: 1024 * MiB,
  maxPayloadBytes: 16 * MiB,
  retryAfterSeconds: 5,
} as const satisfies Partial<DurableBufferOptions>;

/** Why a byte range was quarantined. */
export type DamageReason =
  | 'bad_magic' // no record header where one must start
  | 'bad_header' // header CRC mismatch (e.g. a corrupted length) or non-zero reserved bits
  | 'truncated_header' // fewer than 16 bytes left
  | 'truncated_payload' // the length runs past the end of the segment
  | 'crc_mismatch'; // payload CRC mismatch

/** A damaged byte range, reported through `onDamage`. */
export interface DamageInfo {
  readonly stream: string;
  /** Segment file name, `<seq>.seg`. */
  readonly segment: string;
  /** Byte offset of the range in the segment as it was found. */
  readonly offset: number;
  readonly length: number;
  readonly reason: DamageReason;
  /** Where the damaged bytes were copied. */
  readonly quarantinePath: string;
}

/** A sealed segment, ready to be flushed. */
export interface SegmentInfo {
  readonly stream: string;
  /** File name, `<seq 20 digits>.seg`; never reused within a stream. */
  readonly name: string;
  readonly seq: number;
  readonly path: string;
  /** File size (headers included); what `remove` gives back to the budget. */
  readonly bytes: number;
  /** Number of payloads. */
  readonly records: number;
}

/** Identifies a segment for `read` and `remove`. */
export type SegmentRef = Pick<SegmentInfo, 'stream' | 'name'>;

export interface BufferStats {
  /** Streams found on disk at `open` or appended to since. */
  readonly streams: number;
  /** Bytes in segments not yet removed (sealed and open). */
  readonly pendingBytes: number;
  /** Bytes accepted by `append` but not yet written. */
  readonly queuedBytes: number;
  /** Segments not yet removed, the open ones included. */
  readonly segments: number;
  readonly sealedSegments: number;
  /** Synchronous writes to segment files since `open` (fdatasync, or an O_DSYNC write) — one per group commit. */
  readonly fsyncs: number;
  /** Directory fsyncs since `open` (segment created or deleted, quarantine written). */
  readonly dirFsyncs: number;
  /** `append` calls acknowledged since `open`. */
  readonly appends: number;
  /** Payloads acknowledged since `open`. */
  readonly records: number;
}

/** The buffer is over its disk budget; nothing was written. Retry after `retryAfterSeconds` (HTTP 429). */
export class BufferFullError extends AdeError {
  readonly retryAfterSeconds: number;

  constructor(details: { stream: string; requestedBytes: number; pendingBytes: number; maxBytes: number; retryAfterSeconds: number }) {
    super(
      'collector.buffer_full',
      `the event buffer is full (${details.pendingBytes} of ${details.maxBytes} bytes waiting to be flushed); retry in ${details.retryAfterSeconds} s`,
      {
        retryable: true,
        hint: 'retry later; if this persists, check that the flusher runs and removes committed segments, or raise maxBytes',
        details,
      },
    );
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** Validates a stream name (the same rule as table names) and returns it. */
export function validateStreamName(stream: string): string {
  if (typeof stream !== 'string' || !NAME_PATTERN.test(stream)) {
    throw new ValidationError(`invalid stream name ${JSON.stringify(stream)}`, {
      code: 'validation.name',
      hint: 'stream names start with a lower-case letter and use only a-z, 0-9 and _ (at most 63 characters)',
      details: { kind: 'stream', name: stream },
    });
  }
  return stream;
}

// ---------------------------------------------------------------------------
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-16: table k
// gives the CRC of a byte followed by k zero bytes, so 16 bytes take 16 lookups
// and one step instead of 16 dependent steps (~3× faster than a byte at a time).

const CRC_TABLES = (() => {
  const t = new Int32Array(16 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  for (let k = 1; k < 16; k++) {
    for (let i = 0; i < 256; i++) {
      const p = t[(k - 1) * 256 + i]!;
      t[k * 256 + i] = (p >>> 8) ^ t[p & 0xff]!;
    }
  }
  return t;
})();

/** CRC-32C of `data[start, end)`. `crc32c(Buffer.from('123456789')) === 0xe3069283`. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  const t = CRC_TABLES;
  let c = ~0;
  let i = start;
  for (; i + 16 <= end; i += 16) {
    c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    c =
      t[3840 + (c & 0xff)]! ^
      t[3584 + ((c >>> 8) & 0xff)]! ^
      t[3328 + ((c >>> 16) & 0xff)]! ^
      t[3072 + (c >>> 24)]! ^
      t[2816 + data[i + 4]!]! ^
      t[2560 + data[i + 5]!]! ^
      t[2304 + data[i + 6]!]! ^
      t[2048 + data[i + 7]!]! ^
      t[1792 + data[i + 8]!]! ^
      t[1536 + data[i + 9]!]! ^
      t[1280 + data[i + 10]!]! ^
      t[1024 + data[i + 11]!]! ^
      t[768 + data[i + 12]!]! ^
      t[512 + data[i + 13]!]! ^
      t[256 + data[i + 14]!]! ^
      t[data[i + 15]!]!;
  }
  for (; i < end; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// ---------------------------------------------------------------------------
// Record encoding and scanning (pure).

/** A payload: bytes, or a string stored as its UTF-8 bytes (encoded straight into the record, no copy in between). */
export type Payload = Uint8Array | string;

/** Encodes payloads (of the given byte lengths) as consecutive records into one buffer of `totalBytes`. */
function encodeRecords(payloads: readonly Payload[], lengths: readonly number[], totalBytes: number): Buffer {
  const out = Buffer.allocUnsafe(totalBytes);
  let pos = 0;
  for (const [i, p] of payloads.entries()) {
    const length = lengths[i]!;
    const start = pos + RECORD_HEADER_BYTES;
    if (typeof p === 'string') out.write(p, start, length, 'utf8');
    else out.set(p, start);
    out[pos] = RECORD_MAGIC;
    out[pos + 1] = RECORD_VERSION;
    out[pos + 2] = 0;
    out[pos + 3] = 0;
    out.writeUInt32LE(length, pos + 4);
    out.writeUInt32LE(crc32c(out, start, start + length), pos + 8);
    out.writeUInt32LE(crc32c(out, pos, pos + 12), pos + 12);
    pos = start + length;
  }
  return out;
}

type RecordCheck = { ok: true; length: number } | { ok: false; reason: DamageReason | 'unsupported_version' };

/** Whether a valid record starts at `pos` of `b`. */
function checkRecord(b: Buffer, pos: number): RecordCheck {
  const left = b.length - pos;
  if (b[pos] !== RECORD_MAGIC) return { ok: false, reason: 'bad_magic' };
  if (left < RECORD_HEADER_BYTES) return { ok: false, reason: 'truncated_header' };
  if (b.readUInt32LE(pos + 12) !== crc32c(b, pos, pos + 12)) return { ok: false, reason: 'bad_header' };
  if (b[pos + 1] !== RECORD_VERSION) return { ok: false, reason: 'unsupported_version' };
  if (b[pos + 2] !== 0 || b[pos + 3] !== 0) return { ok: false, reason: 'bad_header' };
  const length = b.readUInt32LE(pos + 4);
  if (length > left - RECORD_HEADER_BYTES) return { ok: false, reason: 'truncated_payload' };
  const start = pos + RECORD_HEADER_BYTES;
  if (b.readUInt32LE(pos + 8) !== crc32c(b, start, start + length)) return { ok: false, reason: 'crc_mismatch' };
  return { ok: true, length };
}

/** The first offset ≥ `from` where a valid record starts, or -1. */
function nextValidRecord(b: Buffer, from: number): number {
  for (let q = b.indexOf(RECORD_MAGIC, from); q !== -1; q = b.indexOf(RECORD_MAGIC, q + 1)) {
    if (checkRecord(b, q).ok) return q;
  }
  return -1;
}

interface Range {
  readonly offset: number;
  readonly length: number;
}
interface DamagedRange extends Range {
  readonly reason: DamageReason;
}
interface ScanResult {
  /** Valid records, `offset` of the header, `length` of the payload. */
  readonly records: readonly Range[];
  /** Bad ranges each followed by a valid record. */
  readonly damage: readonly DamagedRange[];
  /** A bad range running to the end of the segment. */
  readonly tail: DamagedRange | undefined;
}

/** Splits a segment into valid records, damaged ranges and a bad tail, yielding to the event loop every {@link SLICE_BYTES}. */
async function scanSegment(b: Buffer, where: string): Promise<ScanResult> {
  const records: Range[] = [];
  const damage: DamagedRange[] = [];
  let pos = 0;
  let sliceEnd = SLICE_BYTES;
  while (pos < b.length) {
    if (pos >= sliceEnd) {
      await nextTurn();
      sliceEnd = pos + SLICE_BYTES;
    }
    const r = checkRecord(b, pos);
    if (r.ok) {
      records.push({ offset: pos, length: r.length });
      pos += RECORD_HEADER_BYTES + r.length;
      continue;
    }
    if (r.reason === 'unsupported_version') {
      throw new AdeError('collector.unsupported_format', `${where} has a record of format version ${b[pos + 1]} at offset ${pos}; this ade reads version ${RECORD_VERSION}`, {
        hint: 'open the buffer with the ade version that wrote it and flush it first',
        details: { segment: where, offset: pos },
      });
    }
    const next = nextValidRecord(b, pos + 1);
    if (next === -1) return { records, damage, tail: { offset: pos, length: b.length - pos, reason: r.reason } };
    damage.push({ offset: pos, length: next - pos, reason: r.reason });
    pos = next;
  }
  return { records, damage, tail: undefined };
}

// ---------------------------------------------------------------------------
// File helpers.

async function writeFully(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`short write at offset ${position + done}`);
    done += bytesWritten;
  }
}

/** Writes `parts` back to back from `position` with one writev (no concatenated copy); a short write (rare on a regular file) is finished with plain writes. */
async function writevFully(fh: FileHandle, parts: readonly Buffer[], position: number): Promise<void> {
  if (parts.length === 1) return writeFully(fh, parts[0]!, position);
  let { bytesWritten: done } = await fh.writev(parts, position);
  let at = position;
  for (const part of parts) {
    if (done >= part.length) {
      done -= part.length;
    } else {
      await writeFully(fh, part.subarray(done), at + done);
      done = 0;
    }
    at += part.length;
  }
}

function isErrno(e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === code;
}

/**
 * New segments are opened with O_DSYNC where there is one: each batch's write
 * returns only once it is on disk (as write + fdatasync), one trip to the
 * thread pool instead of two — under load, each trip waits for a thread to be
 * scheduled, and the requests of the batch wait with it.
 */
const SEGMENT_OPEN_FLAGS = fsConstants.O_DSYNC === undefined ? 'wx' : fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_DSYNC;

const segmentName = (seq: number) => `${String(seq).padStart(20, '0')}.seg`;

// ---------------------------------------------------------------------------
// The buffer.

interface Pending {
  readonly data: Buffer;
  readonly records: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

interface OpenSegment {
  readonly fh: FileHandle;
  /** Opened with O_DSYNC: a write returns once its bytes are on disk, no fdatasync after it. */
  readonly dsync: boolean;
  readonly seq: number;
  readonly name: string;
  readonly path: string;
  /** Bytes written and synced. */
  bytes: number;
  records: number;
}

interface StreamState {
  readonly name: string;
  readonly dir: string;
  dirReady: boolean;
  /** Oldest first. */
  sealed: SegmentInfo[];
  open: OpenSegment | undefined;
  lastSeq: number;
  readonly queue: Pending[];
  draining: boolean;
  drained: Promise<void>;
  /** Serialises batches, seals, repairs and close on this stream's files. */
  readonly mutex: AsyncMutex;
}

type Config = Required<Omit<DurableBufferOptions, 'onDamage'>> & Pick<DurableBufferOptions, 'onDamage'>;

/** A crash-safe, group-committing append buffer of opaque payloads, one log per stream. See the module comment. */
export class DurableBuffer {
  readonly #cfg: Config;
  readonly #streams = new Map<string, StreamState>();
  #pendingBytes = 0;
  #queuedBytes = 0;
  #fsyncs = 0;
  #dirFsyncs = 0;
  #appends = 0;
  #records = 0;
  #closed: Promise<void> | undefined;

  private constructor(cfg: Config) {
    this.#cfg = cfg;
  }

  /** Opens (creating if needed) the buffer in `options.dir`, recovering every segment; see the module comment. */
  static async open(options: DurableBufferOptions): Promise<DurableBuffer> {
    const cfg: Config = { ...DURABLE_BUFFER_DEFAULTS, clock: systemClock, ...stripUndefined(options), dir: options.dir };
    for (const field of ['segmentBytes', 'maxBytes', 'maxPayloadBytes', 'retryAfterSeconds'] as const) {
      const v = cfg[field];
      if (!Number.isSafeInteger(v) || v <= 0) {
        throw new ValidationError(`durable buffer option ${field} must be a positive integer, got ${String(v)}`, { code: 'config.invalid', details: { field } });
      }
    }
    if (cfg.maxPayloadBytes > MAX_U32) {
      throw new ValidationError(`durable buffer option maxPayloadBytes must be below 4 GiB`, { code: 'config.invalid', details: { field: 'maxPayloadBytes' } });
    }
    const buf = new DurableBuffer(cfg);
    await buf.#recover();
    return buf;
  }

  /**
   * Appends `payloads` to `stream` as consecutive records; resolves once they
   * are on disk (fdatasync). Concurrent appends share one write and one fsync.
   * A string payload is stored as its UTF-8 bytes.
   *
   * @throws {ValidationError} a bad stream name, a payload over `maxPayloadBytes`, or a request larger than the whole budget.
   * @throws {BufferFullError} the budget is used up; nothing was written.
   */
  async append(stream: string, payloads: readonly Payload[]): Promise<void> {
    validateStreamName(stream);
    this.#assertOpen();
    if (payloads.length === 0) return;
    let bytes = 0;
    const lengths = payloads.map((p) => (typeof p === 'string' ? Buffer.byteLength(p) : p.length));
    for (const length of lengths) {
      if (length > this.#cfg.maxPayloadBytes) {
        throw new ValidationError(`a payload of ${length} bytes is over the limit of ${this.#cfg.maxPayloadBytes}`, {
          code: 'collector.payload_too_large',
          hint: 'send smaller batches of events',
          details: { stream, bytes: length, maxPayloadBytes: this.#cfg.maxPayloadBytes },
        });
      }
      bytes += RECORD_HEADER_BYTES + length;
    }
    if (bytes > this.#cfg.maxBytes) {
      throw new ValidationError(`a request of ${bytes} bytes can never fit the buffer of ${this.#cfg.maxBytes} bytes`, {
        code: 'collector.request_too_large',
        hint: 'send smaller batches of events',
        details: { stream, bytes, maxBytes: this.#cfg.maxBytes },
      });
    }
    if (this.#pendingBytes + this.#queuedBytes + bytes > this.#cfg.maxBytes) {
      throw new BufferFullError({
        stream,
        requestedBytes: bytes,
        pendingBytes: this.#pendingBytes + this.#queuedBytes,
        maxBytes: this.#cfg.maxBytes,
        retryAfterSeconds: this.#cfg.retryAfterSeconds,
      });
    }
    const data = encodeRecords(payloads, lengths, bytes);
    const s = this.#stream(stream);
    this.#queuedBytes += bytes;
    return new Promise<void>((resolve, reject) => {
      s.queue.push({ data, records: payloads.length, resolve, reject });
      if (!s.draining) {
        s.draining = true;
        s.drained = this.#drain(s);
      }
    });
  }

  /** Seals `stream`'s open segment (if it holds anything) after the appends queued before this call; returns it. */
  async seal(stream: string): Promise<SegmentInfo | undefined> {
    validateStreamName(stream);
    const s = this.#streams.get(stream);
    if (!s) return undefined;
    return s.mutex.run(() => this.#sealOpen(s));
  }

  /** Sealed segments of `stream`, oldest first. */
  async sealed(stream: string): Promise<SegmentInfo[]> {
    validateStreamName(stream);
    return [...(this.#streams.get(stream)?.sealed ?? [])];
  }

  /** Names of streams found on disk at `open` or appended to since, sorted. */
  streams(): string[] {
    return [...this.#streams.keys()].sort();
  }

  /**
   * The payloads of a sealed segment, in order, each CRC-checked. Damage found
   * here (it appeared after `open`) is quarantined, reported and skipped.
   * Yielded buffers are views into the segment read into memory.
   */
  async *read(segment: SegmentRef): AsyncIterable<Buffer> {
    const { s, info } = this.#sealedSegment(segment);
    let b = await readFile(info.path);
    const scan = await scanSegment(b, `segment ${info.stream}/${info.name}`);
    let records = scan.records;
    if (scan.damage.length > 0 || scan.tail) {
      const repaired = await s.mutex.run(async () => {
        const current = this.#sealedSegment(segment).info;
        const fresh = await readFile(current.path);
        const freshScan = await scanSegment(fresh, `segment ${current.stream}/${current.name}`);
        const r = await this.#repair(s, current.name, current.path, fresh, freshScan, false);
        this.#replaceSealed(s, current, r.bytes, r.records);
        return { fresh, records: freshScan.records };
      });
      // Yield from the bytes as read (offsets of that scan), not from the rewritten file.
      b = repaired.fresh;
      records = repaired.records;
    }
    let slice = 0;
    for (const r of records) {
      // A for-await over a generator runs as microtasks: without a turn of the event loop now and then, a whole segment would go by in one.
      if (slice >= SLICE_BYTES) {
        await nextTurn();
        slice = 0;
      }
      slice += RECORD_HEADER_BYTES + r.length;
      yield b.subarray(r.offset + RECORD_HEADER_BYTES, r.offset + RECORD_HEADER_BYTES + r.length);
    }
  }

  /**
   * Deletes a sealed segment once its batch committed, giving its bytes back to
   * the budget. Removing an already removed segment does nothing.
   */
  async remove(segment: SegmentRef): Promise<void> {
    validateStreamName(segment.stream);
    const s = this.#streams.get(segment.stream);
    if (!s) return;
    if (s.open?.name === segment.name) throw segmentOpenError(segment);
    const info = s.sealed.find((x) => x.name === segment.name);
    if (!info) return;
    try {
      await unlink(info.path);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
    await this.#syncDir(s.dir);
    const i = s.sealed.findIndex((x) => x.name === segment.name);
    if (i !== -1) this.#pendingBytes -= s.sealed.splice(i, 1)[0]!.bytes;
  }

  stats(): BufferStats {
    let segments = 0;
    let sealedSegments = 0;
    for (const s of this.#streams.values()) {
      sealedSegments += s.sealed.length;
      segments += s.sealed.length + (s.open ? 1 : 0);
    }
    return {
      streams: this.#streams.size,
      pendingBytes: this.#pendingBytes,
      queuedBytes: this.#queuedBytes,
      segments,
      sealedSegments,
      fsyncs: this.#fsyncs,
      dirFsyncs: this.#dirFsyncs,
      appends: this.#appends,
      records: this.#records,
    };
  }

  /** Refuses new appends, waits for queued ones to be written and synced, and closes the files. Open segments are sealed by the next `open`. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const s of this.#streams.values()) await s.drained;
      for (const s of this.#streams.values()) {
        await s.mutex.run(async () => {
          const seg = s.open;
          if (!seg) return;
          await seg.fh.close();
          s.open = undefined;
          this.#addSealed(s, seg.seq, seg.name, seg.path, seg.bytes, seg.records, false);
        });
      }
    })();
    return this.#closed;
  }

  // -- writing ---------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) {
      throw new AdeError('collector.buffer_closed', 'the event buffer is closed', { retryable: true, hint: 'the server is shutting down; retry against another instance or later' });
    }
  }

  #stream(name: string): StreamState {
    let s = this.#streams.get(name);
    if (!s) {
      s = {
        name,
        dir: join(this.#cfg.dir, name),
        dirReady: false,
        sealed: [],
        open: undefined,
        lastSeq: 0,
        queue: [],
        draining: false,
        drained: Promise.resolve(),
        mutex: new AsyncMutex(),
      };
      this.#streams.set(name, s);
    }
    return s;
  }

  async #drain(s: StreamState): Promise<void> {
    try {
      while (s.queue.length > 0) await s.mutex.run(() => this.#writeBatch(s));
    } finally {
      s.draining = false;
    }
  }

  /** Writes everything queued (up to about one segment) with one writev and one fdatasync (or one O_DSYNC writev). Never throws: failures reject the batch. */
  async #writeBatch(s: StreamState): Promise<void> {
    let take = 0;
    let bytes = 0;
    while (take < s.queue.length && (take === 0 || bytes + s.queue[take]!.data.length <= this.#cfg.segmentBytes)) {
      bytes += s.queue[take]!.data.length;
      take++;
    }
    const batch = s.queue.splice(0, take);
    if (batch.length === 0) return;
    let seg: OpenSegment | undefined;
    try {
      if (s.open && s.open.bytes > 0 && s.open.bytes + bytes > this.#cfg.segmentBytes) await this.#sealOpen(s);
      seg = s.open ?? (await this.#createSegment(s));
      await writevFully(seg.fh, batch.map((p) => p.data), seg.bytes);
      if (!seg.dsync) await seg.fh.datasync();
      this.#fsyncs++;
      seg.bytes += bytes;
      const records = batch.reduce((n, p) => n + p.records, 0);
      seg.records += records;
      this.#pendingBytes += bytes;
      this.#queuedBytes -= bytes;
      this.#appends += batch.length;
      this.#records += records;
      for (const p of batch) p.resolve();
    } catch (e) {
      this.#queuedBytes -= bytes;
      if (seg && s.open === seg) await this.#abandonOpen(s);
      const err = new AdeError('collector.write_failed', `could not write events to stream ${s.name}: ${(e as Error).message}`, {
        retryable: true,
        hint: 'nothing in this request was stored; check the disk under the collector buffer and retry',
        details: { stream: s.name },
        cause: e,
      });
      for (const p of batch) p.reject(err);
    }
  }

  async #createSegment(s: StreamState): Promise<OpenSegment> {
    if (!s.dirReady) {
      await mkdir(s.dir, { recursive: true });
      await this.#syncDir(this.#cfg.dir);
      s.dirReady = true;
    }
    const seq = Math.max(s.lastSeq + 1, this.#cfg.clock.now().getTime() * 1000);
    const name = segmentName(seq);
    const path = join(s.dir, name);
    const fh = await open(path, SEGMENT_OPEN_FLAGS);
    try {
      await this.#syncDir(s.dir);
    } catch (e) {
      await fh.close();
      await unlink(path).catch(() => undefined);
      throw e;
    }
    s.lastSeq = seq;
    s.open = { fh, seq, name, path, bytes: 0, records: 0, dsync: SEGMENT_OPEN_FLAGS !== 'wx' };
    return s.open;
  }

  /** Closes the open segment and lists it as sealed; an empty one stays open. Callers hold the stream's mutex. */
  async #sealOpen(s: StreamState): Promise<SegmentInfo | undefined> {
    const seg = s.open;
    if (!seg || seg.bytes === 0) return undefined;
    s.open = undefined;
    await seg.fh.close();
    return this.#addSealed(s, seg.seq, seg.name, seg.path, seg.bytes, seg.records, false);
  }

  /** After a failed write: cut the segment back to its last synced length, seal it (or delete it if empty). */
  async #abandonOpen(s: StreamState): Promise<void> {
    const seg = s.open!;
    s.open = undefined;
    try {
      await seg.fh.truncate(seg.bytes);
      await seg.fh.datasync();
    } catch {
      // recovery and read() will treat leftover bytes as damage; they were never acknowledged
    }
    await seg.fh.close().catch(() => undefined);
    if (seg.bytes > 0) {
      this.#addSealed(s, seg.seq, seg.name, seg.path, seg.bytes, seg.records, false);
    } else {
      await unlink(seg.path).catch(() => undefined);
      await this.#syncDir(s.dir).catch(() => undefined);
    }
  }

  #addSealed(s: StreamState, seq: number, name: string, path: string, bytes: number, records: number, countBytes: boolean): SegmentInfo {
    const info: SegmentInfo = Object.freeze({ stream: s.name, name, seq, path, bytes, records });
    s.sealed.push(info);
    if (countBytes) this.#pendingBytes += bytes;
    return info;
  }

  #replaceSealed(s: StreamState, old: SegmentInfo, bytes: number, records: number): void {
    const i = s.sealed.indexOf(old);
    if (i === -1) return;
    this.#pendingBytes += bytes - old.bytes;
    if (bytes === 0) s.sealed.splice(i, 1);
    else s.sealed[i] = Object.freeze({ ...old, bytes, records });
  }

  #sealedSegment(segment: SegmentRef): { s: StreamState; info: SegmentInfo } {
    validateStreamName(segment.stream);
    const s = this.#streams.get(segment.stream);
    if (s?.open?.name === segment.name) throw segmentOpenError(segment);
    const info = s?.sealed.find((x) => x.name === segment.name);
    if (!s || !info) {
      throw new AdeError('collector.segment_not_found', `segment ${segment.stream}/${segment.name} does not exist`, {
        hint: 'it was removed already; list segments again with sealed()',
        details: { ...segment },
      });
    }
    return { s, info };
  }

  async #syncDir(path: string): Promise<void> {
    if (process.platform === 'win32') return;
    const fh = await open(path, 'r');
    try {
      await fh.sync();
      this.#dirFsyncs++;
    } finally {
      await fh.close();
    }
  }

  // -- recovery --------------------------------------------------------------

  async #recover(): Promise<void> {
    const root = this.#cfg.dir;
    const made = await mkdir(root, { recursive: true });
    if (made !== undefined) {
      for (let p = root; ; p = dirname(p)) {
        await this.#syncDir(dirname(p));
        if (p === made || dirname(p) === p) break;
      }
    }
    const entries = await readdir(root, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory() && NAME_PATTERN.test(e.name)) await this.#recoverStream(e.name);
    }
  }

  async #recoverStream(name: string): Promise<void> {
    const s = this.#stream(name);
    s.dirReady = true;
    const files = await readdir(s.dir);
    let removedTmp = false;
    for (const f of files) {
      if (/^\d{20}\.seg\.tmp$/.test(f)) {
        await unlink(join(s.dir, f));
        removedTmp = true;
      }
    }
    if (removedTmp) await this.#syncDir(s.dir);
    const segments = files
      .map((f) => SEGMENT_FILE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null && Number.isSafeInteger(Number(m[1])))
      .map((m) => ({ name: m[0], seq: Number(m[1]) }))
      .sort((a, b) => a.seq - b.seq);
    for (const [i, seg] of segments.entries()) {
      const path = join(s.dir, seg.name);
      s.lastSeq = Math.max(s.lastSeq, seg.seq);
      const b = await readFile(path);
      const scan = await scanSegment(b, `segment ${name}/${seg.name}`);
      const { bytes, records } = await this.#repair(s, seg.name, path, b, scan, i === segments.length - 1);
      if (bytes > 0) this.#addSealed(s, seg.seq, seg.name, path, bytes, records, true);
    }
  }

  /**
   * Makes a segment hold only valid records: quarantines and reports damaged
   * ranges (and the tail unless `tornTailExpected`), then truncates or
   * rewrites the file; deletes it if nothing is left.
   */
  async #repair(
    s: StreamState,
    name: string,
    path: string,
    b: Buffer,
    scan: ScanResult,
    tornTailExpected: boolean,
  ): Promise<{ bytes: number; records: number }> {
    const report = [...scan.damage, ...(scan.tail && !tornTailExpected ? [scan.tail] : [])];
    for (const d of report) await this.#quarantine(s, name, b, d);
    const records = scan.records.length;
    const bytes = scan.records.reduce((n, r) => n + RECORD_HEADER_BYTES + r.length, 0);
    if (bytes === 0) {
      await unlink(path);
      await this.#syncDir(s.dir);
    } else if (scan.damage.length > 0) {
      const tmp = `${path}.tmp`;
      const fh = await open(tmp, 'w');
      try {
        const parts = scan.records.map((r) => b.subarray(r.offset, r.offset + RECORD_HEADER_BYTES + r.length));
        await writeFully(fh, Buffer.concat(parts, bytes), 0);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      await this.#syncDir(s.dir);
    } else if (scan.tail) {
      const fh = await open(path, 'r+');
      try {
        await fh.truncate(bytes);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    }
    return { bytes, records };
  }

  /** Copies a damaged range to `quarantine/<seq>-<offset>.bad` (durably, never overwriting), then reports it. */
  async #quarantine(s: StreamState, segment: string, b: Buffer, d: DamagedRange): Promise<void> {
    const qdir = join(s.dir, 'quarantine');
    await mkdir(qdir, { recursive: true });
    const stem = `${segment.replace(/\.seg$/, '')}-${d.offset}`;
    let fh: FileHandle | undefined;
    let path = '';
    for (let n = 0; !fh; n++) {
      path = join(qdir, n === 0 ? `${stem}.bad` : `${stem}.${n}.bad`);
      try {
        fh = await open(path, 'wx');
      } catch (e) {
        if (!isErrno(e, 'EEXIST') || n >= 1000) throw e;
      }
    }
    try {
      await writeFully(fh, b.subarray(d.offset, d.offset + d.length), 0);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await this.#syncDir(qdir);
    await this.#syncDir(s.dir);
    this.#cfg.onDamage?.({ stream: s.name, segment, offset: d.offset, length: d.length, reason: d.reason, quarantinePath: path });
  }
}

/** The segment still takes appends, so it cannot be read or removed. */
function segmentOpenError(segment: SegmentRef): AdeError {
  return new AdeError('collector.segment_open', `segment ${segment.stream}/${segment.name} is still being written`, {
    hint: 'call seal(stream) first and flush only segments listed by sealed(stream)',
    details: { ...segment },
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

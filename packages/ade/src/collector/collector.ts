import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from '../ingest/index.js';
import type { SourceConfig } from '../ingest/index.js';
import { messageOf, ValidationError, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import type { Keyring } from '../privacy/index.js';
import { type BufferStats, DurableBuffer, type SegmentInfo } from './durable-buffer.js';

export interface CollectorConfig {
  /** Where the buffer's segments live (the project's `.ade/collector`). */
  readonly dir: string;
  readonly sources: readonly SourceConfig[];
  readonly baseDir: string;
  readonly keyring: Keyring;
  /** Flush a stream at least this often (Firehose's buffering interval). */
  readonly flushIntervalMs: number;
  /** …or as soon as this many bytes wait (Firehose's buffering size). */
  readonly flushBytes: number;
  /** Disk the buffer may hold before requests get 429. */
  readonly maxBytes: number;
  readonly onError?: (message: string) => void;
  /** Damage found in a segment (quarantined, never skipped silently). */
  readonly onDamage?: (message: string) => void;
}

const COLLECTOR: Principal = { name: 'collector', role: 'engineer' };

/**
 * Events in: appended to a durable buffer per source (200 only once they are
 * on disk), then flushed by size or interval through the ingestion and
 * privacy path into `clean.<source>`; a segment is deleted only after its
 * batch committed. A flush that dies half way is repeated: the same segment
 * makes the same file, which ingest recognises by content hash.
 */
export class Collector {
  readonly #buffer: DurableBuffer;
  readonly #lake: Lake;
  readonly #config: CollectorConfig;
  readonly #pending = new Map<string, { bytes: number; since: number }>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  /** Streams with a flush queued that has not started: asking again joins it (under load every append past `flushBytes` asks). */
  readonly #queued = new Set<string>();
  #events = 0;

  private constructor(buffer: DurableBuffer, lake: Lake, config: CollectorConfig) {
    this.#buffer = buffer;
    this.#lake = lake;
    this.#config = config;
  }

  static async open(lake: Lake, config: CollectorConfig): Promise<Collector> {
    const buffer = await DurableBuffer.open({
      dir: config.dir,
      maxBytes: config.maxBytes,
      onDamage: (d) => config.onDamage?.(`collector buffer: damaged bytes in ${d.stream}/${d.segment} at ${d.offset} (${d.length} bytes, ${d.reason}) were quarantined`),
    });
    const c = new Collector(buffer, lake, config);
    c.#timer = setInterval(() => c.flushDue(), Math.max(50, Math.min(1000, config.flushIntervalMs / 4)));
    c.#timer.unref();
    // What a previous run acknowledged but did not flush goes first.
    c.flush();
    return c;
  }

  /** The source events of `stream` go to (it must be declared in ade.yaml). */
  source(stream: string): SourceConfig {
    const s = this.#config.sources.find((x) => x.name === stream);
    if (!s) throw new ValidationError(`no source ${stream} in ade.yaml`, { code: 'validation.stream', hint: 'declare the source under sources: (format: ndjson, event_id: messageId, event_time: timestamp)' });
    if (s.format !== 'ndjson') throw new ValidationError(`source ${stream} is ${s.format}; the collector writes ndjson`, { code: 'validation.stream' });
    return s;
  }

  /** Appends events durably; resolves once they are on disk. BufferFullError past the disk budget. */
  append(stream: string, events: readonly object[]): Promise<void> {
    return this.appendJson(stream, events.map((e) => JSON.stringify(e)));
  }

  /**
   * {@link append} for events already serialized (each one JSON object, e.g.
   * `SerializedEvent.json`): not serialized again. The events of one call go
   * into the buffer as one record, NDJSON: one header, one CRC and one buffer
   * per request rather than per event (a damaged record quarantines the whole
   * request, which was acknowledged — or not — as one).
   */
  appendJson(stream: string, json: readonly string[]): Promise<void> {
    // Not an async function: nothing of the events but the payload stays reachable while it waits for the disk.
    try {
      this.source(stream);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (json.length === 0) return Promise.resolve();
    const events = json.length;
    const payload = `${json.join('\n')}\n`;
    const bytes = Buffer.byteLength(payload);
    return this.#buffer.append(stream, [payload]).then(() => {
      this.#events += events;
      const p = this.#pending.get(stream) ?? { bytes: 0, since: Date.now() };
      p.bytes += bytes;
      this.#pending.set(stream, p);
      if (p.bytes >= this.#config.flushBytes) this.flush(stream);
    });
  }

  /** Flushes streams whose interval passed. */
  flushDue(): void {
    const now = Date.now();
    for (const [stream, p] of this.#pending) if (now - p.since >= this.#config.flushIntervalMs) this.flush(stream);
  }

  /** Seals and flushes `stream` (default: every stream) after any flush in progress; the promise settles when done. */
  flush(stream?: string): Promise<void> {
    if (stream !== undefined) {
      if (this.#queued.has(stream)) return this.#flushing;
      this.#queued.add(stream);
    }
    this.#flushing = this.#flushing.then(async () => {
      if (stream !== undefined) this.#queued.delete(stream);
      const streams = stream ? [stream] : await this.#buffer.streams();
      for (const s of streams) {
        this.#pending.delete(s);
        await this.#buffer.seal(s);
        for (const seg of await this.#buffer.sealed(s)) {
          try {
            await this.#flushSegment(seg);
          } catch (e) {
            this.#config.onError?.(`flushing ${s}/${seg.name} failed (kept for the next flush): ${messageOf(e)}`);
            break;
          }
        }
      }
    });
    return this.#flushing;
  }

  async #flushSegment(seg: SegmentInfo): Promise<void> {
    const source = this.source(seg.stream);
    const chunks: Buffer[] = [];
    // The payloads are views into the segment read whole: written out as they are, not copied first.
    for await (const payload of this.#buffer.read(seg)) chunks.push(payload);
    const dir = await mkdtemp(join(tmpdir(), 'ade-collector-'));
    try {
      const file = join(dir, `${seg.stream}-${seg.name.replace(/\.seg$/, '')}.ndjson`);
      await writeChunks(file, chunks);
      await ingest(this.#lake, COLLECTOR, { source, paths: [file], baseDir: this.#config.baseDir, keyring: this.#config.keyring });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await this.#buffer.remove(seg);
  }

  /** The buffer's figures (a record holds the events of one append) and `events` appended since open. */
  stats(): BufferStats & { readonly events: number } {
    return { ...this.#buffer.stats(), events: this.#events };
  }

  /** Flushes everything and closes the buffer (graceful shutdown). */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.flush();
    await this.#buffer.close();
  }
}

/**
 * Writes `chunks` to a new file, 1,024 at a time: no copy of a whole segment
 * (tens of MB) in one synchronous step, which would hold up the requests the
 * server is answering meanwhile.
 */
async function writeChunks(file: string, chunks: readonly Buffer[]): Promise<void> {
  const fh = await open(file, 'w');
  try {
    for (let i = 0; i < chunks.length; i += 1024) {
      const group = chunks.slice(i, i + 1024);
      const want = group.reduce((n, b) => n + b.length, 0);
      const { bytesWritten } = await fh.writev(group);
      // A short write (rare on a regular file): the rest, until written (a failure fails the flush, repeated later).
      let rest = bytesWritten < want ? Buffer.concat(group).subarray(bytesWritten) : undefined;
      while (rest && rest.length > 0) {
        const { bytesWritten: n } = await fh.write(rest);
        if (n <= 0) throw new Error(`short write to ${file}`);
        rest = rest.subarray(n);
      }
    }
  } finally {
    await fh.close();
  }
}

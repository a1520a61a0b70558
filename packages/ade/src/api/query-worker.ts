// A query worker: a child process of the server (see QueryPool) that runs one
// user query at a time in its own sandboxed engine and streams the result
// bytes back over IPC. It never opens the catalog: the main process sends, with
// each query, the principal and exactly the files and directories it may read.
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Engine, writeArrow, type Session } from '../engine/index.js';
import { AdeError } from '../kernel/index.js';
import { toWire, WINDOW_BYTES, type FromWorker, type QueryJob, type ToWorker } from './query-pool-protocol.js';

/**
 * Sends result bytes as IPC messages, holding back once `WINDOW_BYTES` are not
 * yet acknowledged. Writes made in one turn of the event loop (a small
 * result's opening bracket, rows and closing bracket) go out as one message,
 * as do writes up to `BATCH_BYTES`: fewer messages, acknowledgements and
 * socket writes in the main process.
 */
class IpcOutput extends Writable {
  readonly #id: number;
  #unacked = 0;
  #waiting: (() => void) | undefined;
  #batch: Buffer[] = [];
  #batchBytes = 0;
  #flushScheduled = false;

  constructor(id: number) {
    super({ highWaterMark: 64 * 1024 });
    this.#id = id;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    this.#batch.push(chunk);
    this.#batchBytes += chunk.length;
    if (this.#batchBytes >= BATCH_BYTES) return this.#flush(done);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        if (this.#batchBytes > 0 && !this.destroyed) this.#flush(() => undefined);
      });
    }
    done();
  }

  override _final(done: (e?: Error | null) => void): void {
    if (this.#batchBytes > 0) this.#flush(done);
    else done();
  }

  /** The main process has written `bytes` more to its client. */
  ack(bytes: number): void {
    this.#unacked -= bytes;
    if (this.#waiting && this.#unacked < WINDOW_BYTES) {
      const go = this.#waiting;
      this.#waiting = undefined;
      go();
    }
  }

  /** Sends the batch; `done` runs once the window has room again (at once if it has). */
  #flush(done: () => void): void {
    const data = this.#batch.length === 1 ? this.#batch[0]! : Buffer.concat(this.#batch, this.#batchBytes);
    this.#batch = [];
    this.#batchBytes = 0;
    send({ type: 'chunk', id: this.#id, data });
    this.#unacked += data.length;
    if (this.#unacked < WINDOW_BYTES) done();
    else if (this.#waiting) {
      // A scheduled flush filled the window while a write waits too: both go on when it drains.
      const earlier = this.#waiting;
      this.#waiting = () => {
        earlier();
        done();
      };
    } else this.#waiting = done;
  }
}

/** Result bytes gathered into one IPC message at most. */
const BATCH_BYTES = 256 * 1024;

/** Sends to the main process; if it is gone, so is the worker's reason to live. */
function send(message: FromWorker): void {
  if (!process.connected) return;
  process.send!(message, undefined, undefined, (e: Error | null) => {
    if (e) process.exit(0);
  });
}

/** The SQL with at most `limit` rows; newlines keep a trailing `-- comment` from swallowing the parenthesis. */
function limited(sql: string, limit: number | undefined): string {
  if (limit === undefined) return sql;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return `SELECT * FROM (\n${sql}\n) AS _query LIMIT ${limit}`;
}

let engine: Engine | undefined;
/** The worker's own spill directory (removed when it goes). */
let tempDir: string | undefined;
/** The query running now; `cancelled` once the main process asked to stop it. */
let current: { id: number; out: IpcOutput; session?: Session; cancelled?: ReturnType<typeof setInterval> } | undefined;

/** Stops the current query: its output closes and its session is interrupted, again every 50 ms (a statement may start between two calls). */
function cancel(): void {
  const query = current;
  if (!query || query.cancelled) return;
  query.out.destroy();
  query.session?.cancel();
  query.cancelled = setInterval(() => query.session?.cancel(), 50);
}

async function runQuery(id: number, job: QueryJob, timeoutMs: number): Promise<void> {
  const out = new IpcOutput(id);
  const query: NonNullable<typeof current> = { id, out };
  current = query;
  let answer: FromWorker;
  try {
    const session = await engine!.openSession(job.session);
    query.session = session;
    if (query.cancelled) throw new AdeError('engine.cancelled', 'query cancelled');
    const options = { timeoutMs, ...(job.params !== undefined ? { params: job.params } : {}) };
    let done: { rowCount: number; columns: readonly { name: string; type: string }[] };
    if (job.format === 'arrow') {
      const rows = session.stream(limited(job.sql, job.limit), options);
      const columns = await rows.columns();
      done = { rowCount: (await writeArrow(rows, out)).rows, columns };
    } else {
      done = await session.writeTo(job.sql, job.format, out, { ...options, ...(job.limit !== undefined ? { limit: job.limit } : {}) });
    }
    // Every chunk goes out before `done` (one IPC channel keeps their order).
    out.end();
    await finished(out);
    answer = { type: 'done', id, rowCount: done.rowCount, columns: done.columns.map((c) => ({ name: c.name, type: c.type })) };
  } catch (e) {
    out.destroy();
    answer = { type: 'error', id, error: toWire(e) };
  }
  clearInterval(query.cancelled);
  await query.session?.close().catch(() => undefined);
  // Idle before answering: the pool sends the next query as soon as it has the answer.
  current = undefined;
  send(answer);
}

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'init':
      tempDir = message.engine.tempDir;
      Engine.create(message.engine).then(
        (created) => {
          engine = created;
          send({ type: 'ready' });
        },
        (e: unknown) => {
          if (!process.connected) process.exit(1);
          process.send!({ type: 'fatal', error: toWire(e) } satisfies FromWorker, () => process.exit(1));
        },
      );
      break;
    case 'query':
      if (!engine || current) send({ type: 'error', id: message.id, error: toWire(new Error('the worker is not idle')) });
      else void runQuery(message.id, message.job, message.timeoutMs);
      break;
    case 'ack':
      if (current?.id === message.id) current.out.ack(message.bytes);
      break;
    case 'cancel':
      if (current?.id === message.id) cancel();
      break;
  }
});

// A worker never outlives its server: when the IPC channel goes (the pool closed, or the server exited or was
// killed), so does the worker — at once, since process.exit would wait for a DuckDB call in flight to finish.
process.on('disconnect', () => {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  process.kill(process.pid, 'SIGKILL');
});

import { fork, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateEngineConfig, type EngineConfig } from '../engine/index.js';
import { parseSize, uuidv7, ValidationError } from '../kernel/index.js';
import { busyError, crashedError, memoryError, QueryPoolError, queryTimeoutError } from './query-pool-errors.js';
import { fromWire, WINDOW_BYTES, type FromWorker, type QueryDone, type QueryJob, type ToWorker } from './query-pool-protocol.js';

export type { QueryDone, QueryFormat, QueryJob } from './query-pool-protocol.js';

/** How many query workers run, and what each may use. */
export interface QueryPoolConfig {
  /** Worker processes; each runs one query at a time (default 2). */
  readonly size: number;
  /** DuckDB `memory_limit` of each worker, e.g. `1GB` (default: the engine's). A worker whose RSS passes 1.5× this plus 256 MiB is killed. */
  readonly memoryLimit: string;
  /** Engine time one query may take, in ms (default 30 000); the worker interrupts the query then. */
  readonly timeoutMs: number;
  /** A worker still busy this long past `timeoutMs` (not counting time the client spends reading) is killed (default 5 000 ms). */
  readonly graceMs: number;
  /** Queries that may wait for a worker (default 4 × size); past that `query.busy`. */
  readonly maxQueued: number;
  /** A client that takes no result bytes for this long loses its query (default 30 000 ms). */
  readonly stallMs: number;
}

/** Receives a query's result bytes in order; the next chunk waits until the promise settles. */
export type QuerySink = (chunk: Buffer) => Promise<void> | void;

/** What a worker of the pool is doing (for tests and operators). */
export interface QueryWorkerInfo {
  readonly pid: number;
  readonly busy: boolean;
}

/** Memory a worker may hold beyond 1.5× its DuckDB limit: Node, DuckDB's code and caches. */
const OVERHEAD_BYTES = 256 * 2 ** 20;
const WATCH_MS = 200;
const STOP_MS = 2_000;

interface Waiting {
  readonly job: QueryJob;
  readonly sink: QuerySink;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (done: QueryDone) => void;
  readonly reject: (e: unknown) => void;
  onAbort?: () => void;
  /** The caller has its answer; what the worker still says about this query is dropped. */
  settled?: boolean;
  /** Fires when the sink has taken nothing for `stallMs`. */
  stall?: ReturnType<typeof setTimeout>;
}

interface Running {
  readonly id: number;
  readonly waiting: Waiting;
  /** The sink's writes, one after another. */
  writing: Promise<void>;
  /** Sink writes not yet finished. */
  pending: number;
  received: number;
  acked: number;
  /** Worker time used, not counting spans where the worker waits for the client. */
  usedMs: number;
  since: number;
  budget: ReturnType<typeof setTimeout> | undefined;
}

interface Worker {
  readonly child: ChildProcess;
  readonly tempDir: string;
  ready: boolean;
  running: Running | undefined;
  /** Why the pool killed it, for the error of the query it ran. */
  killed: Error | undefined;
  /** Kills it when a cancelled query does not stop. */
  cancelTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Runs user SQL in a pool of worker processes, one query per worker at a
 * time, each worker with its own sandboxed engine, DuckDB memory limit and
 * query timeout. A worker that crashes, runs past its time or grows past its
 * memory bound is killed and replaced; only the query it ran fails. Workers
 * start with the first query and stay warm; they exit with the pool or when
 * the main process goes.
 *
 * The caller decides what a query may read (`QueryJob.session`): the worker
 * never opens the catalog.
 *
 * @example
 * const pool = new QueryPool(lake.engine.config, { size: 2, timeoutMs: 30_000 });
 * await pool.run({ session: { principal, tables, allowedDirectories }, sql, format: 'csv' }, (chunk) => write(chunk));
 * await pool.close();
 */
export class QueryPool {
  readonly config: QueryPoolConfig;
  /** The RSS past which a worker is killed. */
  readonly memoryBoundBytes: number;
  readonly #engine: Required<EngineConfig>;
  readonly #workers = new Set<Worker>();
  readonly #queue: Waiting[] = [];
  readonly #watch: ReturnType<typeof setInterval>;
  #nextId = 1;
  #closed = false;
  #canWatch = process.platform === 'linux';

  constructor(engine: Required<EngineConfig>, config: Partial<QueryPoolConfig> = {}) {
    const given = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Partial<QueryPoolConfig>;
    const size = given.size ?? 2;
    this.config = Object.freeze({ size, memoryLimit: engine.memoryLimit, timeoutMs: 30_000, graceMs: 5_000, maxQueued: 4 * size, stallMs: 30_000, ...given });
    const { timeoutMs, graceMs, maxQueued, stallMs } = this.config;
    const fail = (field: string, want: string, value: unknown): never => {
      throw new ValidationError(`query workers ${field} must be ${want}, got ${JSON.stringify(value)}`, { code: 'validation.query_workers', details: { field, value } });
    };
    if (!Number.isInteger(size) || size < 1) fail('size', 'a positive integer', size);
    for (const [k, v] of Object.entries({ timeoutMs, graceMs, stallMs })) if (!(v > 0) || !Number.isFinite(v)) fail(k, 'a positive number of milliseconds', v);
    if (!Number.isInteger(maxQueued) || maxQueued < 0) fail('maxQueued', 'a non-negative integer', maxQueued);
    this.memoryBoundBytes = Math.round(1.5 * parseSize(this.config.memoryLimit, 'memoryLimit')) + OVERHEAD_BYTES;
    // Checked here, so that a bad limit fails the server's start rather than every worker's.
    this.#engine = validateEngineConfig({ ...engine, memoryLimit: this.config.memoryLimit, queryTimeoutMs: timeoutMs });
    this.#watch = setInterval(() => void this.#checkMemory(), WATCH_MS);
    this.#watch.unref();
  }

  /**
   * Runs one query in a worker and writes its result bytes to `sink`; resolves
   * once every byte went through the sink. Waits for a free worker, or fails
   * at once with `query.busy` when the queue is full. Errors before the first
   * chunk mean nothing was written. Aborting `signal` cancels the query.
   */
  run(job: QueryJob, sink: QuerySink, options: { signal?: AbortSignal } = {}): Promise<QueryDone> {
    if (this.#closed) return Promise.reject(new QueryPoolError('query.closed', 'the server is stopping', { hint: 'retry once it is back', retryable: true }));
    this.#ensureWorkers();
    // Workers without a query (idle or still starting) take one each; past them, `maxQueued` may wait.
    const free = [...this.#workers].filter((w) => !w.running && !w.killed).length;
    if (this.#queue.length >= free + this.config.maxQueued) {
      const retryAfterSeconds = Math.max(1, Math.ceil(this.config.timeoutMs / 1000 / 4));
      return Promise.reject(busyError({ workers: this.config.size, queued: this.#queue.length, retryAfterSeconds }));
    }
    return new Promise<QueryDone>((resolve, reject) => {
      const waiting: Waiting = { job, sink, signal: options.signal, resolve, reject };
      if (options.signal) {
        if (options.signal.aborted) return reject(cancelled());
        waiting.onAbort = () => this.#abort(waiting, cancelled());
        options.signal.addEventListener('abort', waiting.onAbort, { once: true });
      }
      this.#queue.push(waiting);
      this.#pump();
    });
  }

  /** The worker processes now running. */
  workers(): QueryWorkerInfo[] {
    return [...this.#workers].filter((w) => w.child.pid !== undefined).map((w) => ({ pid: w.child.pid!, busy: w.running !== undefined }));
  }

  /** Refuses new queries, fails waiting ones, and stops every worker (killing those that do not exit within 2 s). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watch);
    for (const w of this.#queue.splice(0)) this.#settle(w, new QueryPoolError('query.closed', 'the server is stopping', { retryable: true }));
    await Promise.all(
      [...this.#workers].map(async (w) => {
        if (w.child.exitCode !== null || w.child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
        if (w.child.connected) w.child.disconnect();
        const timer = setTimeout(() => w.child.kill('SIGKILL'), STOP_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  #ensureWorkers(): void {
    while (!this.#closed && this.#workers.size < this.config.size) this.#spawn();
  }

  #spawn(): void {
    const ts = import.meta.url.endsWith('.ts');
    const entry = fileURLToPath(new URL(ts ? './query-worker.ts' : './query-worker.js', import.meta.url));
    const tempDir = join(this.#engine.tempDir, `query-worker-${uuidv7()}`);
    const child = fork(entry, [], {
      // Under tsx (tests) the worker is TypeScript too; the built server runs the compiled worker.
      execArgv: ts ? ['--import', import.meta.resolve('tsx')] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const worker: Worker = { child, tempDir, ready: false, running: undefined, killed: undefined, cancelTimer: undefined };
    this.#workers.add(worker);
    child.on('message', (m: FromWorker) => this.#onMessage(worker, m));
    // A process that could not start has no exit to wait for.
    child.on('error', () => {
      if (child.pid === undefined) this.#onExit(worker, null, null);
    });
    child.once('exit', (code, signal) => this.#onExit(worker, code, signal));
    this.#send(worker, { type: 'init', engine: { ...this.#engine, tempDir } });
  }

  #send(worker: Worker, message: ToWorker): void {
    if (worker.child.connected) worker.child.send(message, () => undefined);
  }

  /** Idle workers do not keep the main process alive (a forgotten `close` never hangs it); working ones do. */
  #hold(): void {
    const active = this.#queue.length > 0 || [...this.#workers].some((w) => w.running);
    for (const { child } of this.#workers) {
      const channel = child.channel as { ref?: () => void; unref?: () => void } | null | undefined;
      if (active) {
        child.ref();
        channel?.ref?.();
      } else {
        child.unref();
        channel?.unref?.();
      }
    }
  }

  #pump(): void {
    this.#pumpQueue();
    this.#hold();
  }

  #pumpQueue(): void {
    for (const worker of this.#workers) {
      if (this.#queue.length === 0) return;
      if (!worker.ready || worker.running || worker.killed) continue;
      const waiting = this.#queue.shift()!;
      const running: Running = {
        id: this.#nextId++,
        waiting,
        writing: Promise.resolve(),
        pending: 0,
        received: 0,
        acked: 0,
        usedMs: 0,
        since: 0,
        budget: undefined,
      };
      worker.running = running;
      this.#resumeBudget(worker, running);
      this.#send(worker, { type: 'query', id: running.id, job: waiting.job, timeoutMs: this.config.timeoutMs });
    }
  }

  #onMessage(worker: Worker, m: FromWorker): void {
    if (m.type === 'ready') {
      worker.ready = true;
      this.#pump();
      return;
    }
    if (m.type === 'fatal') return; // The exit that follows fails what waits.
    const running = worker.running;
    if (!running || running.id !== m.id) return;
    if (m.type === 'chunk') {
      const chunk = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      running.received += chunk.length;
      if (running.received - running.acked >= WINDOW_BYTES) this.#pauseBudget(running);
      if (running.waiting.settled) return;
      this.#write(worker, running, chunk);
      return;
    }
    // done or error: the worker is free again, whatever the client still reads.
    this.#finish(worker);
    if (m.type === 'done') void running.writing.then(() => this.#settle(running.waiting, undefined, { rowCount: m.rowCount, columns: m.columns }), () => undefined);
    else {
      const e = fromWire(m.error);
      const error = (e as { code?: string }).code === 'engine.timeout' ? queryTimeoutError(this.config.timeoutMs, false) : e;
      void running.writing.then(
        () => this.#settle(running.waiting, error),
        () => undefined,
      );
    }
  }

  #write(worker: Worker, running: Running, chunk: Buffer): void {
    running.pending++;
    this.#armStall(worker, running);
    running.writing = running.writing.then(async () => {
      try {
        await running.waiting.sink(chunk);
      } catch (e) {
        this.#abort(running.waiting, e);
        throw e;
      }
      running.pending--;
      running.acked += chunk.length;
      clearTimeout(running.waiting.stall);
      running.waiting.stall = undefined;
      if (running.pending > 0) this.#armStall(worker, running);
      if (worker.running === running) {
        this.#send(worker, { type: 'ack', id: running.id, bytes: chunk.length });
        if (running.received - running.acked < WINDOW_BYTES) this.#resumeBudget(worker, running);
      }
    });
    running.writing.catch(() => undefined);
  }

  /** The client must take bytes within `stallMs`, or the query is dropped. */
  #armStall(worker: Worker, running: Running): void {
    if (running.waiting.settled) return;
    running.waiting.stall ??= setTimeout(() => {
      this.#abort(
        running.waiting,
        new QueryPoolError('query.output_stalled', `the client read nothing for ${this.config.stallMs} ms`, { hint: 'read the response as it streams' }),
      );
      if (worker.running === running) this.#cancel(worker, running);
    }, this.config.stallMs);
  }

  #resumeBudget(worker: Worker, running: Running): void {
    if (running.budget || running.waiting.settled) return;
    running.since = performance.now();
    const left = this.config.timeoutMs + this.config.graceMs - running.usedMs;
    running.budget = setTimeout(() => this.#kill(worker, queryTimeoutError(this.config.timeoutMs, true)), Math.max(1, left));
  }

  #pauseBudget(running: Running): void {
    if (!running.budget) return;
    clearTimeout(running.budget);
    running.budget = undefined;
    running.usedMs += performance.now() - running.since;
  }

  /** The worker has answered for its query. */
  #finish(worker: Worker): void {
    const running = worker.running;
    if (!running) return;
    clearTimeout(running.budget);
    running.budget = undefined;
    clearTimeout(worker.cancelTimer);
    worker.cancelTimer = undefined;
    worker.running = undefined;
    this.#pump();
  }

  /** The caller gets its answer, once. */
  #settle(waiting: Waiting, error: unknown, done?: QueryDone): void {
    if (waiting.settled) return;
    waiting.settled = true;
    clearTimeout(waiting.stall);
    const queued = this.#queue.indexOf(waiting);
    if (queued >= 0) this.#queue.splice(queued, 1);
    if (waiting.onAbort) waiting.signal?.removeEventListener('abort', waiting.onAbort);
    if (error === undefined) waiting.resolve(done!);
    else waiting.reject(error);
    this.#hold();
  }

  /** Fails a query now (queued or running) and stops it in its worker. */
  #abort(waiting: Waiting, error: unknown): void {
    if (waiting.settled) return;
    const worker = [...this.#workers].find((w) => w.running?.waiting === waiting);
    this.#settle(waiting, error);
    if (worker?.running) this.#cancel(worker, worker.running);
  }

  /** Asks the worker to stop its query; kills it when it does not answer within the grace. */
  #cancel(worker: Worker, running: Running): void {
    this.#send(worker, { type: 'cancel', id: running.id });
    worker.cancelTimer ??= setTimeout(() => this.#kill(worker, queryTimeoutError(this.config.timeoutMs, true)), this.config.graceMs);
  }

  #kill(worker: Worker, reason: Error): void {
    worker.killed ??= reason;
    worker.child.kill('SIGKILL');
  }

  #onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.#workers.delete(worker)) return;
    clearTimeout(worker.cancelTimer);
    void rm(worker.tempDir, { recursive: true, force: true }).catch(() => undefined);
    const running = worker.running;
    if (running) {
      clearTimeout(running.budget);
      const error = this.#closed
        ? new QueryPoolError('query.closed', 'the server stopped while the query ran', { retryable: true })
        : (worker.killed ?? crashedError({ pid: worker.child.pid, code, signal }));
      void running.writing.then(
        () => this.#settle(running.waiting, error),
        () => undefined,
      );
    }
    if (this.#closed) return;
    if (!worker.ready) {
      // A worker that could not start would fail again at once: no respawn until the next query; with no worker left, what waits fails.
      if (![...this.#workers].some((w) => w.ready)) for (const w of this.#queue.splice(0)) this.#settle(w, crashedError({ pid: worker.child.pid, code, signal }));
      return;
    }
    this.#ensureWorkers();
  }

  async #checkMemory(): Promise<void> {
    if (!this.#canWatch) return;
    for (const worker of this.#workers) {
      const pid = worker.child.pid;
      if (pid === undefined || worker.child.exitCode !== null) continue;
      let status: string;
      try {
        status = await readFile(`/proc/${pid}/status`, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ESRCH') this.#canWatch = false;
        continue;
      }
      const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      const rss = kb ? Number(kb[1]) * 1024 : 0;
      if (rss > this.memoryBoundBytes) this.#kill(worker, memoryError(rss, this.memoryBoundBytes));
    }
  }
}

function cancelled(): QueryPoolError {
  return new QueryPoolError('query.cancelled', 'the query was cancelled (the client went away)');
}

import { EngineError } from './errors.js';

/**
 * Writes text to a caller's stream with backpressure: after a `write` that
 * returns false, the next write waits for `drain`. When the stream fails or
 * closes early, `onGone` runs once (to stop the query) and every later write
 * rejects with `engine.output_closed`.
 */
export class OutputSink {
  readonly #out: NodeJS.WritableStream;
  #gone: EngineError | undefined;
  #waiting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  readonly #onGone: () => void;
  readonly #listeners: { event: string; fn: (...args: unknown[]) => void }[];

  constructor(out: NodeJS.WritableStream, onGone: () => void) {
    this.#out = out;
    this.#onGone = onGone;
    const gone = (message: string, cause?: unknown) => {
      if (this.#gone) return;
      this.#gone = new EngineError('engine.output_closed', message, { cause });
      this.#waiting?.reject(this.#gone);
      this.#waiting = undefined;
      this.#onGone();
    };
    this.#listeners = [
      { event: 'drain', fn: () => this.#drained() },
      { event: 'error', fn: (e) => gone('the output stream failed', e) },
      { event: 'close', fn: () => gone('the output stream closed before the result was written') },
    ];
    for (const l of this.#listeners) out.on(l.event, l.fn);
    if ((out as { destroyed?: boolean }).destroyed) gone('the output stream is already closed');
  }

  async write(text: string | Uint8Array): Promise<void> {
    if (this.#gone) throw this.#gone;
    if (text.length === 0) return;
    if (this.#out.write(text)) return;
    await new Promise<void>((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  /** Ends the stream and waits until it has flushed. */
  async end(): Promise<void> {
    if (this.#gone) throw this.#gone;
    await new Promise<void>((resolve, reject) => {
      this.#out.end(((e?: Error | null) => (e ? reject(e) : resolve())) as () => void);
    });
  }

  /** Why the stream can no longer be written, if it cannot. */
  get failure(): EngineError | undefined {
    return this.#gone;
  }

  /** Stops listening to the stream. */
  dispose(): void {
    for (const l of this.#listeners) this.#out.removeListener(l.event, l.fn);
  }

  #drained(): void {
    this.#waiting?.resolve();
    this.#waiting = undefined;
  }
}

/**
 * Caps the DuckDB calls in flight across an engine. Each call holds one of
 * Node's libuv threads (`UV_THREADPOOL_SIZE`, 4 unless the process sets it)
 * until DuckDB answers; with every thread held by a long query, file reads,
 * DNS and crypto of the whole process would stall. Waiters are served first
 * come, first served.
 */
export class QuerySlots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

import type { DuckDBConnection } from '@duckdb/node-api';
import { checkReadOnly, type GuardOptions, type Verdict } from './statement-guard.js';

/** SQL longer than this is checked every time rather than kept. */
const MAX_CACHED_SQL = 16 * 1024;

/**
 * Remembers which SQL texts {@link checkReadOnly} admitted, so that a query
 * run again (a dashboard refreshing) skips the parse. A verdict depends on the
 * text alone; refusals are not kept. Least recently used entries go first.
 */
export class VerdictCache {
  readonly #max: number;
  readonly #verdicts = new Map<string, Verdict>();

  constructor(max = 512) {
    this.#max = max;
  }

  async check(connection: DuckDBConnection, sql: string, options: GuardOptions): Promise<Verdict> {
    const key = `${options.allowExplain ? 1 : 0}:${options.maxStatements}:${sql}`;
    const known = this.#verdicts.get(key);
    if (known) {
      this.#verdicts.delete(key);
      this.#verdicts.set(key, known);
      return known;
    }
    const verdict = await checkReadOnly(connection, sql, options);
    if (sql.length <= MAX_CACHED_SQL) {
      this.#verdicts.set(key, verdict);
      if (this.#verdicts.size > this.#max) this.#verdicts.delete(this.#verdicts.keys().next().value!);
    }
    return verdict;
  }
}

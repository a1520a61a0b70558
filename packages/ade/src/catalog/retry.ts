import { setTimeout as sleep } from 'node:timers/promises';
import { isTransient } from './errors.js';

/** How the store re-runs a transaction that failed for a transient reason. */
export interface RetryPolicy {
  /** Re-runs after the first attempt before the error is passed on. */
  readonly maxRetries: number;
  /** First back-off ceiling (ms); it doubles with each retry. */
  readonly baseDelayMs: number;
  /** Largest back-off ceiling (ms). */
  readonly maxDelayMs: number;
}

/**
 * Runs `attempt` until it succeeds, retrying transient catalog errors (busy,
 * lost race, dropped connection before COMMIT) with full-jitter exponential
 * back-off. Returns the value and how many retries it took.
 */
export async function withRetry<T>(policy: RetryPolicy, attempt: () => Promise<T>): Promise<{ value: T; retries: number }> {
  for (let retries = 0; ; retries++) {
    try {
      return { value: await attempt(), retries };
    } catch (e) {
      if (!isTransient(e) || retries >= policy.maxRetries) throw e;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retries);
      await sleep(Math.random() * ceiling);
    }
  }
}

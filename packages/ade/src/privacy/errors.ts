import { AdeError } from '../kernel/index.js';

/**
 * An error of the privacy engine (keys, tokens). Messages never carry key
 * material or the raw values being protected; `details` only holds ids.
 */
export class PrivacyError extends AdeError {
  constructor(code: string, message: string, options: { hint?: string; details?: Record<string, unknown> } = {}) {
    super(code, message, { ...options, retryable: false });
  }
}

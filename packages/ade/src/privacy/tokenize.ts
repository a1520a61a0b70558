import { createHash, createHmac } from 'node:crypto';
import { ValidationError } from '../kernel/index.js';
import { PrivacyError } from './errors.js';
import { validateKeyring, type Keyring } from './keyring.js';
import { normalizeFor, type PiiKind } from './normalize.js';

/**
 * Token format (stable; changing it breaks joins with existing tokens):
 *
 *   tok_ + base64url(HMAC-SHA256(key, UTF-8(normalizeFor(kind, value))))[0..22)
 *
 * 22 base64url characters carry 132 bits of the MAC, so collisions are not a
 * practical concern and the token is 26 characters long. The key id is not
 * part of the token (batches record the key id); one key always gives one
 * token for one normalised value, different keys give unrelated tokens.
 */
export const TOKEN_PREFIX = 'tok_';
export const TOKEN_CHARS = 22;
export const TOKEN_PATTERN = /^tok_[A-Za-z0-9_-]{22}$/;

export function isToken(s: string): boolean {
  return TOKEN_PATTERN.test(s);
}

function keyFor(keyring: Keyring, keyId: string | undefined): Uint8Array {
  const id = keyId ?? keyring.activeKeyId;
  const key = keyring.keys[id];
  if (!key) {
    throw new PrivacyError('privacy.unknown_key', `key id ${JSON.stringify(id)} is not in the keyring`, {
      hint: `use one of: ${Object.keys(keyring.keys).join(', ')}`,
      details: { keyId: id },
    });
  }
  return key;
}

function mac(key: Uint8Array, normalized: string): string {
  return TOKEN_PREFIX + createHmac('sha256', key).update(normalized, 'utf8').digest('base64url').slice(0, TOKEN_CHARS);
}

/**
 * The token of `value` under the keyring's active key (or `keyId`). The value
 * is normalised for `kind` first (default `text`: NFC only). Validates the
 * keyring on every call; for many values use a Tokenizer.
 */
export function tokenize(value: string, keyring: Keyring, keyId?: string, kind: PiiKind = 'text'): string {
  if (typeof value !== 'string') throw new ValidationError('only strings can be tokenized', { hint: 'convert the value to text first' });
  validateKeyring(keyring);
  return mac(keyFor(keyring, keyId), normalizeFor(kind, value));
}

export type TokenizerOptions = {
  /** Key to use; defaults to the keyring's active key. */
  keyId?: string;
  /** Most distinct values remembered (about; the older half is dropped at once). Default 100,000. */
  maxCacheSize?: number;
};

/**
 * Tokenises many values with one key, hashing each distinct (kind, value)
 * once while it stays in a bounded cache. Not safe to share across keys.
 */
export class Tokenizer {
  readonly keyId: string;
  readonly maxCacheSize: number;
  readonly #key: Uint8Array;
  // Two generations: lookups check both; when the young one fills, the old one is dropped.
  // O(1) per call (evicting single entries from a Map's front degrades to O(n) in V8).
  #young = new Map<string, string>();
  #old = new Map<string, string>();
  #hashes = 0;
  #hits = 0;

  constructor(keyring: Keyring, options: TokenizerOptions = {}) {
    validateKeyring(keyring);
    this.keyId = options.keyId ?? keyring.activeKeyId;
    this.#key = keyFor(keyring, this.keyId);
    const max = options.maxCacheSize ?? 100_000;
    if (!Number.isInteger(max) || max < 0) {
      throw new ValidationError(`maxCacheSize must be a non-negative integer, got ${String(max)}`);
    }
    this.maxCacheSize = max;
  }

  tokenize(value: string, kind: PiiKind = 'text'): string {
    const normalized = normalizeFor(kind, value);
    // Normalisation makes kinds with equal canonical forms share a token on purpose
    // (joins across sources that declare a field differently), so the cache key is the canonical form.
    let cached = this.#young.get(normalized);
    if (cached === undefined) {
      cached = this.#old.get(normalized);
      if (cached !== undefined) this.#remember(normalized, cached);
    }
    if (cached !== undefined) {
      this.#hits++;
      return cached;
    }
    const token = mac(this.#key, normalized);
    this.#hashes++;
    this.#remember(normalized, token);
    return token;
  }

  #remember(normalized: string, token: string): void {
    if (this.maxCacheSize === 0) return;
    if (this.#young.size >= Math.max(1, Math.ceil(this.maxCacheSize / 2))) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(normalized, token);
  }

  /** How many HMACs were computed, how many lookups the cache answered, and how many values it holds. */
  get stats(): { hashes: number; hits: number; cached: number } {
    return { hashes: this.#hashes, hits: this.#hits, cached: this.#young.size + this.#old.size };
  }

  clear(): void {
    this.#young.clear();
    this.#old.clear();
  }
}

/**
 * The HMAC-SHA256 inner and outer padded keys of a keyring key (RFC 2104), so
 * that an engine can compute the same tokens itself:
 * `tok_ + base64url(SHA256(opad ‖ SHA256(ipad ‖ m)))[0..22)`. As secret as the
 * key: pass them to the engine as bound parameters, never in SQL text or logs.
 */
export function hmacPads(keyring: Keyring, keyId?: string): { keyId: string; ipad: Uint8Array; opad: Uint8Array } {
  validateKeyring(keyring);
  const id = keyId ?? keyring.activeKeyId;
  let key = keyFor(keyring, id);
  if (key.length > 64) key = createHash('sha256').update(key).digest();
  const ipad = new Uint8Array(64).fill(0x36);
  const opad = new Uint8Array(64).fill(0x5c);
  for (let i = 0; i < key.length; i++) {
    ipad[i]! ^= key[i]!;
    opad[i]! ^= key[i]!;
  }
  return { keyId: id, ipad, opad };
}

import { PrivacyError } from './errors.js';

/**
 * The keys tokenisation may use, by id. `activeKeyId` names the key new
 * tokens are made with; older keys stay so that tokens can be recomputed
 * (rebuild from raw) with the key a batch recorded.
 */
export type Keyring = Readonly<{
  activeKeyId: string;
  keys: Readonly<Record<string, Uint8Array>>;
}>;

/** Shortest key accepted, in bytes (256 bits, the HMAC-SHA256 block output). */
export const MIN_KEY_BYTES = 32;

const enc = new TextEncoder();

/**
 * Keys that ship in examples and docs, or that a careless setup produces.
 * A keyring holding any of them is refused. Compared on the first
 * MIN_KEY_BYTES bytes too, so padding a default key does not help.
 */
export const KNOWN_DEFAULT_KEYS: readonly Uint8Array[] = Object.freeze([
  new Uint8Array(32), // all zeros
  new Uint8Array(64),
  new Uint8Array(32).fill(0xff),
  enc.encode('changeme'.repeat(4)),
  enc.encode('changemechangemechangemechangeme!'),
  enc.encode('0123456789abcdef0123456789abcdef'),
  enc.encode('00000000000000000000000000000000'),
  enc.encode('secretsecretsecretsecretsecretse'),
  enc.encode('ade-demo-key-do-not-use-in-production'),
]);

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `key` is (or starts with) a known default key, or is one repeated byte. */
export function isKnownDefaultKey(key: Uint8Array): boolean {
  if (key.length > 0 && key.every((b) => b === key[0])) return true;
  const prefix = key.subarray(0, MIN_KEY_BYTES);
  return KNOWN_DEFAULT_KEYS.some((k) => sameBytes(k, key) || sameBytes(k.subarray(0, MIN_KEY_BYTES), prefix));
}

/**
 * Checks a keyring before any token is made: at least one key, a valid active
 * key id that exists, every key at least MIN_KEY_BYTES long and none a known
 * default. Throws PrivacyError; messages name key ids, never key bytes.
 */
export function validateKeyring(keyring: Keyring): Keyring {
  const ids = Object.keys(keyring.keys ?? {});
  if (ids.length === 0) {
    throw new PrivacyError('privacy.no_key', 'the keyring holds no key', {
      hint: 'create one with `ade keys rotate` (or pass keys in the config); ingest refuses to run without a key',
    });
  }
  if (!keyring.activeKeyId || !(keyring.activeKeyId in keyring.keys)) {
    throw new PrivacyError('privacy.unknown_key', `the active key id ${JSON.stringify(keyring.activeKeyId)} is not in the keyring`, {
      hint: `set activeKeyId to one of: ${ids.join(', ')}`,
      details: { keyId: keyring.activeKeyId },
    });
  }
  for (const id of ids) {
    if (!KEY_ID.test(id)) {
      throw new PrivacyError('privacy.bad_key_id', `key id ${JSON.stringify(id)} is not valid`, {
        hint: 'key ids are 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
        details: { keyId: id },
      });
    }
    const key = keyring.keys[id];
    if (!(key instanceof Uint8Array) || key.length === 0) {
      throw new PrivacyError('privacy.empty_key', `key ${JSON.stringify(id)} is empty`, {
        hint: 'generate a random key of at least 32 bytes, e.g. `openssl rand -base64 32`',
        details: { keyId: id },
      });
    }
    if (key.length < MIN_KEY_BYTES) {
      throw new PrivacyError('privacy.short_key', `key ${JSON.stringify(id)} is ${key.length} bytes; at least ${MIN_KEY_BYTES} are required`, {
        hint: 'generate a random key of at least 32 bytes, e.g. `openssl rand -base64 32`',
        details: { keyId: id, bytes: key.length },
      });
    }
    if (isKnownDefaultKey(key)) {
      throw new PrivacyError('privacy.default_key', `key ${JSON.stringify(id)} is a known default or trivial key`, {
        hint: 'replace it with a random key, e.g. `openssl rand -base64 32`; tokens made with a public key can be reversed by anyone',
        details: { keyId: id },
      });
    }
  }
  return keyring;
}

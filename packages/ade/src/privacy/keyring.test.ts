import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { PrivacyError } from './errors.js';
import { KNOWN_DEFAULT_KEYS, validateKeyring, type Keyring } from './keyring.js';

const good = (): Uint8Array => new Uint8Array(randomBytes(32));

function refusal(keyring: Keyring): PrivacyError {
  try {
    validateKeyring(keyring);
  } catch (e) {
    assert.ok(e instanceof PrivacyError);
    return e;
  }
  assert.fail('expected the keyring to be refused');
}

describe('validateKeyring', () => {
  it('should accept a random 32-byte key', () => {
    const k: Keyring = { activeKeyId: 'k1', keys: { k1: good() } };
    assert.equal(validateKeyring(k), k);
  });

  it('should refuse a keyring with no keys', () => {
    const e = refusal({ activeKeyId: 'k1', keys: {} });
    assert.equal(e.code, 'privacy.no_key');
    assert.ok(e.hint);
  });

  it('should refuse an active key id that is not in the keyring', () => {
    assert.equal(refusal({ activeKeyId: 'k2', keys: { k1: good() } }).code, 'privacy.unknown_key');
  });

  it('should refuse an empty key', () => {
    assert.equal(refusal({ activeKeyId: 'k1', keys: { k1: new Uint8Array(0) } }).code, 'privacy.empty_key');
  });

  it('should refuse a key shorter than 32 bytes', () => {
    assert.equal(refusal({ activeKeyId: 'k1', keys: { k1: new Uint8Array(randomBytes(31)) } }).code, 'privacy.short_key');
  });

  it('should refuse every known default key, also as an inactive key', () => {
    for (const d of KNOWN_DEFAULT_KEYS) {
      assert.equal(refusal({ activeKeyId: 'k1', keys: { k1: good(), old: d } }).code, 'privacy.default_key');
    }
  });

  it('should refuse a padded default key and a key of one repeated byte', () => {
    const padded = new Uint8Array(40);
    padded.set(new TextEncoder().encode('changeme'.repeat(5)));
    assert.equal(refusal({ activeKeyId: 'k1', keys: { k1: padded } }).code, 'privacy.default_key');
    assert.equal(refusal({ activeKeyId: 'k1', keys: { k1: new Uint8Array(48).fill(7) } }).code, 'privacy.default_key');
  });

  it('should never put key material in the message, hint or details', () => {
    const short = new TextEncoder().encode('supersecretvalue');
    const e = refusal({ activeKeyId: 'k1', keys: { k1: short } });
    const text = JSON.stringify(e.toJSON()) + e.message + String(e.stack);
    assert.ok(!text.includes('supersecretvalue'));
    assert.ok(!text.includes(Buffer.from(short).toString('base64')));
    assert.ok(!text.includes(Buffer.from(short).toString('hex')));
  });
});

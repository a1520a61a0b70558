import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { PrivacyError } from './errors.js';
import type { Keyring } from './keyring.js';
import { normalizeFor } from './normalize.js';
import { isToken, tokenize, Tokenizer } from './tokenize.js';

const KEY_A = new Uint8Array(Buffer.from('9f1c2b7e4a6d8c0e1f3a5b7c9d0e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e', 'hex'));
const KEY_B = new Uint8Array(Buffer.from('0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9', 'hex'));
const ring: Keyring = { activeKeyId: 'a', keys: { a: KEY_A, b: KEY_B } };

describe('normalizeFor', () => {
  it('should lower-case and trim emails', () => {
    assert.equal(normalizeFor('email', '  Ada.Lovelace@Example.COM '), 'ada.lovelace@example.com');
  });
  it('should keep only digits of phones and a leading + for international numbers', () => {
    assert.equal(normalizeFor('phone', '+1 (415) 555-0132'), '+14155550132');
    assert.equal(normalizeFor('phone', '0044 20 7946 0958'), '+442079460958');
    assert.equal(normalizeFor('phone', '(415) 555-0132'), '4155550132');
  });
  it('should strip spaces and dashes from cards and IBANs and upper-case them', () => {
    assert.equal(normalizeFor('card', '4111-1111 1111-1111'), '4111111111111111');
    assert.equal(normalizeFor('iban', 'gb82 west 1234 5698 7654 32'), 'GB82WEST12345698765432');
  });
});

describe('tokenize', () => {
  it('should equal tok_ + the first 22 base64url characters of HMAC-SHA256 computed independently', () => {
    const expected = 'tok_' + createHmac('sha256', KEY_A).update('ada@example.com').digest('base64url').slice(0, 22);
    assert.equal(tokenize('ada@example.com', ring), expected);
    assert.equal(tokenize(' ADA@example.com', ring, undefined, 'email'), expected);
    assert.ok(isToken(expected));
    assert.equal(expected.length, 26);
  });

  it('should give the same token for the same value on every call', () => {
    assert.equal(tokenize('+44 20 7946 0958', ring, 'a', 'phone'), tokenize('+442079460958', ring, 'a', 'phone'));
  });

  it('should give different tokens under different keys', () => {
    assert.notEqual(tokenize('ada@example.com', ring, 'a'), tokenize('ada@example.com', ring, 'b'));
  });

  it('should refuse an unknown key id without echoing key bytes', () => {
    assert.throws(() => tokenize('x', ring, 'zzz'), (e: unknown) => e instanceof PrivacyError && e.code === 'privacy.unknown_key');
  });

  it('should refuse a keyring with a default key', () => {
    assert.throws(() => tokenize('x', { activeKeyId: 'z', keys: { z: new Uint8Array(32) } }), PrivacyError);
  });
});

describe('Tokenizer', () => {
  it('should agree with tokenize and hash each distinct value once', () => {
    const t = new Tokenizer(ring);
    const values = ['a@x.io', 'b@x.io', 'A@x.io', 'a@x.io', 'b@x.io', 'c@x.io'];
    for (const v of values) assert.equal(t.tokenize(v, 'email'), tokenize(v, ring, 'a', 'email'));
    assert.deepEqual(t.stats, { hashes: 3, hits: 3, cached: 3 });
  });

  it('should keep its cache within the size bound', () => {
    const t = new Tokenizer(ring, { keyId: 'b', maxCacheSize: 10 });
    for (let i = 0; i < 100; i++) t.tokenize(`v${i}`);
    assert.ok(t.stats.cached <= 10);
    assert.equal(t.tokenize('v99'), tokenize('v99', ring, 'b'));
  });
});

describe('dictionary attack without the key', () => {
  it('should recover none of the phone tokens from 10^6 candidate numbers', () => {
    const victims: string[] = [];
    for (let i = 0; i < 50; i++) victims.push(`+1415555${String((i * 7919) % 10000).padStart(4, '0')}`);
    const victimSet = new Set(victims);
    const tokens = new Set(victims.map((v) => tokenize(v, ring, 'a', 'phone')));
    const wrongKey = new Uint8Array(randomBytes(32));
    const tok = (digest: string): string => 'tok_' + digest.slice(0, 22);
    let recoveredPlain = 0;
    let recoveredWrongKey = 0;
    let recoveredWithKey = 0;
    const t0 = Date.now();
    for (let i = 0; i < 1_000_000; i++) {
      // Candidates are every number +1 415 5xx xxxx, which includes all victims.
      const c = `+1415${String(5_000_000 + i).padStart(7, '0')}`;
      if (tokens.has(tok(createHash('sha256').update(c).digest('base64url')))) recoveredPlain++;
      if (tokens.has(tok(createHmac('sha256', wrongKey).update(c).digest('base64url')))) recoveredWrongKey++;
      if (i % 10_000 < 10 || victimSet.has(c)) {
        if (tokens.has(tok(createHmac('sha256', KEY_A).update(c).digest('base64url')))) recoveredWithKey++;
      }
    }
    console.log(`dictionary attack: 1000000 candidates in ${Date.now() - t0} ms; recovered plain=${recoveredPlain} wrong-key=${recoveredWrongKey} (control with the key: ${recoveredWithKey}/${victims.length})`);
    assert.equal(recoveredPlain, 0);
    assert.equal(recoveredWrongKey, 0);
    // Control: the victims are in the candidate set, so with the key the attack would have worked.
    assert.equal(recoveredWithKey, victims.length);
  });
});

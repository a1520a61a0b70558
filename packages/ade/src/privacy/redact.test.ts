import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Keyring } from './keyring.js';
import { redact } from './redact.js';
import { tokenize, Tokenizer } from './tokenize.js';

const ring: Keyring = { activeKeyId: 'k1', keys: { k1: new Uint8Array(randomBytes(32)) } };

describe('redact', () => {
  it('should replace each detected span with a typed placeholder carrying its token', () => {
    const t = new Tokenizer(ring);
    const r = redact('Hi, I am Ada (ADA@Example.com, +44 20 7946 0958), card 4111 1111 1111 1111.', t);
    const email = tokenize('ada@example.com', ring, 'k1', 'email');
    const phone = tokenize('+442079460958', ring, 'k1', 'phone');
    const card = tokenize('4111111111111111', ring, 'k1', 'card');
    assert.equal(r.text, `Hi, I am Ada ([EMAIL:${email}], [PHONE:${phone}]), card [CARD:${card}].`);
    assert.deepEqual(
      r.found.map((f) => f.detector),
      ['email', 'phone', 'card'],
    );
  });

  it('should leave text without personal data unchanged', () => {
    const text = 'Upgraded to 10.0.19045.2965 on 2024-03-07, order ORD-2024-000123.';
    assert.deepEqual(redact(text, new Tokenizer(ring)), { text, found: [] });
  });

  it('should not keep the raw values anywhere in its result', () => {
    const r = redact('ssn 123-45-6789 ip 10.20.30.40', new Tokenizer(ring));
    const dump = JSON.stringify(r);
    assert.ok(!dump.includes('123-45-6789') && !dump.includes('10.20.30.40'));
    assert.match(r.text, /^ssn \[SSN:tok_[A-Za-z0-9_-]{22}\] ip \[IPV4:tok_[A-Za-z0-9_-]{22}\]$/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('should sort keys at every level and drop undefined properties', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: undefined } }), '{"a":{"d":[{"x":2,"y":1}]},"b":1}');
  });

  it('should give the same text for equal values built in different orders', () => {
    assert.equal(canonicalJson({ x: 1, y: [1, 'a'] }), canonicalJson({ y: [1, 'a'], x: 1 }));
  });

  it('should honour toJSON', () => {
    assert.equal(canonicalJson({ at: new Date('2026-01-01T00:00:00Z') }), '{"at":"2026-01-01T00:00:00.000Z"}');
  });
});

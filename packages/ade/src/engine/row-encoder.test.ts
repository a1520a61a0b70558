import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvField, rowEncoder } from './row-encoder.js';

describe('csvField', () => {
  it('should quote only what RFC 4180 requires, and the empty string', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\r'), '"cr\r"');
    assert.equal(csvField(''), '""');
    assert.equal(csvField(null), '');
    assert.equal(csvField(1.5), '1.5');
    assert.equal(csvField(false), 'false');
    assert.equal(csvField({ a: [1, 'x'] }), '"{""a"":[1,""x""]}"');
  });
});

describe('rowEncoder', () => {
  const rows = [
    { a: 1, b: 'x' },
    { a: 2, b: null },
  ];

  function encode(format: 'csv' | 'json' | 'ndjson', chunks: (typeof rows)[]): string {
    const encoder = rowEncoder(format, ['a', 'b']);
    return encoder.start() + chunks.map((c) => encoder.rows(c)).join('') + encoder.end();
  }

  it('should write a JSON array across chunks', () => {
    assert.equal(encode('json', [rows, [], rows]), '[\n{"a":1,"b":"x"},\n{"a":2,"b":null},\n{"a":1,"b":"x"},\n{"a":2,"b":null}\n]\n');
    assert.deepEqual(JSON.parse(encode('json', [rows, rows])), [...rows, ...rows]);
    assert.equal(encode('json', []), '[]\n');
  });

  it('should write CSV and NDJSON', () => {
    assert.equal(encode('csv', [rows]), 'a,b\n1,x\n2,\n');
    assert.equal(encode('ndjson', [rows]), '{"a":1,"b":"x"}\n{"a":2,"b":null}\n');
  });
});

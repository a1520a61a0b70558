import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermissionError } from '../kernel/index.js';
import { EngineError, engineErrorFrom, parseDuckDBError } from './errors.js';

const BINDER = 'Binder Error: Referenced column "x" not found in FROM clause!\nCandidate bindings: "id"\n\nLINE 1: SELECT x FROM t\n               ^';

describe('parseDuckDBError', () => {
  it('should separate the kind, the text and the LINE context', () => {
    assert.deepEqual(parseDuckDBError(BINDER), {
      kind: 'Binder',
      text: 'Referenced column "x" not found in FROM clause!\nCandidate bindings: "id"',
      context: 'LINE 1: SELECT x FROM t\n               ^',
    });
  });

  it('should drop the prefix the Node bindings add', () => {
    const parsed = parseDuckDBError('Failed to extract statements: Parser Error: syntax error at or near "x"');
    assert.equal(parsed.kind, 'Parser');
    assert.equal(parsed.text, 'syntax error at or near "x"');
  });

  it('should keep a message that names no kind', () => {
    assert.deepEqual(parseDuckDBError('something odd'), { kind: undefined, text: 'something odd', context: undefined });
  });
});

describe('engineErrorFrom', () => {
  it('should map DuckDB error kinds to ade errors', () => {
    const denied = engineErrorFrom(new Error('Permission Error: Cannot access file "/etc/passwd"'), { operation: 'query' });
    assert.ok(denied instanceof PermissionError);
    assert.equal(denied.code, 'permission.denied');

    const binder = engineErrorFrom(new Error(BINDER), { operation: 'query' });
    assert.ok(binder instanceof EngineError);
    assert.equal(binder.code, 'engine.query_failed');
    assert.equal(binder.message, `Binder Error: Referenced column "x" not found in FROM clause!\nCandidate bindings: "id"\nLINE 1: SELECT x FROM t\n               ^`);
    assert.deepEqual(binder.details, { operation: 'query', kind: 'binder' });

    assert.equal(engineErrorFrom(new Error('Parser Error: syntax error'), { operation: 'query' }).code, 'engine.syntax_error');
    assert.equal(engineErrorFrom(new Error('Out of Memory Error: could not allocate'), { operation: 'query' }).code, 'engine.out_of_memory');
  });

  it('should pass ade errors through', () => {
    const e = new EngineError('engine.timeout', 'late');
    assert.equal(engineErrorFrom(e, { operation: 'query' }), e);
  });
});

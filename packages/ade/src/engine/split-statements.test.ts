import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leadingKeyword, splitStatements } from './split-statements.js';

describe('splitStatements', () => {
  it('should cut at top-level semicolons only', () => {
    assert.deepEqual(splitStatements("SELECT ';' AS a; ATTACH 'x.db'"), ["SELECT ';' AS a", "ATTACH 'x.db'"]);
    assert.deepEqual(splitStatements('SELECT "a;b" FROM t -- c;\n; SET x = 1'), ['SELECT "a;b" FROM t -- c;', 'SET x = 1']);
    assert.deepEqual(splitStatements('SELECT /* ; /* nested ; */ */ 1'), ['SELECT /* ; /* nested ; */ */ 1']);
    assert.deepEqual(splitStatements('SELECT $$a;b$$, $tag$;$tag$, $1'), ['SELECT $$a;b$$, $tag$;$tag$, $1']);
    assert.deepEqual(splitStatements("SELECT 'it''s; fine'"), ["SELECT 'it''s; fine'"]);
  });

  it('should drop empty and comment-only pieces', () => {
    assert.deepEqual(splitStatements('SELECT 1;; -- done\n;'), ['SELECT 1']);
    assert.deepEqual(splitStatements('  /* nothing */ '), []);
  });
});

describe('leadingKeyword', () => {
  it('should name the statement after comments and parentheses', () => {
    assert.equal(leadingKeyword('-- hi\n/* there */ copy t TO x'), 'COPY');
    assert.equal(leadingKeyword('(SELECT 1)'), 'SELECT');
    assert.equal(leadingKeyword('  '), undefined);
  });
});

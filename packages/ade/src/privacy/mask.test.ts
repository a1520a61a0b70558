import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../kernel/index.js';
import { mask } from './mask.js';

describe('mask', () => {
  it('should keep the last four characters by default', () => {
    assert.equal(mask('4111111111111111'), '************1111');
  });
  it('should honour keepLast and maskChar', () => {
    assert.equal(mask('secret-value', { keepLast: 2, maskChar: '#' }), '##########ue');
    assert.equal(mask('abc', { keepLast: 0 }), '***');
  });
  it('should mask a value no longer than keepLast whole', () => {
    assert.equal(mask('1234', { keepLast: 4 }), '****');
  });
  it('should leave separators in place when asked', () => {
    assert.equal(mask('4111-1111-1111-1111', { keepSeparators: true }), '****-****-****-1111');
  });
  it('should count code points, not UTF-16 units', () => {
    assert.equal(mask('😀😀ab', { keepLast: 1 }), '***b');
  });
  it('should refuse bad parameters with a ValidationError', () => {
    assert.throws(() => mask('x', { keepLast: -1 }), ValidationError);
    assert.throws(() => mask('x', { keepLast: 1.5 }), ValidationError);
    assert.throws(() => mask('x', { maskChar: '**' }), ValidationError);
    assert.throws(() => mask('x', { maskChar: '' }), ValidationError);
  });
});

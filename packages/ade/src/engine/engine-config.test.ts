import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ENGINE_CONFIG, engineConfig } from './index.js';

describe('engineConfig', () => {
  it('should merge the defaults once', () => {
    const config = engineConfig({ tempDir: '/tmp/ade', threads: 4 });
    assert.deepEqual(config, { ...DEFAULT_ENGINE_CONFIG, tempDir: '/tmp/ade', threads: 4 });
    assert.ok(Object.isFrozen(config));
  });

  it('should name the field that is out of range', () => {
    assert.throws(() => engineConfig({ tempDir: 'relative/tmp' }), { code: 'validation.engine_config', message: /tempDir/ });
    assert.throws(() => engineConfig({ tempDir: '/tmp', memoryLimit: 'lots' }), { message: /memoryLimit/ });
    assert.throws(() => engineConfig({ tempDir: '/tmp', threads: 0 }), { message: /threads/ });
    assert.throws(() => engineConfig({ tempDir: '/tmp', queryTimeoutMs: -1 }), { message: /queryTimeoutMs/ });
  });
});

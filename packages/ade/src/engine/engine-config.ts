import { isAbsolute } from 'node:path';
import { ValidationError } from '../kernel/index.js';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from './types.js';

const SIZE = /^\d+(?:\.\d+)?\s*(?:[KMGT]i?B|B|bytes)$/i;

/**
 * The defaults merged with `input` once, then checked.
 *
 * @example
 * const config = engineConfig({ tempDir: '/srv/ade/.ade/tmp', memoryLimit: '4GB' });
 */
export function engineConfig(input: Pick<EngineConfig, 'tempDir'> & Partial<EngineConfig>): Required<EngineConfig> {
  return validateEngineConfig({ ...DEFAULT_ENGINE_CONFIG, ...input });
}

/**
 * Fills the optional fields with their defaults, then throws a
 * `ValidationError` naming the first field that is out of range; returns a
 * frozen copy.
 */
export function validateEngineConfig(input: EngineConfig): Required<EngineConfig> {
  const config: Required<EngineConfig> = {
    ...input,
    maxTempDirectorySize: input.maxTempDirectorySize ?? DEFAULT_ENGINE_CONFIG.maxTempDirectorySize,
    maxConcurrentQueries: input.maxConcurrentQueries ?? DEFAULT_ENGINE_CONFIG.maxConcurrentQueries,
    warmSandboxes: input.warmSandboxes ?? DEFAULT_ENGINE_CONFIG.warmSandboxes,
    warmSandboxMs: input.warmSandboxMs ?? DEFAULT_ENGINE_CONFIG.warmSandboxMs,
  };
  const fail = (field: keyof EngineConfig, want: string): never => {
    throw new ValidationError(`engine ${field} must be ${want}, got ${JSON.stringify(config[field])}`, {
      code: 'validation.engine_config',
      details: { field, value: config[field] },
    });
  };
  if (!SIZE.test(config.memoryLimit)) fail('memoryLimit', 'a size such as 1GB');
  if (!SIZE.test(config.maxTempDirectorySize)) fail('maxTempDirectorySize', 'a size such as 10GB');
  if (!Number.isInteger(config.threads) || config.threads < 1) fail('threads', 'a positive integer');
  if (!(config.queryTimeoutMs > 0) || !Number.isFinite(config.queryTimeoutMs)) fail('queryTimeoutMs', 'a positive number');
  if (!Number.isInteger(config.targetFileBytes) || config.targetFileBytes < 1) fail('targetFileBytes', 'a positive integer');
  if (!Number.isInteger(config.rowGroupSize) || config.rowGroupSize < 1) fail('rowGroupSize', 'a positive integer');
  if (!Number.isInteger(config.maxConcurrentQueries) || config.maxConcurrentQueries < 1) {
    fail('maxConcurrentQueries', 'a positive integer');
  }
  if (!Number.isInteger(config.warmSandboxes) || config.warmSandboxes < 0) fail('warmSandboxes', 'a non-negative integer');
  if (!(config.warmSandboxMs >= 0) || !Number.isFinite(config.warmSandboxMs)) fail('warmSandboxMs', 'a non-negative number');
  if (typeof config.tempDir !== 'string' || !isAbsolute(config.tempDir)) fail('tempDir', 'an absolute path');
  return Object.freeze({ ...config });
}

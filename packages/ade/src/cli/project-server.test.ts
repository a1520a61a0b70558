import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadProject } from './project.js';

function withProject(yaml: string, body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ade-project-server-'));
  try {
    writeFileSync(join(dir, 'ade.yaml'), `name: p\n${yaml}`);
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('loadProject: server', () => {
  it('should leave the rate limit to the server when server.rate_limit is absent', () => {
    withProject('', (dir) => assert.deepEqual(loadProject(dir, {}).server.rateLimit, {}));
  });

  it('should read server.rate_limit requests_per_second and burst', () => {
    withProject('server:\n  rate_limit: { requests_per_second: 500, burst: 1000 }\n', (dir) =>
      assert.deepEqual(loadProject(dir, {}).server.rateLimit, { requestsPerSecond: 500, burst: 1000 }),
    );
  });

  it('should refuse a rate limit that is not a positive number, naming the field', () => {
    withProject('server:\n  rate_limit: { requests_per_second: 0 }\n', (dir) =>
      assert.throws(() => loadProject(dir, {}), /server\.rate_limit\.requests_per_second.*positive number/),
    );
    withProject('server:\n  rate_limit: { per_minute: 5 }\n', (dir) => assert.throws(() => loadProject(dir, {}), /server\.rate_limit\.per_minute.*unknown key/));
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Lake } from '../lake/index.js';
import { openTempLake } from '../test-support/temp-lake.js';
import { AuthError, cachedAuthenticator, issueToken } from './api-tokens.js';

describe('cachedAuthenticator', () => {
  let dir: string;
  let lake: Lake;
  const secret = randomBytes(32).toString('hex');
  const bearer = (token: string) => `Bearer ${token}`;
  const issue = async (name: string, source?: string) => issueToken(lake.catalog, secret, { name, role: 'viewer', createdBy: 'test', ...(source ? { source } : {}) });

  before(async () => {
    ({ dir, lake } = await openTempLake('ade-api-tokens-'));
  });
  after(async () => {
    await lake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should trust a verified token for ttlMs, then see that it was revoked', async () => {
    let now = 1_000_000;
    const auth = cachedAuthenticator(lake.catalog, secret, { ttlMs: 2_000, now: () => now });
    const { token, info } = await issue('revoked-later');
    assert.equal((await auth(bearer(token))).tokenId, info.id);
    await lake.catalog.revokeApiToken(info.id);
    now += 1_999;
    assert.equal((await auth(bearer(token))).tokenId, info.id, 'still within the cache time');
    now += 1;
    await assert.rejects(auth(bearer(token)), (e: unknown) => e instanceof AuthError && /revoked/.test(e.message));
  });

  it('should check the route kind every time, also for a remembered token', async () => {
    const auth = cachedAuthenticator(lake.catalog, secret);
    const { token } = await issue('web-key', 'web');
    assert.equal((await auth(bearer(token), 'ingest')).source, 'web');
    await assert.rejects(auth(bearer(token), 'api'), /an ingest key only sends events/);
    await assert.rejects(auth(`${bearer(token)}x`, 'ingest'), /malformed/);
  });

  it('should remember at most maxEntries tokens, forgetting the oldest', async () => {
    const now = 5_000_000;
    const auth = cachedAuthenticator(lake.catalog, secret, { maxEntries: 2, now: () => now });
    const [a, b, c] = await Promise.all([issue('a'), issue('b'), issue('c')]);
    for (const t of [a, b, c]) await auth(bearer(t.token));
    for (const t of [a, b, c]) await lake.catalog.revokeApiToken(t.info.id);
    await assert.rejects(auth(bearer(a.token)), /revoked/, 'a was forgotten, so it is looked up again');
    assert.equal((await auth(bearer(c.token))).tokenId, c.info.id, 'c is still remembered');
  });
});

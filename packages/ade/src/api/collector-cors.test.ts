import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { browserCollectorPath, parseAllowedOrigins, registerCollectorCors } from './collector-cors.js';

/** A server with the CORS hooks and two routes standing in for the collector and the query API. */
function app(origins: readonly string[]) {
  const a = Fastify();
  registerCollectorCors(a, origins);
  a.post('/v1/batch', async (_req, reply) => reply.status(429).header('retry-after', '3').send({ error: { code: 'collector.buffer_full' } }));
  a.post('/v1/query', async () => ({ ok: true }));
  return a;
}

describe('collector CORS', () => {
  it('should answer a preflight from an allowed origin, and refuse others with 403', async () => {
    const a = app(['https://shop.example.com']);
    const ok = await a.inject({ method: 'OPTIONS', url: '/v1/batch', headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' } });
    assert.equal(ok.statusCode, 204);
    assert.equal(ok.headers['access-control-allow-origin'], 'https://shop.example.com');
    assert.match(String(ok.headers['access-control-allow-headers']), /authorization/);
    const events = await a.inject({ method: 'OPTIONS', url: '/v1/events/clicks', headers: { origin: 'https://shop.example.com' } });
    assert.equal(events.statusCode, 204);
    const other = await a.inject({ method: 'OPTIONS', url: '/v1/batch', headers: { origin: 'https://evil.example.com' } });
    assert.equal(other.statusCode, 403);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    assert.match(other.json().error.hint, /allowed_origins/);
    await a.close();
  });

  it('should put the origin and Retry-After on collector responses, errors included, and nothing on other routes', async () => {
    const a = app(['*']);
    const r = await a.inject({ method: 'POST', url: '/v1/batch', headers: { origin: 'http://127.0.0.1:5173' }, payload: {} });
    assert.equal(r.statusCode, 429);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['access-control-expose-headers'], 'retry-after');
    const q = await a.inject({ method: 'POST', url: '/v1/query', headers: { origin: 'http://127.0.0.1:5173' }, payload: {} });
    assert.equal(q.headers['access-control-allow-origin'], undefined, 'the query API is not open to other origins');
    await a.close();
  });

  it('should know the browser routes, and check the configured origins', () => {
    for (const p of ['/v1/track', '/v1/batch', '/v1/events/clicks']) assert.ok(browserCollectorPath(p), p);
    for (const p of ['/v1/cdc/accounts', '/v1/query', '/v1/events/a/b', '/v1/batchx']) assert.ok(!browserCollectorPath(p), p);
    assert.deepEqual(parseAllowedOrigins('*', 'f'), ['*']);
    assert.deepEqual(parseAllowedOrigins(['HTTPS://Shop.example.com:8443'], 'f'), ['https://shop.example.com:8443']);
    assert.throws(() => parseAllowedOrigins(['https://shop.example.com/'], 'collector.allowed_origins'), /collector\.allowed_origins\[0\].*not an origin/);
    assert.throws(() => parseAllowedOrigins(5, 'collector.allowed_origins'), /must be "\*" or a list/);
  });
});

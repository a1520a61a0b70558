import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../kernel/index.js';

/**
 * The collector routes a browser sends to (the SDK's `/v1/batch`, Segment's
 * tracking calls, `/v1/events/<stream>`). CDC is server to server and gets
 * no CORS headers.
 */
export function browserCollectorPath(path: string): boolean {
  return /^\/v1\/(track|identify|page|screen|group|alias|batch)$/.test(path) || /^\/v1\/events\/[^/]+$/.test(path);
}

/**
 * `collector.allowed_origins` checked: `*` (any page may send, as with
 * Segment: write keys are public in a browser anyway) or a list of origins
 * (`https://shop.example.com`, `http://127.0.0.1:5173`).
 *
 * @example
 * parseAllowedOrigins(['https://shop.example.com'], 'collector.allowed_origins'); // ['https://shop.example.com']
 */
export function parseAllowedOrigins(value: unknown, field: string): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw new ValidationError(`${field} must be "*" or a list of origins`, { hint: 'e.g. allowed_origins: ["https://shop.example.com"]', details: { field } });
  return list.map((o, i) => {
    if (o === '*') return o;
    if (typeof o !== 'string' || !/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/i.test(o)) {
      throw new ValidationError(`${field}[${i}]: ${JSON.stringify(o)} is not an origin`, { hint: 'an origin is scheme://host[:port], without a path or a trailing slash', details: { field: `${field}[${i}]` } });
    }
    return o.toLowerCase();
  });
}

/**
 * Lets pages on `origins` send events from the browser: answers preflight
 * `OPTIONS` on the browser collector routes (no auth: a preflight carries no
 * credentials) and adds `Access-Control-Allow-Origin` to their responses —
 * errors too, so the SDK can read a 429's `Retry-After`. Other origins get
 * no CORS headers, so the browser refuses to send for them.
 */
export function registerCollectorCors(app: FastifyInstance, origins: readonly string[]): void {
  const any = origins.includes('*');
  const allowed = (origin: string | undefined) => origin !== undefined && (any || origins.includes(origin.toLowerCase()));
  const allowOrigin = (origin: string) => (any ? '*' : origin);
  const preflight = async (request: { headers: Record<string, string | string[] | undefined> }, reply: import('fastify').FastifyReply) => {
    const origin = request.headers.origin as string | undefined;
    reply.header('vary', 'Origin');
    if (!allowed(origin)) return reply.status(403).send({ error: { code: 'http.cors_origin', message: `origin ${origin ?? '(none)'} may not send events here`, hint: 'add it to collector.allowed_origins in ade.yaml' } });
    return reply
      .status(204)
      .header('access-control-allow-origin', allowOrigin(origin!))
      .header('access-control-allow-methods', 'POST')
      .header('access-control-allow-headers', 'authorization, content-type')
      .header('access-control-max-age', '86400')
      .send();
  };
  app.options('/v1/:call', preflight);
  app.options('/v1/events/:stream', preflight);
  app.addHook('onSend', async (request, reply, payload) => {
    const origin = request.headers.origin;
    if (request.method !== 'OPTIONS' && browserCollectorPath(request.url.split('?')[0]!) && allowed(origin)) {
      reply.header('access-control-allow-origin', allowOrigin(origin!));
      reply.header('access-control-expose-headers', 'retry-after');
      reply.header('vary', 'Origin');
    }
    return payload;
  });
}

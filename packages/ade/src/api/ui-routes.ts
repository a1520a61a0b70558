import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Only the server itself: scripts, styles, images and API calls (ECharts and CodeMirror set inline styles). */
export const UI_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const NO_UI = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ade</title></head>
<body><h1>ade</h1><p>The web UI is not built. Run <code>npm run build</code> (or <code>npm run build -w packages/ui</code>) and restart <code>ade serve</code>. The API is at <a href="/openapi.json">/v1</a>.</p></body></html>
`;

/** Paths that are the API's, never the UI's: unknown ones stay JSON 404s. */
export function isApiPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/') || path === '/health' || path === '/ready' || path === '/openapi.json';
}

/**
 * The built web UI (packages/ui/dist) at `/`: hashed files under /assets/
 * cached for a year, index.html never cached, and index.html for any other
 * GET a browser makes for a page (the app routes on the client). Without a
 * built UI, `/` says how to build it. The files need no token: the app logs
 * in with one and sends it on its API calls.
 */
export function registerUi(app: FastifyInstance, uiDir: string | undefined): { fallback(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined } {
  const built = uiDir !== undefined && existsSync(join(uiDir, 'index.html'));
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', UI_CSP);
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
  if (built) {
    void app.register(fastifyStatic, {
      root: uiDir,
      prefix: '/',
      wildcard: true,
      index: 'index.html',
      cacheControl: false,
      dotfiles: 'deny',
      setHeaders: (reply, path) => {
        if (path.endsWith('index.html')) reply.header('cache-control', 'no-cache');
        else if (/[/\\]assets[/\\]/.test(path)) reply.header('cache-control', 'public, max-age=31536000, immutable');
        else reply.header('cache-control', 'public, max-age=3600');
      },
    });
  } else {
    app.get('/', async (_request, reply) => reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(NO_UI));
  }
  return {
    /** index.html for a browser's GET of a page that is not a file nor the API's; undefined when the request is not one. */
    fallback(request, reply) {
      const path = request.url.split('?')[0]!;
      if ((request.method !== 'GET' && request.method !== 'HEAD') || isApiPath(path) || path.startsWith('/assets/')) return undefined;
      if (!(request.headers.accept ?? '').includes('text/html')) return undefined;
      if (!built) return reply.status(200).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(NO_UI);
      return reply.status(200).header('cache-control', 'no-cache').sendFile('index.html');
    },
  };
}

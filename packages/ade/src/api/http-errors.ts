import { AdeError, NotFoundError, PermissionError, ValidationError } from '../kernel/index.js';

/**
 * The one place errors become HTTP: a status and `{ error: { code, message, hint } }`.
 * Query workers: `query.timeout` 504, `query.busy` (with Retry-After), `query.closed` and
 * `query.out_of_memory` 503, `query.worker_crashed` 500 (its code shown).
 */
export function httpError(e: unknown): { status: number; body: { error: { code: string; message: string; hint?: string } } } {
  if (e instanceof AdeError) {
    const status =
      e.code.startsWith('auth.')
        ? 401
        : e instanceof PermissionError || e.code === 'permission.denied'
          ? 403
          : e instanceof NotFoundError || e.code.endsWith('.not_found') || e.code === 'ml.model_not_found' || e.code === 'ml.alias_not_found'
            ? 404
            : e.code === 'catalog.commit_conflict'
              ? 409
              : e.code === 'quality.blocked'
                ? 422
                : e.code === 'collector.buffer_full'
                  ? 429
                  : e.code === 'collector.payload_too_large' || e.code === 'collector.request_too_large'
                    ? 413
                : e.code === 'ml.no_previous_version'
                  ? 409
                : e instanceof ValidationError || /^(validation|config|load|model|privacy)\./.test(e.code) || (e.code.startsWith('ml.') && e.code !== 'ml.python_failed' && e.code !== 'ml.no_model') || e.code === 'engine.syntax_error' || e.code === 'engine.query_failed'
                  ? 400
                  : e.code === 'query.timeout'
                    ? 504 // the query worker ran out of time (not the client: 408 would invite an immediate resend)
                  : e.code === 'query.busy' || e.code === 'query.closed' || e.code === 'query.out_of_memory'
                    ? 503
                  : e.code === 'engine.timeout'
                    ? 408
                    : e.code === 'engine.out_of_memory'
                      ? 503
                      : 500;
    return { status, body: { error: { code: e.code, message: e.message.split('\n')[0]!, ...(e.hint ? { hint: e.hint } : {}) } } };
  }
  const fastify = e as { statusCode?: number; code?: string; message?: string };
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, body: { error: { code: `http.${String(fastify.code ?? fastify.statusCode).toLowerCase()}`, message: fastify.message ?? 'bad request' } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error', hint: 'the server logged the details; please report it' } } };
}

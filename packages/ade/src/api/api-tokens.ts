import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiToken, CatalogStore } from '../catalog/index.js';
import { AdeError, uuidv7, type Principal, type Role } from '../kernel/index.js';

/** Server secrets nobody should run with (samples, placeholders). */
const KNOWN_SECRETS = new Set(['secret', 'changeme', 'change-me', 'password', 'ade', 'ade-secret', 'development', 'test', 'example']);
/** Fewest characters a server secret may have. */
export const MIN_SECRET_CHARS = 32;

/** An unauthenticated or unauthorised request. */
export class AuthError extends AdeError {
  /** Who presented the token, when it is a valid token of the wrong kind (the audit log names it). */
  readonly actor: string | undefined;
  constructor(message: string, hint = 'send `Authorization: Bearer <token>` with a token from `ade tokens create`', actor?: string) {
    super('auth.unauthenticated', message, { hint });
    this.actor = actor;
  }
}

/** Refuses a missing, short or well-known server secret (it keys every token's hash). */
export function checkServerSecret(secret: string | undefined): string {
  if (!secret) {
    throw new AdeError('config.no_secret', 'the server needs a secret and none is configured', {
      hint: 'set server.secret_env in ade.yaml to the name of an environment variable holding at least 32 random characters (e.g. `openssl rand -hex 32`)',
    });
  }
  if (secret.length < MIN_SECRET_CHARS || KNOWN_SECRETS.has(secret.toLowerCase()) || new Set(secret).size < 8) {
    throw new AdeError('config.weak_secret', `the server secret is too short or too well known (at least ${MIN_SECRET_CHARS} random characters)`, {
      hint: 'generate one with `openssl rand -hex 32`',
    });
  }
  return secret;
}

const hashOf = (secret: string, part: string) => createHmac('sha256', secret).update(part).digest('hex');

/**
 * Creates a token: `ade_<id>_<43 random base64url chars>`. The catalog keeps
 * only HMAC-SHA256(server secret, random part); the token itself is shown once.
 */
export async function issueToken(
  catalog: CatalogStore,
  secret: string,
  t: { name: string; role: Role; createdBy: string; source?: string },
): Promise<{ token: string; info: ApiToken }> {
  const id = uuidv7().replaceAll('-', '');
  const part = randomBytes(32).toString('base64url');
  const info = await catalog.createApiToken({ id, name: t.name, role: t.role, hash: hashOf(secret, part), createdBy: t.createdBy, ...(t.source ? { source: t.source } : {}) });
  await catalog.audit({ actor: t.createdBy, action: 'token.create', target: `token:${id}`, details: { name: t.name, role: t.role, ...(t.source ? { ingestKeyFor: t.source } : {}) } });
  return { token: `ade_${id}_${part}`, info };
}

const TOKEN = /^ade_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

/** The token in a request: `Bearer <token>`, or HTTP basic auth with the token as user name (how Segment clients send write keys). */
function tokenOf(authorization: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (basic) return Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

type TokenPrincipal = Principal & { tokenId: string; source?: string };

/**
 * The principal a token stands for; AuthError for anything else (unknown,
 * revoked, malformed). `want` says which kind the route takes: ingest
 * keys only write events (collector routes), API tokens never do.
 */
export async function authenticate(catalog: CatalogStore, secret: string, authorization: string | undefined, want: 'api' | 'ingest' = 'api'): Promise<TokenPrincipal> {
  return principalOf(await verifiedToken(catalog, secret, tokenOf(authorization), want), want);
}

/** The catalog's record of a valid, unrevoked `token` (one lookup and one HMAC). */
async function verifiedToken(catalog: CatalogStore, secret: string, token: string | undefined, want: 'api' | 'ingest'): Promise<ApiToken> {
  if (!token) throw new AuthError(want === 'api' ? 'no bearer token' : 'no write key', want === 'ingest' ? 'send the source\'s write key as the basic-auth user name (as Segment clients do) or as a bearer token' : undefined);
  const parts = TOKEN.exec(token);
  if (!parts) throw new AuthError('the token is malformed');
  const stored = await catalog.getApiToken(parts[1]!);
  const expected = Buffer.from(stored?.hash ?? '0'.repeat(64), 'hex');
  const actual = Buffer.from(hashOf(secret, parts[2]!), 'hex');
  if (!stored || !timingSafeEqual(expected, actual)) throw new AuthError('the token is not valid');
  if (stored.revokedAt) throw new AuthError('the token was revoked', 'ask an admin for a new one');
  return stored;
}

/** The principal of a verified token, if it is of the kind the route takes. */
function principalOf(stored: ApiToken, want: 'api' | 'ingest'): TokenPrincipal {
  if (want === 'api' && stored.source) throw new AuthError('an ingest key only sends events', 'use an API token (ade tokens create --role …) for this route', `token:${stored.name}`);
  if (want === 'ingest' && !stored.source) throw new AuthError('this route takes a source\'s write key', 'create one with `ade tokens create --ingest <source> --name … --as admin`', `token:${stored.name}`);
  return { name: `token:${stored.name}`, role: stored.role, tokenId: stored.id, ...(stored.source ? { source: stored.source } : {}) };
}

export interface AuthCacheOptions {
  /** How long a successful verification is reused without asking the catalog; a revoked token keeps working at most this long. */
  readonly ttlMs: number;
  /** Most tokens remembered at once (the oldest make way). */
  readonly maxEntries: number;
  /** Milliseconds now (tests pass their own). */
  readonly now: () => number;
}

export const DEFAULT_AUTH_CACHE: AuthCacheOptions = { ttlMs: 2_000, maxEntries: 10_000, now: Date.now };

/**
 * `authenticate` for a server: a token verified in the last `ttlMs` is not
 * looked up and HMACed again (a hot write key sends hundreds of requests a
 * second). Only successes are remembered, keyed by a SHA-256 of the whole
 * token (the token itself is not kept); the route kind is checked every time.
 *
 * ```ts
 * const auth = cachedAuthenticator(lake.catalog, secret);
 * const principal = await auth(request.headers.authorization, 'ingest');
 * ```
 */
export function cachedAuthenticator(catalog: CatalogStore, secret: string, options: Partial<AuthCacheOptions> = {}): (authorization: string | undefined, want?: 'api' | 'ingest') => Promise<TokenPrincipal> {
  const { ttlMs, maxEntries, now } = { ...DEFAULT_AUTH_CACHE, ...options };
  const verified = new Map<string, { token: ApiToken; until: number }>();
  return async (authorization, want = 'api') => {
    const token = tokenOf(authorization);
    const key = token === undefined ? undefined : hash('sha256', token, 'base64');
    const hit = key === undefined ? undefined : verified.get(key);
    if (hit && hit.until > now()) return principalOf(hit.token, want);
    const stored = await verifiedToken(catalog, secret, token, want);
    if (key !== undefined && ttlMs > 0) {
      verified.delete(key);
      while (verified.size >= maxEntries) verified.delete(verified.keys().next().value!);
      verified.set(key, { token: stored, until: now() + ttlMs });
    }
    return principalOf(stored, want);
  };
}

/** API tokens as the catalog keeps them: an id, a role, and an HMAC of the secret — never the token. */
import { ValidationError, isRole, type Role } from '../kernel/index.js';
import { checkText, type CatalogContext } from './catalog-context.js';
import type { SqlExecutor } from './sql-driver.js';

export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** Set for a write-only ingest key: the source its events go to (it can do nothing else). */
  readonly source?: string;
  /** HMAC-SHA256 of the token's secret part under the server secret (hex). */
  readonly hash: string;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly lastUsedAt?: Date;
  readonly revokedAt?: Date;
}

type Row = { id: string; name: string; role: string; source: string | null; hash: string; created_by: string; created_at: number; last_used_at: number | null; revoked_at: number | null };

const toToken = (r: Row): ApiToken => ({
  id: r.id,
  name: r.name,
  role: r.role as Role,
  ...(r.source !== null ? { source: r.source } : {}),
  hash: r.hash,
  createdBy: r.created_by,
  createdAt: new Date(Number(r.created_at)),
  ...(r.last_used_at !== null ? { lastUsedAt: new Date(Number(r.last_used_at)) } : {}),
  ...(r.revoked_at !== null ? { revokedAt: new Date(Number(r.revoked_at)) } : {}),
});

export async function createApiToken(tx: SqlExecutor, ctx: CatalogContext, t: { id: string; name: string; role: Role; source?: string; hash: string; createdBy: string }): Promise<ApiToken> {
  checkText('name', t.name);
  if (!isRole(t.role)) throw new ValidationError(`unknown role ${JSON.stringify(t.role)}`, { code: 'validation.role' });
  if (!/^[0-9a-f]{64}$/.test(t.hash)) throw new ValidationError('a token hash is 64 hex digits', { code: 'validation.invalid' });
  const [row] = await tx.query<Row>(
    `INSERT INTO api_tokens (id, name, role, source, hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    [t.id, t.name, t.role, t.source ?? null, t.hash, t.createdBy, ctx.clock.now().getTime()],
  );
  return toToken(row!);
}

export async function getApiToken(tx: SqlExecutor, id: string): Promise<ApiToken | undefined> {
  const [row] = await tx.query<Row>('SELECT * FROM api_tokens WHERE id = ?', [id]);
  return row ? toToken(row) : undefined;
}

export async function listApiTokens(tx: SqlExecutor): Promise<ApiToken[]> {
  return (await tx.query<Row>('SELECT * FROM api_tokens ORDER BY created_at, id')).map(toToken);
}

/** Revokes a token for good; false when it does not exist or was revoked already. */
export async function revokeApiToken(tx: SqlExecutor, ctx: CatalogContext, id: string): Promise<boolean> {
  const r = await tx.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [ctx.clock.now().getTime(), id]);
  return r.changes > 0;
}

/** Notes a token's use (at most once a minute per token, so reads stay cheap). */
export async function touchApiToken(tx: SqlExecutor, ctx: CatalogContext, id: string): Promise<void> {
  const now = ctx.clock.now().getTime();
  await tx.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)', [now, id, now - 60_000]);
}

import { checkServerSecret, issueToken } from '../../api/api-tokens.js';
import { parseRole, PermissionError, ValidationError } from '../../kernel/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';

function requireAdmin(ctx: CommandContext): void {
  if (ctx.principal.role !== 'admin') {
    throw new PermissionError('managing API tokens needs the admin role', { hint: 'run with --as admin (if ade.yaml grants it to you: access.granted_roles)' });
  }
}

/** `ade tokens create|list|revoke`: API tokens for `ade serve` (admin). A new token is shown once; the catalog keeps only its HMAC. */
export async function tokensCommand(
  ctx: CommandContext,
  action: string,
  arg: string | undefined,
  opts: { role?: string; name?: string; ingest?: string },
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  requireAdmin(ctx);
  if (action === 'create') {
    if (!opts.name?.trim()) throw new ValidationError('a token needs --name', { hint: 'e.g. ade tokens create --role analyst --name dashboards --as admin' });
    if (opts.ingest !== undefined && !ctx.project.sources.some((s) => s.name === opts.ingest)) {
      throw new ValidationError(`no source ${opts.ingest} in ade.yaml`, { code: 'validation.source', hint: 'an ingest key sends events to one declared source' });
    }
    const role = parseRole(opts.ingest !== undefined ? 'viewer' : (opts.role ?? 'viewer'));
    const secret = checkServerSecret(env[ctx.project.server.secretEnv]);
    const { token, info } = await issueToken(ctx.lake.catalog, secret, { name: opts.name.trim(), role, createdBy: ctx.principal.name, ...(opts.ingest ? { source: opts.ingest } : {}) });
    ctx.out.result({ token, id: info.id, name: info.name, role: info.role, ...(info.source ? { source: info.source } : {}) }, () =>
      [`${info.source ? `write key for source ${info.source}` : 'token'} ${info.id} (${info.name}${info.source ? '' : `, ${info.role}`}) — shown once, keep it secret:`, token].join('\n'),
    );
    return;
  }
  if (action === 'list') {
    const tokens = await ctx.lake.catalog.listApiTokens();
    const rows = tokens.map(({ hash: _hash, ...t }) => t);
    ctx.out.result(rows, () =>
      rows.length
        ? renderTable(
            ['id', 'name', 'role', 'created', 'last used', 'revoked'],
            rows.map((t) => [t.id, t.name, t.role, t.createdAt.toISOString().slice(0, 19), t.lastUsedAt?.toISOString().slice(0, 19) ?? '', t.revokedAt?.toISOString().slice(0, 19) ?? '']),
          )
        : 'no tokens (create one with `ade tokens create --role analyst --name <who> --as admin`)',
    );
    return;
  }
  if (action === 'revoke') {
    if (!arg) throw new ValidationError('which token? `ade tokens revoke <id>`', { hint: '`ade tokens list --as admin` shows the ids' });
    const done = await ctx.lake.catalog.revokeApiToken(arg);
    if (!done) throw new ValidationError(`no active token ${arg}`, { code: 'validation.token', hint: '`ade tokens list --as admin` shows the ids' });
    await ctx.lake.catalog.audit({ actor: ctx.principal.name, action: 'token.revoke', target: `token:${arg}` });
    ctx.out.result({ revoked: arg }, () => `revoked ${arg}`);
    return;
  }
  throw new ValidationError(`unknown tokens action ${JSON.stringify(action)}`, { hint: 'use create, list or revoke' });
}

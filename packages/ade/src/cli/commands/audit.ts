import { PermissionError, ValidationError } from '../../kernel/index.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { renderTable } from '../output.js';

/**
 * `ade audit list|verify` (admin): the hash-chained audit log — its newest
 * events, or a check that no event was changed, removed or added (exit 7 if so).
 */
export async function auditCommand(ctx: CommandContext, action: string, opts: { limit?: string }): Promise<number> {
  if (ctx.principal.role !== 'admin') throw new PermissionError('the audit log is for admins', { hint: 'run with --as admin' });
  if (action === 'verify') {
    const problems = (await ctx.lake.catalog.checkIntegrity()).filter((p) => p.table === '(audit log)');
    const events = (await ctx.lake.catalog.listAudit({ limit: 1 }))[0];
    ctx.out.result({ ok: problems.length === 0, problems }, () =>
      problems.length === 0
        ? `the audit log is intact (${events ? `last event ${events.id}, ${events.action} by ${events.actor}` : 'no events yet'})`
        : ['the audit log was tampered with:', ...problems.map((p) => `  ${p.problem}`)].join('\n'),
    );
    return problems.length ? EXIT.integrity : EXIT.ok;
  }
  if (action !== 'list') throw new ValidationError(`unknown audit action ${JSON.stringify(action)}`, { hint: 'use list or verify' });
  const limit = opts.limit ? Number(opts.limit) : 50;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ValidationError(`--limit ${opts.limit} is not a positive whole number`);
  const events = await ctx.lake.catalog.listAudit({ limit });
  ctx.out.result(events, () =>
    renderTable(
      ['id', 'at', 'actor', 'action', 'target'],
      events.map((e) => [String(e.id), e.at.toISOString().replace('T', ' ').slice(0, 19), e.actor, e.action, e.target.length > 60 ? `${e.target.slice(0, 59)}…` : e.target]),
    ),
  );
  return EXIT.ok;
}

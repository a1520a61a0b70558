import { collectGarbage } from '../../lake/index.js';
import { formatBytes, parseDuration, PermissionError, roleAtLeast } from '../../kernel/index.js';
import type { CommandContext } from '../context.js';

/** `ade gc`: expire old snapshots, delete files nothing retained references. */
export async function gcCommand(ctx: CommandContext, opts: { retention?: string; grace?: string; dryRun?: boolean }): Promise<void> {
  if (!roleAtLeast(ctx.principal.role, 'engineer')) {
    throw new PermissionError('gc deletes files and needs the engineer role', { hint: 'run `ade gc --as engineer`' });
  }
  const report = await collectGarbage(ctx.lake, {
    ...ctx.project.gc,
    ...(opts.retention ? { retentionMs: parseDuration(opts.retention, '--retention') } : {}),
    ...(opts.grace ? { graceMs: parseDuration(opts.grace, '--grace') } : {}),
    dryRun: Boolean(opts.dryRun),
  });
  ctx.out.result(report, () =>
    [
      `${report.dryRun ? 'would expire' : 'expired'} ${report.expiredSnapshots} snapshot(s)`,
      `${report.dryRun ? 'would delete' : 'deleted'} ${report.deletedFiles} unreferenced file(s) and ${report.deletedOrphans} orphan(s), ${formatBytes(report.freedBytes)}`,
      `kept ${report.keptInGrace} recent unreferenced file(s) inside the grace period`,
      ...(report.deletedStaging ? [`removed ${report.deletedStaging} staging folder(s) left by writers that died`] : []),
    ].join('\n'),
  );
}

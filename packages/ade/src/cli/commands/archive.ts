import { archiveSources, type ArchiveReport } from '../../ingest/index.js';
import { formatBytes, NotFoundError, PermissionError, roleAtLeast } from '../../kernel/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';

/** `ade archive [source] [--dry-run]`: raw files past raw_retention to the archive zone; archived files past archive_retention deleted. */
export async function archiveCommand(ctx: CommandContext, sourceName: string | undefined, opts: { dryRun?: boolean }): Promise<ArchiveReport[]> {
  if (!roleAtLeast(ctx.principal.role, 'engineer')) {
    throw new PermissionError('ade archive moves and deletes raw files and needs the engineer role', { hint: 'run `ade archive --as engineer`' });
  }
  const sources = sourceName === undefined ? ctx.project.sources : ctx.project.sources.filter((s) => s.name === sourceName);
  if (sourceName !== undefined && sources.length === 0) {
    throw new NotFoundError('source', sourceName, {
      hint: ctx.project.sources.length ? `sources in ade.yaml: ${ctx.project.sources.map((s) => s.name).join(', ')}` : 'declare sources under `sources:` in ade.yaml',
    });
  }
  const reports = await archiveSources(ctx.lake, ctx.principal, sources, { dryRun: Boolean(opts.dryRun) });
  ctx.out.result({ dryRun: Boolean(opts.dryRun), sources: reports }, () => render(reports, sources.filter((s) => s.rawRetentionMs === undefined && s.archiveRetentionMs === undefined).map((s) => s.name), Boolean(opts.dryRun)));
  return reports;
}

function render(reports: readonly ArchiveReport[], withoutRetention: readonly string[], dryRun: boolean): string {
  if (reports.length === 0) return 'no sources in ade.yaml';
  const lines = [
    renderTable(
      ['source', dryRun ? 'would move' : 'moved', 'bytes', dryRun ? 'would delete' : 'deleted', 'bytes'],
      reports.map((r) => [r.source, r.moved, formatBytes(r.bytes), r.deleted, formatBytes(r.deletedBytes)]),
    ),
  ];
  if (withoutRetention.length) lines.push(`no raw_retention or archive_retention (files kept): ${withoutRetention.join(', ')}`);
  for (const r of reports) {
    if (r.leftoversRemoved) lines.push(`${r.source}: removed ${r.leftoversRemoved} raw copy(ies) an interrupted run left behind`);
    for (const p of r.problems) lines.push(`${r.source}: ${p.key}: ${p.problem}`);
  }
  return lines.join('\n');
}

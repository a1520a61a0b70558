import { parseTableRef } from '../../kernel/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';

/** The table's snapshots, newest first. */
export async function historyCommand(ctx: CommandContext, ref: string, opts: { limit?: string }): Promise<void> {
  const table = parseTableRef(ref);
  await ctx.lake.pin(ctx.principal, table);
  const history = await ctx.lake.catalog.history(table, { limit: opts.limit ? Number(opts.limit) : 50 });
  ctx.out.result(history, () =>
    renderTable(
      ['snapshot', 'seq', 'parent', 'operation', 'committed', 'by', 'batch', 'summary'],
      history.map((s) => [s.id, s.seq, s.parentId ?? '—', s.operation, s.committedAt.toISOString(), s.committer, s.batchId ?? '—', s.summary]),
    ),
  );
}

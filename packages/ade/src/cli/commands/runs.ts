import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';

/** `ade runs`: the run ledger, newest first. */
export async function runsCommand(ctx: CommandContext, opts: { limit?: string; kind?: string }): Promise<void> {
  const runs = await ctx.lake.catalog.listRuns({ limit: opts.limit ? Number(opts.limit) : 20, ...(opts.kind ? { kind: opts.kind } : {}) });
  ctx.out.result(runs, () =>
    runs.length === 0
      ? 'no runs yet'
      : renderTable(
          ['run', 'kind', 'target', 'state', 'attempts', 'started', 'seconds', 'rows', 'error'],
          runs.map((r) => [
            r.id,
            r.kind,
            r.target,
            r.state,
            r.attempts,
            r.startedAt?.toISOString() ?? '—',
            r.startedAt && r.finishedAt ? ((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000).toFixed(2) : '—',
            (r.info.rows as number | undefined) ?? '—',
            r.error ? r.error.split('\n')[0] : '',
          ]),
        ),
  );
}

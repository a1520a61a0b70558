import { formatBytes, formatTableRef, parseTableRef } from '../../kernel/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';

/** Schema, recent snapshots, files and sizes of one table. */
export async function describeCommand(ctx: CommandContext, ref: string, opts: { snapshot?: string }): Promise<void> {
  const table = parseTableRef(ref);
  const pinned = await ctx.lake.pin(ctx.principal, table, opts.snapshot ? { snapshotId: Number(opts.snapshot) } : undefined);
  const history = await ctx.lake.catalog.history(table, { limit: 10 });
  const stats = new Map<string, { nulls: number; min: unknown; max: unknown }>();
  for (const f of pinned.files) {
    for (const [col, s] of Object.entries(f.columnStats)) {
      const acc = stats.get(col) ?? { nulls: 0, min: undefined, max: undefined };
      acc.nulls += s.nulls;
      if (s.min !== undefined && s.min !== null && (acc.min === undefined || (s.min as never) < (acc.min as never))) acc.min = s.min;
      if (s.max !== undefined && s.max !== null && (acc.max === undefined || (s.max as never) > (acc.max as never))) acc.max = s.max;
      stats.set(col, acc);
    }
  }
  const rows = pinned.files.reduce((s, f) => s + f.rows, 0);
  const bytes = pinned.files.reduce((s, f) => s + f.bytes, 0);
  const value = {
    table: formatTableRef(pinned.table),
    kind: pinned.table.kind,
    description: pinned.table.description,
    owner: pinned.table.owner,
    tags: pinned.table.tags,
    snapshot: pinned.snapshot ?? null,
    schemaVersion: pinned.schema.version,
    columns: pinned.schema.columns.map((c) => ({ ...c, ...(stats.get(c.name) ?? {}) })),
    rows,
    bytes,
    files: pinned.files.map((f) => ({ path: f.path, rows: f.rows, bytes: f.bytes, batchId: f.batchId, partition: f.partition ?? null })),
    history,
  };
  ctx.out.result(value, () => {
    const head = [
      `${value.table}  (${value.kind}${value.description ? ` — ${value.description}` : ''})`,
      `owner ${value.owner || '—'} · snapshot ${value.snapshot?.id ?? 'none'} · schema v${value.schemaVersion} · ${rows.toLocaleString('en-US')} rows · ${pinned.files.length} files · ${formatBytes(bytes)}`,
    ].join('\n');
    const cols = renderTable(
      ['id', 'column', 'type', 'nullable', 'privacy', 'nulls', 'min', 'max'],
      value.columns.map((c) => [c.id, c.name, c.type, c.nullable ? 'yes' : 'no', c.privacy, c.nulls ?? '—', c.min, c.max]),
    );
    const hist = renderTable(
      ['snapshot', 'seq', 'operation', 'committed', 'by', 'batch', 'rows'],
      history.map((s) => [s.id, s.seq, s.operation, s.committedAt.toISOString(), s.committer, s.batchId ?? '—', (s.summary.rows as number | undefined) ?? '—']),
    );
    return `${head}\n\n${cols}\n\nrecent snapshots\n${hist}`;
  });
}

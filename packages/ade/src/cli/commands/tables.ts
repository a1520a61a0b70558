import { formatBytes, formatTableRef } from '../../kernel/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';

export interface TableRow {
  readonly table: string;
  readonly kind: string;
  readonly snapshot: number | null;
  readonly rows: number;
  readonly files: number;
  readonly bytes: number;
  readonly updated: string | null;
  readonly description: string;
}

/** Tables the acting role may read, with sizes of their current snapshots. */
export async function listTables(ctx: CommandContext, opts: { zone?: string }): Promise<TableRow[]> {
  const tables = await ctx.lake.tables(ctx.principal);
  const out: TableRow[] = [];
  for (const t of tables) {
    if (opts.zone && t.zone !== opts.zone) continue;
    const pinned = await ctx.lake.catalog.pin(t);
    out.push({
      table: formatTableRef(t),
      kind: t.kind,
      snapshot: pinned.snapshot?.id ?? null,
      rows: pinned.files.reduce((s, f) => s + f.rows, 0),
      files: pinned.files.length,
      bytes: pinned.files.reduce((s, f) => s + f.bytes, 0),
      updated: pinned.snapshot?.committedAt.toISOString() ?? null,
      description: t.description,
    });
  }
  return out;
}

export async function tablesCommand(ctx: CommandContext, opts: { zone?: string }): Promise<void> {
  const rows = await listTables(ctx, opts);
  ctx.out.result(rows, () =>
    rows.length === 0
      ? `no tables yet (as ${ctx.principal.role}); load one with \`ade load <file> --table clean.<name> --as engineer\``
      : renderTable(
          ['table', 'kind', 'snapshot', 'rows', 'files', 'size', 'updated'],
          rows.map((r) => [r.table, r.kind, r.snapshot ?? '—', r.rows.toLocaleString('en-US'), r.files, formatBytes(r.bytes), r.updated ?? '—']),
        ),
  );
}

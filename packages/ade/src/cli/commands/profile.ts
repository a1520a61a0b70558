import { parseTableRef, ValidationError } from '../../kernel/index.js';
import { profileTable } from '../../quality/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';

/** `ade profile <zone.table> [--snapshot id]`: what each column of a snapshot holds, computed now. */
export async function profileCommand(ctx: CommandContext, ref: string, opts: { snapshot?: string }): Promise<void> {
  const snapshotId = opts.snapshot === undefined ? undefined : Number(opts.snapshot);
  if (snapshotId !== undefined && !Number.isSafeInteger(snapshotId)) {
    throw new ValidationError(`--snapshot ${JSON.stringify(opts.snapshot)} is not a snapshot id`, { code: 'validation.snapshot', hint: '`ade history <table>` lists them' });
  }
  const p = await profileTable(ctx.lake, ctx.principal, parseTableRef(ref), snapshotId !== undefined ? { snapshotId } : {});
  const short = (v: unknown, n = 24) => {
    if (v === undefined || v === null) return '';
    const s = String(v);
    return s.length > n ? `${s.slice(0, n - 1)}…` : s;
  };
  const fixed = (v: number | undefined) => (v === undefined ? '' : Number.isInteger(v) ? String(v) : v.toPrecision(4));
  ctx.out.result(p, () =>
    [
      `${p.table} · snapshot ${p.snapshotId ?? 'none'} · ${p.rows.toLocaleString('en-US')} rows · ${p.scans} scan(s) · ${p.seconds.toFixed(2)} s`,
      renderTable(
        ['column', 'type', 'nulls', 'distinct', 'min', 'max', 'mean', 'p50', 'top values'],
        p.columns.map((c) => [
          c.privacy === 'personal' || c.privacy === 'sensitive' ? `${c.name} (${c.privacy})` : c.name,
          short(c.type, 16),
          `${(c.nullRatio * 100).toFixed(1)}%`,
          `${c.distinctExact ? '' : '≈'}${c.distinct.toLocaleString('en-US')}`,
          short(c.min),
          short(c.max),
          fixed(c.mean),
          short(c.quantiles?.p50),
          (c.top ?? []).map((t) => `${short(t.value, 16)} (${t.count.toLocaleString('en-US')})`).join(', '),
        ]),
      ),
    ].join('\n'),
  );
}

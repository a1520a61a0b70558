import { parseTableRef, ValidationError, type TableRef } from '../../kernel/index.js';
import { formatTableRef } from '../../kernel/index.js';
import { profileTable, type TableProfile } from '../../quality/index.js';
import type { DayProfile } from '../../quality/profile-table.js';
import { rollupProfiles } from '../../quality/rollup-profiles.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';

/** `ade profile <zone.table> [--snapshot id]`: what each column of a snapshot holds, computed now. */
export async function profileCommand(ctx: CommandContext, ref: string, opts: { snapshot?: string; by?: string }): Promise<void> {
  const snapshotId = opts.snapshot === undefined ? undefined : Number(opts.snapshot);
  if (snapshotId !== undefined && !Number.isSafeInteger(snapshotId)) {
    throw new ValidationError(`--snapshot ${JSON.stringify(opts.snapshot)} is not a snapshot id`, { code: 'validation.snapshot', hint: '`ade history <table>` lists them' });
  }
  const table = parseTableRef(ref);
  if (opts.by !== undefined) return periodProfiles(ctx, table, opts.by);
  // A snapshot's profile is computed once (on commit, or by the first `ade profile`) and kept in the catalog.
  const pinned = await ctx.lake.pin(ctx.principal, table, snapshotId !== undefined ? { snapshotId } : undefined);
  const stored = pinned.snapshot
    ? (await ctx.lake.catalog.listProfiles(formatTableRef(table), { snapshotId: pinned.snapshot.id, scope: 'table', limit: 1 }))[0]
    : undefined;
  let p: TableProfile & { stored?: boolean };
  if (stored) p = { ...(stored.profile as TableProfile), stored: true };
  else if (!pinned.snapshot) p = await profileTable(ctx.lake, ctx.principal, table);
  // Not profiled yet (say, before quality.profile was on): profiled and stored now, as a commit would have been.
  // (Undefined only when another process stored it in the meantime: then it is computed here once more.)
  else p = (await ctx.quality.profileSnapshot(table, pinned.snapshot.id)) ?? (await profileTable(ctx.lake, ctx.principal, table, { snapshotId: pinned.snapshot.id }));
  const short = (v: unknown, n = 24) => {
    if (v === undefined || v === null) return '';
    const s = String(v);
    return s.length > n ? `${s.slice(0, n - 1)}…` : s;
  };
  const fixed = (v: number | undefined) => (v === undefined ? '' : Number.isInteger(v) ? String(v) : v.toPrecision(4));
  ctx.out.result(p, () =>
    [
      `${p.table} · snapshot ${p.snapshotId ?? 'none'} · ${p.rows.toLocaleString('en-US')} rows · ${p.stored ? 'stored profile' : `${p.scans} scan(s) · ${p.seconds.toFixed(2)} s`}`,
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

/** `--by week|month`: the stored day profiles of the current days, combined per period. */
async function periodProfiles(ctx: CommandContext, table: TableRef, by: string): Promise<void> {
  if (by !== 'week' && by !== 'month') throw new ValidationError(`--by ${JSON.stringify(by)} is not week or month`, { code: 'validation.invalid' });
  const pinned = await ctx.lake.pin(ctx.principal, table);
  const live = new Set(pinned.files.flatMap((f) => (f.partition !== undefined ? [f.partition] : [])));
  if (live.size === 0) {
    throw new ValidationError(`${formatTableRef(table)} is not partitioned by day`, { code: 'validation.invalid', hint: 'week and month views combine the profiles of a day model\'s days' });
  }
  const stored = await ctx.lake.catalog.listProfiles(formatTableRef(table), { scopePrefix: 'day:', latestPerScope: true });
  const days = stored.map((s) => s.profile as DayProfile).filter((d) => live.has(d.day));
  const hidden = new Set(pinned.schema.columns.filter((c) => c.privacy === 'personal' || c.privacy === 'sensitive').map((c) => c.name));
  const periods = rollupProfiles(days, by);
  const missing = [...live].filter((d) => !days.some((x) => x.day === d)).sort();
  ctx.out.result({ table: formatTableRef(table), by, periods, daysWithoutProfile: missing }, () =>
    [
      `${formatTableRef(table)} by ${by} · ${days.length} day profile(s)${missing.length ? ` · ${missing.length} day(s) not profiled yet (profiles are taken when a day is built)` : ''}`,
      renderTable(
        ['period', 'days', 'rows', 'column', 'null %', 'distinct', 'min', 'max', 'mean', 'stddev'],
        periods.flatMap((p) =>
          p.columns.map((c, i) => [
            i === 0 ? p.period : '',
            i === 0 ? String(p.days) : '',
            i === 0 ? p.rows.toLocaleString('en-US') : '',
            c.name,
            `${(c.nullRatio * 100).toFixed(1)}`,
            c.distinctAtLeast === c.distinctAtMost ? String(c.distinctAtLeast) : `${c.distinctAtLeast}–${c.distinctAtMost}`,
            hidden.has(c.name) ? '' : String(c.min ?? '').slice(0, 19),
            hidden.has(c.name) ? '' : String(c.max ?? '').slice(0, 19),
            c.mean === undefined ? '' : c.mean.toPrecision(4),
            c.stddev === undefined ? '' : c.stddev.toPrecision(4),
          ]),
        ),
      ),
    ].join('\n'),
  );
}

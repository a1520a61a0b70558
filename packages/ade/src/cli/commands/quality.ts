import { join } from 'node:path';
import type { CheckResult, StagedSnapshot } from '../../catalog/index.js';
import type { TableBinding } from '../../engine/index.js';
import { assertCanRead, NotFoundError, parseTableRef, readableZones, ValidationError, type TableRef } from '../../kernel/index.js';
import type { QualityResult } from '../../quality/quality-service.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { renderTable } from '../output.js';

const short = (v: unknown, n = 60) => {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};

const mark = (r: Pick<CheckResult, 'status' | 'severity'>) =>
  r.status === 'pass' ? '✓ pass' : r.status === 'skipped' ? '· skipped' : r.severity === 'error' ? `✗ ${r.status}` : `! ${r.status} (warn)`;

function expectedText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && v !== null && 'low' in v && 'high' in v) {
    const e = v as { low: number; high: number };
    return `${Math.round(e.low * 1000) / 1000} … ${Math.round(e.high * 1000) / 1000}`;
  }
  return short(v, 30);
}

/** `ade check [table…]`: runs the declared checks on current snapshots now; exit 8 when an error check fails. */
export async function checkCommand(ctx: CommandContext, tables: readonly string[]): Promise<number> {
  const refs = tables.map(parseTableRef);
  if (ctx.quality.checks.length === 0) {
    throw new ValidationError('no checks are declared', {
      code: 'config.no_checks',
      hint: 'declare checks under `checks:` in ade.yaml or in a model header (see docs/quality.md)',
    });
  }
  for (const r of refs) {
    if (ctx.quality.checksFor(r).length === 0) throw new NotFoundError('checks for table', `${r.zone}.${r.name}`, { hint: '`ade check` with no table runs every declared check' });
  }
  const results = await ctx.quality.checkTables(refs.length ? refs : undefined);
  const failedErrors = results.filter((r) => r.severity === 'error' && (r.status === 'fail' || r.status === 'error'));
  const warnings = results.filter((r) => r.severity === 'warn' && (r.status === 'fail' || r.status === 'error'));
  ctx.out.result({ results, failed: failedErrors.length, warnings: warnings.length }, () =>
    [
      renderResults(results),
      `${results.length} check(s): ${results.filter((r) => r.status === 'pass').length} pass, ${failedErrors.length} error(s), ${warnings.length} warning(s)`,
    ].join('\n'),
  );
  return failedErrors.length ? EXIT.quality : EXIT.ok;
}

function renderResults(results: readonly QualityResult[]): string {
  return renderTable(
    ['table', 'check', 'result', 'observed', 'expected', 'message', 'alert'],
    results.map((r) => [r.table, r.check, mark(r), short(r.observed, 24), expectedText(r.expected), short(r.message, 70), r.alert ?? '']),
  );
}

/** `ade quality results [--table t] [--check id] [--limit n]`: check results with history, newest first. */
export async function resultsCommand(ctx: CommandContext, opts: { table?: string; check?: string; limit?: string; all?: boolean }): Promise<void> {
  const limit = opts.limit ? Number(opts.limit) : 50;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ValidationError(`--limit ${opts.limit} is not a positive whole number`);
  if (opts.table) assertCanRead(ctx.principal, parseTableRef(opts.table).zone);
  const readable = new Set<string>(readableZones(ctx.principal.role));
  const results = (
    await ctx.lake.catalog.listCheckResults({
      ...(opts.table ? { table: opts.table } : {}),
      ...(opts.check ? { checkId: opts.check } : {}),
      latest: !opts.all && !opts.check,
      limit,
    })
  ).filter((r) => readable.has(r.table.split('.')[0]!));
  ctx.out.result(results, () =>
    results.length === 0
      ? 'no check results yet (they are recorded when a checked table is written, or by `ade check`)'
      : renderTable(
          ['when', 'table', 'check', 'result', 'observed', 'expected', 'where', 'message'],
          results.map((r) => [
            r.checkedAt.toISOString().replace('T', ' ').slice(0, 19),
            r.table,
            r.check,
            mark(r),
            short(r.observed, 24),
            expectedText(r.expected),
            r.stagedId ? `staged ${r.stagedId.slice(-8)}` : r.snapshotId !== undefined ? `snapshot ${r.snapshotId}` : '',
            short(r.message, 60),
          ]),
        ),
  );
}

/** The staged snapshot as a table binding: the base snapshot's files it kept, plus the files it added. */
async function stagedBinding(ctx: CommandContext, s: StagedSnapshot, ref: TableRef): Promise<TableBinding> {
  const removed = new Set(s.removedPaths);
  const base = s.baseSnapshotId !== undefined ? await ctx.lake.catalog.files(ref, { snapshotId: s.baseSnapshotId }) : [];
  const keys = [...base.filter((f) => !removed.has(f.path)).map((f) => f.path), ...s.files.map((f) => f.path)];
  return {
    zone: ref.zone,
    name: ref.name,
    columns: s.columns.map((c) => ({ name: c.name, type: c.type })),
    files: await Promise.all(keys.map((k) => ctx.lake.store.localPath(k))),
  };
}

/**
 * `ade quality staged [id] [--sql q] [--discard]`: writes that error checks
 * blocked. With an id: its failing checks; `--sql` queries the table as the
 * blocked write would have left it; `--discard` lets GC delete it.
 */
export async function stagedCommand(ctx: CommandContext, id: string | undefined, opts: { sql?: string; discard?: boolean; all?: boolean }): Promise<void> {
  const readable = new Set<string>(readableZones(ctx.principal.role));
  if (!id) {
    if (opts.sql || opts.discard) throw new ValidationError('--sql and --discard need a staged snapshot id', { hint: '`ade quality staged` lists them' });
    const list = (await ctx.lake.catalog.listStagedSnapshots(opts.all ? {} : { state: 'blocked' })).filter((s) => readable.has(s.table.split('.')[0]!));
    ctx.out.result(list, () =>
      list.length === 0
        ? 'no blocked writes'
        : renderTable(
            ['id', 'table', 'when', 'rows', 'state', 'reason'],
            list.map((s) => [s.id, s.table, s.createdAt.toISOString().replace('T', ' ').slice(0, 19), s.files.reduce((n, f) => n + f.rows, 0).toLocaleString('en-US'), s.state, short(s.reason, 80)]),
          ),
    );
    return;
  }
  const s = (await ctx.lake.catalog.getStagedSnapshot(id)) ?? (await ctx.lake.catalog.listStagedSnapshots({ limit: 1000 })).find((x) => x.id.endsWith(id));
  if (!s) throw new NotFoundError('staged snapshot', id, { hint: '`ade quality staged` lists them' });
  const ref = parseTableRef(s.table);
  assertCanRead(ctx.principal, ref.zone);
  if (opts.discard) {
    const done = await ctx.lake.catalog.discardStagedSnapshot(s.id);
    await ctx.lake.catalog.audit({ actor: ctx.principal.name, action: 'quality.discard_staged', target: s.table, details: { stagedId: s.id } });
    ctx.out.result(done, () => `discarded ${s.id}: \`ade gc\` deletes its files once the grace period has passed`);
    return;
  }
  if (opts.sql) {
    const others = (await ctx.lake.bindingsFor(ctx.principal, { forSql: opts.sql })).filter((b) => !(b.zone === ref.zone && b.name === ref.name));
    const session = await ctx.lake.engine.openSession({
      principal: ctx.principal,
      tables: [await stagedBinding(ctx, s, ref), ...others],
      allowedDirectories: readableZones(ctx.principal.role).map((z) => join(ctx.lake.store.localRoot(), z)),
    });
    try {
      const r = await session.query(opts.sql);
      ctx.out.result(r.rows, () => renderTable(r.columns.map((c) => c.name), r.rows.map((row) => r.columns.map((c) => short(row[c.name], 40)))));
    } finally {
      await session.close();
    }
    return;
  }
  const results = (await ctx.lake.catalog.listCheckResults({ table: s.table, limit: 500 })).filter((r) => r.stagedId === s.id);
  ctx.out.result({ staged: s, results }, () =>
    [
      `${s.id} · ${s.table} · ${s.state} · ${s.files.reduce((n, f) => n + f.rows, 0).toLocaleString('en-US')} row(s) in ${s.files.length} file(s) · ${s.operation} on snapshot ${s.baseSnapshotId ?? 'none'} · by ${s.committer} at ${s.createdAt.toISOString()}`,
      `blocked because: ${s.reason}`,
      renderTable(
        ['check', 'result', 'message', 'sample'],
        results.map((r) => [r.check, mark(r), short(r.message, 60), short(r.sample?.[0], 60)]),
      ),
      `query it: ade quality staged ${s.id} --sql "SELECT * FROM ${s.table} LIMIT 10"`,
      `drop it:  ade quality staged ${s.id} --discard`,
    ].join('\n'),
  );
}

/** `ade alerts [list|deliver]`: alert state and the outbox; `deliver` sends due notices now. */
export async function alertsCommand(ctx: CommandContext, action: string | undefined, opts: { all?: boolean }): Promise<number> {
  if (action === 'deliver') {
    const r = await ctx.quality.deliver();
    ctx.out.result(r, () => `${r.delivered} delivered, ${r.retrying} to retry later, ${r.failed} failed`);
    return r.failed > 0 ? EXIT.failure : EXIT.ok;
  }
  if (action !== undefined && action !== 'list') throw new ValidationError(`unknown alerts action ${JSON.stringify(action)}`, { hint: 'use list or deliver' });
  const alerts = await ctx.lake.catalog.listAlerts(opts.all ? {} : { state: 'open' });
  const notices = await ctx.lake.catalog.listNotices({ limit: 20 });
  ctx.out.result({ alerts, notices }, () =>
    [
      alerts.length
        ? renderTable(
            ['check', 'state', 'opened', 'closed'],
            alerts.map((a) => [a.checkId, a.state, a.openedAt.toISOString().slice(0, 19), a.closedAt?.toISOString().slice(0, 19) ?? '']),
          )
        : opts.all
          ? 'no alerts yet'
          : 'no open alerts',
      notices.length
        ? `\nrecent notices:\n${renderTable(
            ['sink', 'check', 'kind', 'state', 'attempts', 'error'],
            notices.map((n) => {
              const notice = n.notice as { checkId?: string; kind?: string };
              return [n.sink, notice.checkId ?? '', notice.kind ?? '', n.state, String(n.attempts), short(n.lastError, 50)];
            }),
          )}`
        : '',
    ].join('\n'),
  );
  return EXIT.ok;
}

/**
 * `ade quality settle [--snapshot zone.table=id…] [--deliver]`: what a command
 * leaves to the background — profiles of the snapshots it committed (each
 * stored once; already profiled ones are skipped) and alert delivery.
 */
export async function settleCommand(ctx: CommandContext, opts: { snapshot?: string[]; deliver?: boolean }): Promise<number> {
  let profiled = 0;
  const failures: string[] = [];
  for (const s of opts.snapshot ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(s);
    if (!m) throw new ValidationError(`invalid --snapshot ${JSON.stringify(s)}`, { hint: 'write --snapshot zone.table=<snapshot id>' });
    try {
      if (await ctx.quality.profileSnapshot(parseTableRef(m[1]!), Number(m[2]))) profiled++;
    } catch (e) {
      failures.push(`${s}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const delivered = opts.deliver ? await ctx.quality.deliver() : undefined;
  ctx.out.result({ profiled, failures, ...(delivered ? { delivered } : {}) }, () =>
    [`${profiled} snapshot(s) profiled`, ...failures.map((f) => `failed: ${f}`), ...(delivered ? [`alerts: ${delivered.delivered} delivered, ${delivered.retrying} to retry, ${delivered.failed} failed`] : [])].join('\n'),
  );
  return failures.length ? EXIT.failure : EXIT.ok;
}

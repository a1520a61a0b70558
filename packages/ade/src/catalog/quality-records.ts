/**
 * What data quality keeps in the catalog: profiles per snapshot, check results
 * with history, staged snapshots that error checks blocked, alerts (one open
 * per failing check) and the outbox of notices to alert sinks.
 */
import { NotFoundError, ValidationError } from '../kernel/index.js';
import { checkCount, checkText, type CatalogContext } from './catalog-context.js';
import { placeholders, type SqlExecutor } from './sql-driver.js';
import type { ColumnInput } from './types.js';

export interface StoredProfile {
  readonly table: string;
  readonly snapshotId: number;
  /** `table` (the whole snapshot) or `day:YYYY-MM-DD` (one day partition the commit wrote). */
  readonly scope: string;
  readonly rows: number;
  readonly profile: unknown;
  readonly createdAt: Date;
}

export type CheckSeverity = 'error' | 'warn';
export type CheckStatus = 'pass' | 'fail' | 'error' | 'skipped';

export interface CheckResultInput {
  /** Stable identity of the check, e.g. `clean.orders/not_null(email)`. */
  readonly checkId: string;
  readonly table: string;
  readonly check: string;
  readonly severity: CheckSeverity;
  readonly status: CheckStatus;
  readonly snapshotId?: number;
  readonly stagedId?: string;
  readonly batchId?: string;
  readonly observed?: unknown;
  readonly expected?: unknown;
  readonly failing?: number;
  /** A few failing rows (obfuscated zones only). */
  readonly sample?: readonly unknown[];
  readonly message: string;
}

export interface CheckResult extends CheckResultInput {
  readonly id: number;
  readonly checkedAt: Date;
}

export interface StagedFile {
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
  readonly partition?: string;
  readonly batchId?: string;
}

export interface StagedSnapshotInput {
  readonly id: string;
  readonly table: string;
  readonly operation: string;
  /** The snapshot the write was based on (undefined: the table did not exist). */
  readonly baseSnapshotId?: number;
  readonly batchId: string;
  /** The files the write added (kept until the staged snapshot is discarded). */
  readonly files: readonly StagedFile[];
  /** Files of the base snapshot the write would have removed (so the staged view can be rebuilt). */
  readonly removedPaths: readonly string[];
  readonly columns: readonly ColumnInput[];
  readonly reason: string;
  readonly committer: string;
}

export interface StagedSnapshot extends StagedSnapshotInput {
  /** `blocked` until someone discards it. */
  readonly state: 'blocked' | 'discarded';
  readonly createdAt: Date;
  readonly closedAt?: Date;
}

export interface Alert {
  readonly id: string;
  readonly checkId: string;
  readonly table: string;
  readonly state: 'open' | 'closed';
  readonly openedAt: Date;
  readonly closedAt?: Date;
  readonly openResultId: number;
  readonly closeResultId?: number;
}

export interface OutboxNotice {
  readonly id: number;
  readonly alertId: string;
  readonly sink: string;
  readonly notice: unknown;
  readonly state: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError?: string;
  readonly createdAt: Date;
  readonly deliveredAt?: Date;
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
const parse = (v: unknown) => (v === null || v === undefined ? undefined : (JSON.parse(String(v)) as unknown));
const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));
const date = (v: unknown) => (v === null || v === undefined ? undefined : new Date(Number(v)));

// ---- profiles ----

export async function putProfile(tx: SqlExecutor, ctx: CatalogContext, p: { table: string; snapshotId: number; scope: string; rows: number; profile: unknown }): Promise<void> {
  checkText('table', p.table);
  checkText('scope', p.scope);
  await tx.run(
    `INSERT INTO profiles (table_ref, snapshot_id, scope, row_count, profile, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (table_ref, snapshot_id, scope) DO UPDATE SET row_count = excluded.row_count, profile = excluded.profile, created_at = excluded.created_at`,
    [p.table, checkCount('snapshotId', p.snapshotId), p.scope, checkCount('rows', p.rows), JSON.stringify(p.profile), ctx.clock.now().getTime()],
  );
}

type ProfileRow = { table_ref: string; snapshot_id: number; scope: string; row_count: number; profile: string; created_at: number };
const toProfile = (r: ProfileRow): StoredProfile => ({
  table: r.table_ref,
  snapshotId: Number(r.snapshot_id),
  scope: r.scope,
  rows: Number(r.row_count),
  profile: JSON.parse(r.profile) as unknown,
  createdAt: new Date(Number(r.created_at)),
});

/**
 * Stored profiles of a table, newest snapshot first. `scope` filters exactly;
 * `scopePrefix` (e.g. `day:`) by prefix; `latestPerScope` keeps, per scope, the
 * profile of the newest snapshot only (the days as they stand now).
 */
export async function listProfiles(
  tx: SqlExecutor,
  table: string,
  opts: { snapshotId?: number; scope?: string; scopePrefix?: string; latestPerScope?: boolean; limit?: number } = {},
): Promise<StoredProfile[]> {
  const where = ['table_ref = ?'];
  const params: (string | number)[] = [table];
  if (opts.snapshotId !== undefined) {
    where.push('snapshot_id = ?');
    params.push(opts.snapshotId);
  }
  if (opts.scope !== undefined) {
    where.push('scope = ?');
    params.push(opts.scope);
  }
  if (opts.scopePrefix !== undefined) {
    where.push('substr(scope, 1, ?) = ?');
    params.push(opts.scopePrefix.length, opts.scopePrefix);
  }
  if (opts.latestPerScope) where.push('snapshot_id = (SELECT MAX(p2.snapshot_id) FROM profiles p2 WHERE p2.table_ref = profiles.table_ref AND p2.scope = profiles.scope)');
  const limit = opts.limit === undefined ? '' : ` LIMIT ${checkCount('limit', opts.limit)}`;
  const rows = await tx.query<ProfileRow>(`SELECT * FROM profiles WHERE ${where.join(' AND ')} ORDER BY snapshot_id DESC, scope${limit}`, params);
  return rows.map(toProfile);
}

// ---- check results ----

const STATUSES: readonly CheckStatus[] = ['pass', 'fail', 'error', 'skipped'];

export async function recordCheckResults(tx: SqlExecutor, ctx: CatalogContext, results: readonly CheckResultInput[]): Promise<CheckResult[]> {
  const now = ctx.clock.now().getTime();
  const out: CheckResult[] = [];
  for (const r of results) {
    checkText('checkId', r.checkId);
    if (!STATUSES.includes(r.status)) throw new ValidationError(`unknown check status ${JSON.stringify(r.status)}`, { code: 'validation.invalid' });
    const [row] = await tx.query<CheckResultRow>(
      `INSERT INTO check_results (check_id, table_ref, check_name, severity, status, snapshot_id, staged_id, batch_id, observed, expected, failing, sample, message, checked_at)
       VALUES (${placeholders(14)}) RETURNING *`,
      [
        r.checkId,
        r.table,
        r.check,
        r.severity,
        r.status,
        r.snapshotId ?? null,
        r.stagedId ?? null,
        r.batchId ?? null,
        json(r.observed),
        json(r.expected),
        r.failing ?? null,
        json(r.sample),
        r.message,
        now,
      ],
    );
    out.push(toCheckResult(row!));
  }
  return out;
}

type CheckResultRow = {
  id: number;
  check_id: string;
  table_ref: string;
  check_name: string;
  severity: string;
  status: string;
  snapshot_id: number | null;
  staged_id: string | null;
  batch_id: string | null;
  observed: string | null;
  expected: string | null;
  failing: number | null;
  sample: string | null;
  message: string;
  checked_at: number;
};

function toCheckResult(r: CheckResultRow): CheckResult {
  const sample = parse(r.sample) as unknown[] | undefined;
  return {
    id: Number(r.id),
    checkId: r.check_id,
    table: r.table_ref,
    check: r.check_name,
    severity: r.severity as CheckSeverity,
    status: r.status as CheckStatus,
    ...(r.snapshot_id !== null ? { snapshotId: Number(r.snapshot_id) } : {}),
    ...(r.staged_id !== null ? { stagedId: r.staged_id } : {}),
    ...(r.batch_id !== null ? { batchId: r.batch_id } : {}),
    ...(r.observed !== null ? { observed: parse(r.observed) } : {}),
    ...(r.expected !== null ? { expected: parse(r.expected) } : {}),
    ...(r.failing !== null ? { failing: Number(r.failing) } : {}),
    ...(sample ? { sample } : {}),
    message: r.message,
    checkedAt: new Date(Number(r.checked_at)),
  };
}

/**
 * Check results, newest first. `latest` keeps only each check's newest result
 * (the checks' current state).
 */
export async function listCheckResults(
  tx: SqlExecutor,
  opts: { table?: string; checkId?: string; latest?: boolean; limit?: number } = {},
): Promise<CheckResult[]> {
  const where: string[] = [];
  const params: string[] = [];
  if (opts.table !== undefined) {
    where.push('table_ref = ?');
    params.push(opts.table);
  }
  if (opts.checkId !== undefined) {
    where.push('check_id = ?');
    params.push(opts.checkId);
  }
  if (opts.latest) where.push('id = (SELECT MAX(c2.id) FROM check_results c2 WHERE c2.check_id = check_results.check_id)');
  const limit = checkCount('limit', opts.limit ?? 100);
  const rows = await tx.query<CheckResultRow>(
    `SELECT * FROM check_results${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
    params,
  );
  return rows.map(toCheckResult);
}

// ---- staged snapshots ----

type StagedRow = {
  id: string;
  table_ref: string;
  operation: string;
  base_snapshot_id: number | null;
  batch_id: string;
  files: string;
  columns: string;
  state: string;
  reason: string;
  committer: string;
  created_at: number;
  closed_at: number | null;
};

function toStaged(r: StagedRow): StagedSnapshot {
  const files = JSON.parse(r.files) as { added: StagedFile[]; removed: string[] };
  return {
    id: r.id,
    table: r.table_ref,
    operation: r.operation,
    ...(r.base_snapshot_id !== null ? { baseSnapshotId: Number(r.base_snapshot_id) } : {}),
    batchId: r.batch_id,
    files: files.added,
    removedPaths: files.removed,
    columns: JSON.parse(r.columns) as ColumnInput[],
    state: r.state as StagedSnapshot['state'],
    reason: r.reason,
    committer: r.committer,
    createdAt: new Date(Number(r.created_at)),
    ...(r.closed_at !== null ? { closedAt: new Date(Number(r.closed_at)) } : {}),
  };
}

export async function createStagedSnapshot(tx: SqlExecutor, ctx: CatalogContext, s: StagedSnapshotInput): Promise<StagedSnapshot> {
  checkText('id', s.id);
  const [row] = await tx.query<StagedRow>(
    `INSERT INTO staged_snapshots (id, table_ref, operation, base_snapshot_id, batch_id, files, columns, state, reason, committer, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'blocked', ?, ?, ?) RETURNING *`,
    [
      s.id,
      s.table,
      s.operation,
      s.baseSnapshotId ?? null,
      s.batchId,
      JSON.stringify({ added: s.files, removed: s.removedPaths }),
      JSON.stringify(s.columns),
      s.reason,
      s.committer,
      ctx.clock.now().getTime(),
    ],
  );
  // The files are the staged snapshot's now, not an abandoned stage's.
  const paths = s.files.map((f) => f.path);
  if (paths.length) await tx.run(`DELETE FROM staged_files WHERE path IN (${placeholders(paths.length)})`, paths);
  return toStaged(row!);
}

export async function listStagedSnapshots(tx: SqlExecutor, opts: { table?: string; state?: StagedSnapshot['state']; limit?: number } = {}): Promise<StagedSnapshot[]> {
  const where: string[] = [];
  const params: string[] = [];
  if (opts.table !== undefined) {
    where.push('table_ref = ?');
    params.push(opts.table);
  }
  if (opts.state !== undefined) {
    where.push('state = ?');
    params.push(opts.state);
  }
  const rows = await tx.query<StagedRow>(
    `SELECT * FROM staged_snapshots${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ${checkCount('limit', opts.limit ?? 100)}`,
    params,
  );
  return rows.map(toStaged);
}

export async function getStagedSnapshot(tx: SqlExecutor, id: string): Promise<StagedSnapshot | undefined> {
  const [row] = await tx.query<StagedRow>('SELECT * FROM staged_snapshots WHERE id = ?', [id]);
  return row ? toStaged(row) : undefined;
}

/** Discards a blocked staged snapshot: its files are garbage from now on. */
export async function discardStagedSnapshot(tx: SqlExecutor, ctx: CatalogContext, id: string): Promise<StagedSnapshot> {
  const r = await tx.run(`UPDATE staged_snapshots SET state = 'discarded', closed_at = ? WHERE id = ? AND state = 'blocked'`, [ctx.clock.now().getTime(), id]);
  const row = await getStagedSnapshot(tx, id);
  if (!row) throw new NotFoundError('staged snapshot', id, { hint: 'list them with `ade quality staged`' });
  if (r.changes === 0 && row.state !== 'discarded') throw new ValidationError(`staged snapshot ${id} is ${row.state}`, { code: 'validation.invalid' });
  return row;
}

/** Paths of blocked staged snapshots: GC keeps them. */
export async function blockedStagedPaths(tx: SqlExecutor): Promise<string[]> {
  const rows = await tx.query<{ files: string }>(`SELECT files FROM staged_snapshots WHERE state = 'blocked'`);
  return rows.flatMap((r) => (JSON.parse(r.files) as { added: StagedFile[] }).added.map((f) => f.path));
}

// ---- alerts and their outbox ----

type AlertRow = {
  id: string;
  check_id: string;
  table_ref: string;
  state: string;
  opened_at: number;
  closed_at: number | null;
  open_result_id: number;
  close_result_id: number | null;
};

const toAlert = (r: AlertRow): Alert => ({
  id: r.id,
  checkId: r.check_id,
  table: r.table_ref,
  state: r.state as Alert['state'],
  openedAt: new Date(Number(r.opened_at)),
  ...(r.closed_at !== null ? { closedAt: date(r.closed_at)! } : {}),
  openResultId: Number(r.open_result_id),
  ...(r.close_result_id !== null ? { closeResultId: num(r.close_result_id)! } : {}),
});

/** A notice for one sink, queued in the same transaction as the alert change. */
export interface QueuedNotice {
  readonly sink: string;
  readonly notice: unknown;
}

/**
 * Opens the check's alert unless one is open already (then: undefined, and no
 * notice is queued, so a check failing run after run alerts once).
 */
export async function openAlert(
  tx: SqlExecutor,
  ctx: CatalogContext,
  a: { id: string; checkId: string; table: string; resultId: number; notices: (alertId: string) => readonly QueuedNotice[] },
): Promise<Alert | undefined> {
  const [open] = await tx.query<AlertRow>(`SELECT * FROM alerts WHERE check_id = ? AND state = 'open'`, [a.checkId]);
  if (open) return undefined;
  const now = ctx.clock.now().getTime();
  const [row] = await tx.query<AlertRow>(
    `INSERT INTO alerts (id, check_id, table_ref, state, opened_at, open_result_id) VALUES (?, ?, ?, 'open', ?, ?) RETURNING *`,
    [a.id, a.checkId, a.table, now, a.resultId],
  );
  await queueNotices(tx, now, a.id, a.notices(a.id));
  return toAlert(row!);
}

/** Closes the check's open alert (queuing recovery notices); undefined when none is open. */
export async function closeAlert(
  tx: SqlExecutor,
  ctx: CatalogContext,
  a: { checkId: string; resultId: number; notices: (alertId: string) => readonly QueuedNotice[] },
): Promise<Alert | undefined> {
  const [open] = await tx.query<AlertRow>(`SELECT * FROM alerts WHERE check_id = ? AND state = 'open'`, [a.checkId]);
  if (!open) return undefined;
  const now = ctx.clock.now().getTime();
  await tx.run(`UPDATE alerts SET state = 'closed', closed_at = ?, close_result_id = ? WHERE id = ?`, [now, a.resultId, open.id]);
  await queueNotices(tx, now, open.id, a.notices(open.id));
  return { ...toAlert(open), state: 'closed', closedAt: new Date(now), closeResultId: a.resultId };
}

async function queueNotices(tx: SqlExecutor, now: number, alertId: string, notices: readonly QueuedNotice[]): Promise<void> {
  for (const n of notices) {
    await tx.run(
      `INSERT INTO alert_outbox (alert_id, sink, notice, state, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)`,
      [alertId, n.sink, JSON.stringify(n.notice), now, now],
    );
  }
}

export async function listAlerts(tx: SqlExecutor, opts: { state?: Alert['state']; limit?: number } = {}): Promise<Alert[]> {
  const rows = await tx.query<AlertRow>(
    `SELECT * FROM alerts${opts.state ? ' WHERE state = ?' : ''} ORDER BY opened_at DESC, id DESC LIMIT ${checkCount('limit', opts.limit ?? 100)}`,
    opts.state ? [opts.state] : [],
  );
  return rows.map(toAlert);
}

type OutboxRow = {
  id: number;
  alert_id: string;
  sink: string;
  notice: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
};

const toOutbox = (r: OutboxRow): OutboxNotice => ({
  id: Number(r.id),
  alertId: r.alert_id,
  sink: r.sink,
  notice: JSON.parse(r.notice) as unknown,
  state: r.state as OutboxNotice['state'],
  attempts: Number(r.attempts),
  nextAttemptAt: new Date(Number(r.next_attempt_at)),
  ...(r.last_error !== null ? { lastError: r.last_error } : {}),
  createdAt: new Date(Number(r.created_at)),
  ...(r.delivered_at !== null ? { deliveredAt: date(r.delivered_at)! } : {}),
});

/**
 * Takes up to `limit` pending notices that are due, oldest first, and leases
 * them for `leaseMs` (their next attempt moves past the lease), so two
 * deliverers never send the same notice at once.
 */
export async function claimNotices(tx: SqlExecutor, ctx: CatalogContext, opts: { leaseMs: number; limit: number }): Promise<OutboxNotice[]> {
  const now = ctx.clock.now().getTime();
  const rows = await tx.query<OutboxRow>(
    `SELECT * FROM alert_outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ${checkCount('limit', opts.limit)}`,
    [now],
  );
  for (const r of rows) await tx.run('UPDATE alert_outbox SET next_attempt_at = ? WHERE id = ?', [now + opts.leaseMs, r.id]);
  return rows.map(toOutbox);
}

/** Records one delivery attempt: delivered, failed for good, or to retry at `retryAt`. */
export async function settleNotice(
  tx: SqlExecutor,
  ctx: CatalogContext,
  id: number,
  outcome: { delivered: true } | { delivered: false; error: string; retryAt?: Date },
): Promise<void> {
  const now = ctx.clock.now().getTime();
  if (outcome.delivered) {
    await tx.run(`UPDATE alert_outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?`, [now, id]);
  } else if (outcome.retryAt) {
    await tx.run(`UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`, [outcome.error, outcome.retryAt.getTime(), id]);
  } else {
    await tx.run(`UPDATE alert_outbox SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`, [outcome.error, id]);
  }
}

export async function listNotices(tx: SqlExecutor, opts: { state?: OutboxNotice['state']; limit?: number } = {}): Promise<OutboxNotice[]> {
  const rows = await tx.query<OutboxRow>(
    `SELECT * FROM alert_outbox${opts.state ? ' WHERE state = ?' : ''} ORDER BY id DESC LIMIT ${checkCount('limit', opts.limit ?? 100)}`,
    opts.state ? [opts.state] : [],
  );
  return rows.map(toOutbox);
}

import { NotFoundError, ValidationError, uuidv7 } from '../kernel/index.js';
import { checkCount, checkText, type CatalogContext } from './catalog-context.js';
import { CatalogError } from './errors.js';
import { RUN_COLUMNS, toRun, type RunRow } from './rows.js';
import { forUpdate, placeholders, type SqlExecutor } from './sql-driver.js';
import type { Run, RunState } from './types.js';

/** Which state may follow which. Terminal states are final; a running run may be requeued for a retry. */
const NEXT_STATES: Readonly<Record<RunState, readonly RunState[]>> = {
  queued: ['running', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled', 'queued'],
  succeeded: [],
  failed: [],
  cancelled: [],
};
const TERMINAL: readonly RunState[] = ['succeeded', 'failed', 'cancelled'];

export interface RunPatch {
  readonly state?: RunState;
  readonly error?: string;
  /** Merged into the run's info (shallow: given keys replace, the others stay). */
  readonly info?: Record<string, unknown>;
  readonly attemptsIncrement?: boolean;
}

function checkInfo(info: unknown): Record<string, unknown> {
  if (info === undefined) return {};
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    throw new ValidationError('run info must be an object', { code: 'validation.invalid' });
  }
  return info as Record<string, unknown>;
}

async function runRow(tx: SqlExecutor, id: string, lock = '') {
  const [row] = await tx.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?${lock}`, [id]);
  return row;
}

function runNotFound(id: string): NotFoundError {
  return new NotFoundError('run', id, { hint: 'list runs to find their ids' });
}

/** A new run in state `queued`. */
export async function createRun(tx: SqlExecutor, ctx: CatalogContext, run: { kind: string; target: string; info?: Record<string, unknown> }): Promise<Run> {
  checkText('kind', run.kind);
  if (typeof run.target !== 'string') throw new ValidationError('run target must be a string', { code: 'validation.invalid' });
  const [row] = await tx.query<RunRow>(
    `INSERT INTO runs (id, kind, target, state, attempts, created_at, info) VALUES (?, ?, ?, 'queued', 0, ?, ?) RETURNING ${RUN_COLUMNS}`,
    [uuidv7(), run.kind, run.target, ctx.clock.now().getTime(), JSON.stringify(checkInfo(run.info))],
  );
  return toRun(row!);
}

/** Moves a run along its lifecycle; stamps started/finished times and clears the lease when it ends. */
export async function updateRun(tx: SqlExecutor, ctx: CatalogContext, id: string, patch: RunPatch): Promise<Run> {
  const row = await runRow(tx, id, forUpdate(ctx.dialect));
  if (!row) throw runNotFound(id);
  const from = row.state as RunState;
  const to = patch.state ?? from;
  if (to !== from && !NEXT_STATES[from]?.includes(to)) {
    throw new CatalogError('catalog.run_state', `run ${id} cannot go from ${from} to ${to}`, {
      hint: TERMINAL.includes(from) ? 'the run has finished; create a new run to try again' : `a ${from} run may become ${NEXT_STATES[from].join(' or ')}`,
      details: { run: id, from, to },
    });
  }
  const now = ctx.clock.now().getTime();
  const info = { ...(JSON.parse(row.info) as Record<string, unknown>), ...checkInfo(patch.info) };
  const ending = to !== from && TERMINAL.includes(to);
  const leaving = to !== from && (ending || to === 'queued');
  await tx.run(
    `UPDATE runs SET state = ?, attempts = ?, error = ?, info = ?, started_at = ?, finished_at = ?,
       lease_owner = ?, lease_expires_at = ?
     WHERE id = ?`,
    [
      to,
      Number(row.attempts) + (patch.attemptsIncrement ? 1 : 0),
      patch.error ?? row.error,
      JSON.stringify(info),
      to === 'running' && row.started_at === null ? now : row.started_at,
      ending ? now : row.finished_at,
      leaving ? null : row.lease_owner,
      leaving ? null : row.lease_expires_at,
      id,
    ],
  );
  return toRun((await runRow(tx, id))!);
}

export async function getRun(tx: SqlExecutor, id: string): Promise<Run | undefined> {
  const row = await runRow(tx, id);
  return row ? toRun(row) : undefined;
}

/** Newest first. */
export async function listRuns(tx: SqlExecutor, opts: { limit?: number; kind?: string }): Promise<Run[]> {
  const limit = opts.limit === undefined ? 100 : checkCount('limit', opts.limit);
  const rows = await tx.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs${opts.kind === undefined ? '' : ' WHERE kind = ?'} ORDER BY created_at DESC, id DESC LIMIT ?`,
    opts.kind === undefined ? [limit] : [opts.kind, limit],
  );
  return rows.map(toRun);
}

/**
 * Takes the oldest queued run (or a running one whose lease ran out: its
 * worker died) for `owner`: state `running`, a lease of `leaseMs`, one more
 * attempt. Each candidate is taken by compare-and-swap on the state and lease
 * seen, so two workers never take the same run.
 */
export async function claimRun(tx: SqlExecutor, ctx: CatalogContext, opts: { owner: string; leaseMs: number; kinds?: readonly string[] }): Promise<Run | undefined> {
  checkText('owner', opts.owner);
  checkCount('leaseMs', opts.leaseMs);
  const now = ctx.clock.now().getTime();
  const kinds = opts.kinds;
  if (kinds && kinds.length === 0) return undefined;
  const candidates = await tx.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs
     WHERE (state = 'queued' OR (state = 'running' AND lease_expires_at < ?))${kinds ? ` AND kind IN (${placeholders(kinds.length)})` : ''}
     ORDER BY created_at, id LIMIT 20`,
    [now, ...(kinds ?? [])],
  );
  for (const c of candidates) {
    const taken = await tx.run(
      `UPDATE runs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?, heartbeat_at = ?,
         started_at = COALESCE(started_at, ?)
       WHERE id = ? AND state = ? AND COALESCE(lease_expires_at, -1) = ?`,
      [opts.owner, now + opts.leaseMs, now, now, c.id, c.state, c.lease_expires_at === null ? -1 : Number(c.lease_expires_at)],
    );
    if (taken.changes === 1) return toRun((await runRow(tx, c.id))!);
  }
  return undefined;
}

/** Extends the lease of a running run held by `owner`; `catalog.lease_lost` when it no longer holds it. */
export async function heartbeatRun(tx: SqlExecutor, ctx: CatalogContext, id: string, owner: string, leaseMs: number): Promise<Run> {
  checkText('owner', owner);
  checkCount('leaseMs', leaseMs);
  const now = ctx.clock.now().getTime();
  const r = await tx.run(
    `UPDATE runs SET lease_expires_at = ?, heartbeat_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?`,
    [now + leaseMs, now, id, owner],
  );
  const row = await runRow(tx, id);
  if (!row) throw runNotFound(id);
  if (r.changes !== 1) {
    throw new CatalogError('catalog.lease_lost', `${owner} no longer holds run ${id} (it is ${row.state}${row.lease_owner ? `, held by ${row.lease_owner}` : ''})`, {
      hint: 'stop working on this run: another worker took it over or it ended',
      details: { run: id, owner, state: row.state, leaseOwner: row.lease_owner },
    });
  }
  return toRun(row);
}

import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { CatalogContext } from './catalog-context.js';
import { checkText } from './catalog-context.js';
import { toAuditEvent, type AuditRow } from './rows.js';
import { forUpdate, type SqlExecutor } from './sql-driver.js';
import type { AuditEvent, IntegrityProblem } from './types.js';

export interface AuditInput {
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

const AUDIT_COLUMNS = 'id, at, actor, action, target, details, prev_hash, hash';

/** sha256(prevHash + canonical JSON of the event), hex. */
export function auditHash(prevHash: string, event: { at: number; actor: string; action: string; target: string; details: unknown }): string {
  const body = canonicalJson({ action: event.action, actor: event.actor, at: event.at, details: event.details, target: event.target });
  return createHash('sha256').update(prevHash).update(body).digest('hex');
}

/**
 * Appends one event to the hash chain. Appends serialise on the chain's head
 * row (locked on Postgres; SQLite holds the write lock already), so the chain
 * stays linear with concurrent writers.
 */
export async function appendAudit(tx: SqlExecutor, ctx: CatalogContext, input: AuditInput): Promise<AuditEvent> {
  checkText('actor', input.actor);
  checkText('action', input.action);
  const [head] = await tx.query<{ events: number; last_hash: string }>(
    `SELECT events, last_hash FROM audit_head WHERE id = 1${forUpdate(ctx.dialect)}`,
  );
  const prevHash = head?.last_hash ?? '';
  const detailsText = canonicalJson(input.details ?? {});
  const at = ctx.clock.now().getTime();
  const event = { at, actor: input.actor, action: input.action, target: input.target, details: JSON.parse(detailsText) as unknown };
  const hash = auditHash(prevHash, event);
  const [row] = await tx.query<AuditRow>(
    `INSERT INTO audit_events (at, actor, action, target, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${AUDIT_COLUMNS}`,
    [at, input.actor, input.action, input.target, detailsText, prevHash, hash],
  );
  await tx.run('UPDATE audit_head SET events = events + 1, last_hash = ? WHERE id = 1', [hash]);
  return toAuditEvent(row!);
}

/** The newest events first. */
export async function listAudit(tx: SqlExecutor, limit: number): Promise<AuditEvent[]> {
  const rows = await tx.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_events ORDER BY id DESC LIMIT ?`, [limit]);
  return rows.map(toAuditEvent);
}

/** Recomputes the whole chain, page by page; reports the first few breaks and a mismatched head. */
export async function verifyAuditChain(tx: SqlExecutor): Promise<IntegrityProblem[]> {
  const problems: IntegrityProblem[] = [];
  const report = (problem: string) => problems.length < 20 && problems.push({ table: '(audit log)', problem });
  let prevHash = '';
  let count = 0;
  let afterId = 0;
  for (;;) {
    const page = await tx.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_events WHERE id > ? ORDER BY id LIMIT 1000`, [afterId]);
    for (const r of page) {
      count += 1;
      let details: unknown;
      try {
        details = JSON.parse(r.details);
      } catch {
        report(`event ${r.id} has unreadable details`);
        details = r.details;
      }
      if (r.prev_hash !== prevHash) report(`event ${r.id} does not follow the event before it (an event was removed or reordered)`);
      const expected = auditHash(r.prev_hash, { at: Number(r.at), actor: r.actor, action: r.action, target: r.target, details });
      if (expected !== r.hash) report(`event ${r.id} was modified after it was written (its hash does not match its content)`);
      prevHash = r.hash;
      afterId = Number(r.id);
    }
    if (page.length < 1000) break;
  }
  const [head] = await tx.query<{ events: number; last_hash: string }>('SELECT events, last_hash FROM audit_head WHERE id = 1');
  if (!head) report('the audit chain head is missing');
  else if (Number(head.events) !== count) {
    report(`the audit log holds ${count} events but its head records ${Number(head.events)} (events were removed or added)`);
  } else if (head.last_hash !== prevHash) {
    report('the last audit event is not the one the chain head recorded (it was replaced)');
  }
  return problems;
}

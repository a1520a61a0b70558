import type { CheckResult, CheckResultInput, QueuedNotice } from '../catalog/index.js';
import { formatTableRef, messageOf, uuidv7, type TableRef } from '../kernel/index.js';
import type { CommitListener, Lake, StagedWrite, WriteGate, WriteVerdict } from '../lake/index.js';
import { sinkAccepts, type AlertNotice, type SinkConfig } from './alert-sinks.js';
import { deliverNotice, type DeliveryPolicy } from './deliver-alert.js';
import type { MetricPoint } from './detect-anomaly.js';
import type { CheckDef } from './parse-checks.js';
import { profileDays, profileTable, type TableProfile } from './profile-table.js';
import { QUALITY_PRINCIPAL, runChecks, type CheckOutcome, type CheckTarget } from './run-checks.js';
import { indexTable } from './search-documents.js';

/** What the quality service is told by the project (ade.yaml and model headers). */
export interface QualityConfig {
  /** The project's name, carried in alert notices. */
  readonly project: string;
  readonly checks: readonly CheckDef[];
  /** Event-time column by `zone.table` (sources' event_time, models' time). */
  readonly timeColumns: ReadonlyMap<string, string>;
  readonly sinks: readonly SinkConfig[];
  /** Profile every commit (default) or only when asked (`ade profile`). */
  readonly profileOnCommit: boolean;
  /**
   * Only note which snapshots to profile (`pendingProfiles`) instead of
   * profiling them in this process: a short-lived process (the CLI) hands them
   * to a background one, so that its own exit never waits for a profile.
   */
  readonly deferProfiles?: boolean;
  /** How long one delivery may keep trying in-process; the outbox retries later runs. */
  readonly delivery?: Partial<DeliveryPolicy>;
  /** Attempts across deliveries before a notice is marked failed (default 8). */
  readonly maxDeliveries?: number;
  /** Reports a background failure (profiling, indexing) that must not fail the work. */
  readonly onWarning?: (message: string) => void;
}

/** One check's result with its alert transition. */
export interface QualityResult extends CheckResult {
  /** `opened` or `recovered` when this result changed the check's alert. */
  readonly alert?: 'opened' | 'recovered';
}

/**
 * Data quality for a lake: audits every write against the table's checks
 * before it is published (write-audit-publish), records results with history,
 * opens and closes alerts (notices go through the catalog's outbox), and
 * profiles each commit in the background.
 */
export class QualityService {
  readonly #lake: Lake;
  readonly #config: QualityConfig;
  #background: Promise<void> = Promise.resolve();
  #noticesQueued = 0;
  #settled: QualityResult[] = [];

  constructor(lake: Lake, config: QualityConfig) {
    this.#lake = lake;
    this.#config = config;
  }

  /** Hooks the service into the lake's writes. */
  install(): this {
    const gate: WriteGate = { audit: (w) => this.#audit(w) };
    this.#lake.setWriteGate(gate);
    if (this.#config.profileOnCommit) this.#lake.onCommit(this.#onCommit);
    return this;
  }

  /** Checks declared for a table. */
  checksFor(ref: TableRef): CheckDef[] {
    const name = formatTableRef(ref);
    return this.#config.checks.filter((c) => formatTableRef(c.table) === name);
  }

  get checks(): readonly CheckDef[] {
    return this.#config.checks;
  }

  /** Notices queued for sinks by this process (a deliverer should run). */
  get noticesQueued(): number {
    return this.#noticesQueued;
  }

  /** Results recorded by write audits in this process, oldest first. */
  get auditedResults(): readonly QualityResult[] {
    return this.#settled;
  }

  async #audit(w: StagedWrite): Promise<WriteVerdict | undefined> {
    const defs = this.checksFor(w.table);
    if (defs.length === 0) return undefined;
    const name = formatTableRef(w.table);
    const addedRows = w.added.reduce((s, f) => s + f.rows, 0);
    const needsCommits = defs.some((d) => d.spec.kind === 'anomaly' && d.spec.by === 'batch');
    const target: CheckTarget = {
      table: w.table,
      columns: w.columns.map((c) => ({ name: c.name, type: c.type })),
      files: [...w.kept.map((f) => f.localPath), ...w.added.map((f) => f.localPath)],
      addedFiles: w.added.map((f) => f.localPath),
      rows: w.kept.reduce((s, f) => s + f.rows, 0) + addedRows,
      addedRows,
      ...(this.#config.timeColumns.get(name) ? { timeColumn: this.#config.timeColumns.get(name)! } : {}),
      ...(needsCommits ? { commits: await this.#commitHistory(w.table) } : {}),
    };
    const outcomes = await runChecks(this.#lake, defs, target, { now: this.#lake.clock.now() });
    const blocking = outcomes.filter((o) => o.def.severity === 'error' && (o.status === 'fail' || o.status === 'error'));
    return {
      blocked: blocking.length > 0,
      ...(blocking.length ? { reason: blocking.map((o) => `${o.def.name}: ${o.message}`).join('; ') } : {}),
      settle: async (outcome) => {
        try {
          // A blocked write's passing checks close no alert: the table's data did not change.
          const results = await this.#record(outcomes, { batchId: w.batchId, ...outcome }, 'snapshotId' in outcome);
          this.#settled.push(...results);
        } catch (e) {
          this.#config.onWarning?.(`recording the checks of a write to ${name} failed (the write itself ${'snapshotId' in outcome ? 'was published' : 'stays blocked'}): ${messageOf(e)}`);
        }
      },
    };
  }

  /** Rows each earlier commit of the table wrote, oldest first. */
  async #commitHistory(ref: TableRef): Promise<MetricPoint[]> {
    const table = await this.#lake.catalog.getTable(ref);
    if (!table) return [];
    const history = await this.#lake.catalog.history(ref, { limit: 1000 });
    return history
      .filter((s) => typeof s.summary.rows === 'number')
      .map((s) => ({ at: s.committedAt, value: Number(s.summary.rows) }))
      .reverse();
  }

  /**
   * Runs the checks of `tables` (default: every table with checks) on their
   * current snapshots — the whole table — and records the results.
   */
  async checkTables(tables?: readonly TableRef[]): Promise<QualityResult[]> {
    const names = tables ? new Set(tables.map(formatTableRef)) : undefined;
    const byTable = new Map<string, CheckDef[]>();
    for (const c of this.#config.checks) {
      const name = formatTableRef(c.table);
      if (names && !names.has(name)) continue;
      byTable.set(name, [...(byTable.get(name) ?? []), c]);
    }
    const out: QualityResult[] = [];
    for (const [name, defs] of byTable) {
      const ref = defs[0]!.table;
      const table = await this.#lake.catalog.getTable(ref);
      if (!table || table.currentSnapshotId === undefined) {
        out.push(
          ...(await this.#record(
            defs.map((def) => ({ def, status: 'skipped' as const, message: `${name} has no snapshot yet` })),
            {},
          )),
        );
        continue;
      }
      const pinned = await this.#lake.catalog.pin(ref);
      const binding = await this.#lake.bind(pinned);
      const outcomes = await runChecks(
        this.#lake,
        defs,
        {
          table: ref,
          columns: pinned.schema.columns.map((c) => ({ name: c.name, type: c.type })),
          files: binding.files,
          rows: pinned.files.reduce((s, f) => s + f.rows, 0),
          ...(this.#config.timeColumns.get(name) ? { timeColumn: this.#config.timeColumns.get(name)! } : {}),
          ...(defs.some((d) => d.spec.kind === 'anomaly' && d.spec.by === 'batch') ? { commits: await this.#commitHistory(ref) } : {}),
        },
        { now: this.#lake.clock.now() },
      );
      out.push(...(await this.#record(outcomes, { snapshotId: pinned.snapshot!.id })));
    }
    return out;
  }

  /** Stores results and moves alerts: a failing check opens one alert, a passing one closes it. */
  async #record(outcomes: readonly CheckOutcome[], where: { snapshotId?: number; stagedId?: string; batchId?: string }, mayRecover = true): Promise<QualityResult[]> {
    const inputs: CheckResultInput[] = outcomes.map((o) => ({
      checkId: o.def.id,
      table: formatTableRef(o.def.table),
      check: o.def.name,
      severity: o.def.severity,
      status: o.status,
      ...where,
      ...(o.observed !== undefined ? { observed: o.observed } : {}),
      ...(o.expected !== undefined ? { expected: o.expected } : {}),
      ...(o.failing !== undefined ? { failing: o.failing } : {}),
      ...(o.sample !== undefined ? { sample: o.sample } : {}),
      message: o.message,
    }));
    return this.#store(inputs, mayRecover);
  }

  /**
   * Records the result of a check run outside the write path — an
   * experiment's sample-ratio check — with the others: same history, same
   * alerts (one when it starts failing, a recovery when it passes again).
   */
  async recordResult(result: CheckResultInput): Promise<QualityResult> {
    return (await this.#store([result], true))[0]!;
  }

  async #store(inputs: readonly CheckResultInput[], mayRecover: boolean): Promise<QualityResult[]> {
    const results = await this.#lake.catalog.recordCheckResults(inputs);
    const out: QualityResult[] = [];
    for (const r of results) {
      let alert: QualityResult['alert'];
      if (r.status === 'fail' || r.status === 'error') {
        const opened = await this.#lake.catalog.openAlert({
          id: uuidv7(),
          checkId: r.checkId,
          table: r.table,
          resultId: r.id,
          notices: (alertId) => this.#notices(r, alertId, 'open'),
        });
        if (opened) alert = 'opened';
      } else if (r.status === 'pass' && mayRecover) {
        const closed = await this.#lake.catalog.closeAlert({ checkId: r.checkId, resultId: r.id, notices: (alertId) => this.#notices(r, alertId, 'recovered') });
        if (closed) alert = 'recovered';
      }
      out.push(alert ? { ...r, alert } : r);
    }
    return out;
  }

  #notices(r: CheckResult, alertId: string, kind: 'open' | 'recovered'): QueuedNotice[] {
    const notice: AlertNotice = {
      id: uuidv7(),
      alertId,
      kind,
      checkId: r.checkId,
      checkName: r.check,
      table: r.table,
      severity: r.severity,
      status: r.status === 'pass' ? 'pass' : r.status === 'error' ? 'error' : 'fail',
      message: r.message,
      ...(r.observed !== undefined ? { observed: r.observed } : {}),
      ...(r.expected !== undefined ? { expected: r.expected } : {}),
      ...(r.snapshotId !== undefined ? { snapshotId: r.snapshotId } : {}),
      ...(r.stagedId !== undefined ? { stagedId: r.stagedId } : {}),
      project: this.#config.project,
      at: r.checkedAt.toISOString(),
    };
    const queued = this.#config.sinks.filter((s) => sinkAccepts(s, notice)).map((s) => ({ sink: s.name, notice: { ...notice, id: `${notice.id}-${s.name}` } }));
    this.#noticesQueued += queued.length;
    return queued;
  }

  readonly #pending: { table: TableRef; snapshotId: number }[] = [];

  /** Snapshots committed by this process and not profiled here (with `deferProfiles`). */
  get pendingProfiles(): readonly { readonly table: TableRef; readonly snapshotId: number }[] {
    return this.#pending;
  }

  /**
   * Profiles one snapshot now (and the days it wrote, read from the files it
   * added) and stores it, unless its profile is stored already (then:
   * undefined); refreshes the table's search documents. For snapshots another
   * process committed, or that were never profiled.
   */
  async profileSnapshot(table: TableRef, snapshotId: number): Promise<TableProfile | undefined> {
    const name = formatTableRef(table);
    if ((await this.#lake.catalog.listProfiles(name, { snapshotId, scope: 'table', limit: 1 })).length) return undefined;
    const pinned = await this.#lake.catalog.pin(table, { snapshotId });
    const seq = pinned.snapshot?.seq;
    const partitions = [...new Set(pinned.files.filter((f) => f.addedSeq === seq && f.partition !== undefined).map((f) => f.partition!))];
    return this.#profile(table, snapshotId, partitions);
  }

  readonly #onCommit: CommitListener = (event) => {
    if (this.#config.deferProfiles) {
      this.#pending.push({ table: event.table, snapshotId: event.snapshot.id });
      return;
    }
    this.#background = this.#background.then(async () => {
      try {
        await this.#profile(event.table, event.snapshot.id, event.partitions);
      } catch (e) {
        this.#config.onWarning?.(`profiling ${formatTableRef(event.table)} failed (the write itself succeeded): ${messageOf(e)}`);
      }
    });
  };

  /** Profiles a new snapshot (and the days it wrote), stores the profiles, and refreshes the table's search documents. */
  async #profile(ref: TableRef, snapshotId: number, partitions: readonly string[]): Promise<TableProfile> {
    const name = formatTableRef(ref);
    const profile = await profileTable(this.#lake, QUALITY_PRINCIPAL, ref, { snapshotId });
    await this.#lake.catalog.putProfile({ table: name, snapshotId, scope: 'table', rows: profile.rows, profile });
    const time = this.#config.timeColumns.get(name);
    if (partitions.length && time && profile.columns.some((c) => c.name === time)) {
      for (const day of await profileDays(this.#lake, QUALITY_PRINCIPAL, ref, { snapshotId, days: partitions, timeColumn: time })) {
        await this.#lake.catalog.putProfile({ table: name, snapshotId, scope: `day:${day.day}`, rows: day.rows, profile: day });
      }
    }
    await indexTable(this.#lake.catalog, ref);
    return profile;
  }

  /** Waits for background profiling to finish. */
  async drain(): Promise<void> {
    for (;;) {
      const current = this.#background;
      await current;
      if (current === this.#background) return;
    }
  }

  /**
   * Delivers due notices from the outbox: each one tried under the delivery
   * policy; a retryable failure is tried again by a later delivery (with
   * backoff) up to `maxDeliveries`, then marked failed.
   */
  async deliver(): Promise<{ delivered: number; retrying: number; failed: number }> {
    const sinks = new Map(this.#config.sinks.map((s) => [s.name, s]));
    const max = this.#config.maxDeliveries ?? 8;
    let delivered = 0;
    let retrying = 0;
    let failed = 0;
    for (;;) {
      const batch = await this.#lake.catalog.claimNotices({ leaseMs: 120_000, limit: 20 });
      if (batch.length === 0) break;
      await Promise.all(
        batch.map(async (n) => {
          const sink = sinks.get(n.sink);
          if (!sink) {
            failed++;
            return this.#lake.catalog.settleNotice(n.id, { delivered: false, error: `sink ${n.sink} is no longer configured in ade.yaml` });
          }
          const r = await deliverNotice(sink, n.notice as AlertNotice, this.#config.delivery);
          if (r.ok) {
            delivered++;
            return this.#lake.catalog.settleNotice(n.id, { delivered: true });
          }
          const error = r.error ?? `HTTP ${r.status ?? '?'}`;
          if (r.retryable && n.attempts + 1 < max) {
            retrying++;
            const backoff = Math.min(3_600_000, 30_000 * 2 ** n.attempts);
            return this.#lake.catalog.settleNotice(n.id, { delivered: false, error, retryAt: new Date(this.#lake.clock.now().getTime() + backoff) });
          }
          failed++;
          return this.#lake.catalog.settleNotice(n.id, { delivered: false, error });
        }),
      );
    }
    return { delivered, retrying, failed };
  }
}

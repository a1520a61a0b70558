/** Stored experiment analyses: one per experiment, as-of time and configuration, so re-running one is idempotent. */
import { ValidationError } from '../kernel/index.js';
import { checkText, type CatalogContext } from './catalog-context.js';
import type { SqlExecutor } from './sql-driver.js';

export interface ExperimentAnalysisRecord {
  readonly id: string;
  readonly experiment: string;
  /** The time the analysis looks at (exposures and metric rows before it). */
  readonly asOf: Date;
  /** Hash of the experiment's and its metrics' configuration: a changed definition is a new analysis. */
  readonly configHash: string;
  readonly computedAt: Date;
  readonly computedBy: string;
  /** The analysis as computed (JSON). */
  readonly result: unknown;
}

type Row = { id: string; experiment: string; as_of: number; config_hash: string; computed_at: number; computed_by: string; result: string };

const toRecord = (r: Row): ExperimentAnalysisRecord => ({
  id: r.id,
  experiment: r.experiment,
  asOf: new Date(Number(r.as_of)),
  configHash: r.config_hash,
  computedAt: new Date(Number(r.computed_at)),
  computedBy: r.computed_by,
  result: JSON.parse(r.result) as unknown,
});

/**
 * Stores an analysis; one with the same experiment, as-of time and
 * configuration hash is replaced (the data before as-of may have changed:
 * late rows), keeping its id.
 */
export async function putExperimentAnalysis(
  tx: SqlExecutor,
  ctx: CatalogContext,
  a: { id: string; experiment: string; asOf: Date; configHash: string; computedBy: string; result: unknown },
): Promise<ExperimentAnalysisRecord> {
  checkText('experiment', a.experiment);
  if (!/^[0-9a-f]{64}$/.test(a.configHash)) throw new ValidationError('a configuration hash is 64 hex digits', { code: 'validation.invalid' });
  const [row] = await tx.query<Row>(
    `INSERT INTO experiment_analyses (id, experiment, as_of, config_hash, computed_at, computed_by, result) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (experiment, as_of, config_hash) DO UPDATE SET computed_at = excluded.computed_at, computed_by = excluded.computed_by, result = excluded.result
     RETURNING *`,
    [a.id, a.experiment, a.asOf.getTime(), a.configHash, ctx.clock.now().getTime(), a.computedBy, JSON.stringify(a.result)],
  );
  return toRecord(row!);
}

/** An experiment's stored analyses, newest as-of first. */
export async function listExperimentAnalyses(tx: SqlExecutor, experiment: string, opts: { limit?: number } = {}): Promise<ExperimentAnalysisRecord[]> {
  return (await tx.query<Row>('SELECT * FROM experiment_analyses WHERE experiment = ? ORDER BY as_of DESC, computed_at DESC LIMIT ?', [experiment, opts.limit ?? 100])).map(toRecord);
}

import { quoteLiteral, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { ModelRegistry } from '../ml/model-registry.js';
import { predictTable } from '../ml/predict-table.js';
import { trainModel, type TrainModelResult } from '../ml/train-model.js';
import type { LeaderboardRow } from '../ml/train-outcome.js';
import type { DatasetScale } from './dataset.js';

/** How long each demo model may search, by dataset scale. */
export const DEMO_ML_TIME_LIMIT_MS: Readonly<Record<DatasetScale, number>> = { small: 5_000, medium: 20_000, large: 60_000 };

/** Days before the dataset's end from which a customer without an order counts as churned. */
const CHURN_WINDOW_DAYS = 60;

/** One demo model: trained, registered and promoted to champion. */
export interface DemoMlModel {
  readonly name: string;
  readonly ref: string;
  readonly table: string;
  readonly target: string;
  readonly task: string;
  readonly metric: string;
  readonly cvScore: number;
  readonly cvStd: number;
  readonly rows: number;
  /** The best candidates (at most 5). */
  readonly leaderboard: readonly LeaderboardRow[];
  /** The most important columns (at most 5). */
  readonly importance: readonly { readonly feature: string; readonly importance: number }[];
}

/** The demo's ML: two models, both champions, and today's customers scored. */
export interface DemoMl {
  readonly models: readonly DemoMlModel[];
  /** Customers as of the dataset's end scored with churn@champion into ml.churn_scores. */
  readonly scored: { readonly model: string; readonly table: string; readonly out: string; readonly rows: number; readonly atRisk: number; readonly batchId: string };
}

export interface DemoMlOptions {
  readonly scale: DatasetScale;
  readonly seed: number;
  readonly endDate: Date;
  /** Trains and scores (writes the ml zone). */
  readonly analyst: Principal;
  /** Promotes the models to champion (admin). */
  readonly admin: Principal;
  /** The ade version recorded in the manifests. */
  readonly codeVersion: string;
  readonly onStep?: (step: string, done?: number, total?: number) => void;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** Customer features as of `asOf` (orders before it), and — for training — whether they ordered in the window after it. */
function customerFeaturesSql(asOf: Date, until?: Date): string {
  const at = `TIMESTAMP ${quoteLiteral(`${day(asOf)} 00:00:00`)}`;
  const churned = until
    ? `, count(o.ordered_at) FILTER (WHERE o.ordered_at >= ${at} AND o.ordered_at < TIMESTAMP ${quoteLiteral(`${day(until)} 00:00:00`)}) = 0 AS churned`
    : '';
  return `SELECT
  c.customer_id,
  c.plan,
  c.country,
  c.marketing_opt_in,
  date_diff('day', c.signup_day, CAST(${at} AS DATE)) AS tenure_days,
  count(o.ordered_at) FILTER (WHERE o.ordered_at < ${at}) AS orders,
  coalesce(round(sum(o.total) FILTER (WHERE o.is_completed AND o.ordered_at < ${at}), 2), 0) AS revenue,
  date_diff('day', max(o.ordered_at) FILTER (WHERE o.ordered_at < ${at}), ${at}) AS days_since_order${churned}
FROM model.customer_d AS c
LEFT JOIN model.order_f AS o ON o.customer_sk = c.customer_sk
WHERE c.signup_day < CAST(${at} AS DATE)
GROUP BY ALL
ORDER BY c.customer_id`;
}

/** Completed orders with what was known when they were placed (not their gross or discount, which give the total away). */
const ORDER_VALUE_SQL = `SELECT o.order_id, o.channel, o.country, o.lines, o.units, c.plan, o.ordered_at, o.total
FROM model.order_f AS o
JOIN model.customer_d AS c ON c.customer_sk = o.customer_sk
WHERE o.is_completed
ORDER BY o.order_id`;

/**
 * The demo's machine learning, as `ade ml` does it: builds two training
 * tables in the ml zone, trains a churn classifier (did a customer order in
 * the dataset's last 60 days, from what was known before them) and an
 * order-value regressor with the built-in AutoML, promotes both to
 * champion, and scores the customers as of the dataset's end with
 * `churn@champion` into `ml.churn_scores`.
 */
export async function runDemoMl(lake: Lake, opts: DemoMlOptions): Promise<DemoMl> {
  const registry = new ModelRegistry(lake, { codeVersion: opts.codeVersion });
  const cutoff = new Date(opts.endDate.getTime() - CHURN_WINDOW_DAYS * 86_400_000);
  const inputs = [
    { zone: 'model', name: 'customer_d' },
    { zone: 'model', name: 'order_f' },
  ];
  const write = (name: string, sql: string, description: string) =>
    lake.writeSelect(opts.analyst, { table: { zone: 'ml', name }, sql, mode: 'replace', readTables: inputs, create: { description } });
  opts.onStep?.('machine learning: training tables', 0, 1);
  await write('churn_training', customerFeaturesSql(cutoff, opts.endDate), `Customers as of ${day(cutoff)} and whether they placed no order in the ${CHURN_WINDOW_DAYS} days after (the demo's churn label)`);
  await write('churn_current', customerFeaturesSql(opts.endDate), `Customers as of ${day(opts.endDate)}, the features of ml.churn_training: what the churn model scores`);
  await write('order_value_training', ORDER_VALUE_SQL, 'Completed orders with what was known when they were placed, and their total');

  const timeLimitMs = DEMO_ML_TIME_LIMIT_MS[opts.scale];
  const specs = [
    { name: 'churn', table: 'churn_training', target: 'churned', exclude: ['customer_id'] },
    { name: 'order_value', table: 'order_value_training', target: 'total', exclude: ['order_id'] },
  ];
  const models: DemoMlModel[] = [];
  for (const [i, s] of specs.entries()) {
    opts.onStep?.(`machine learning: training ${s.name} (${timeLimitMs / 1000} s)`, i, specs.length);
    const r: TrainModelResult = await trainModel(lake, opts.analyst, registry, {
      table: { zone: 'ml', name: s.table },
      target: s.target,
      timeLimitMs,
      exclude: s.exclude,
      seed: opts.seed,
      folds: 5,
      name: s.name,
      engine: 'builtin',
    });
    await registry.promote(opts.admin, r.ref, 'champion');
    models.push({
      name: r.name,
      ref: r.ref,
      table: r.table,
      target: s.target,
      task: r.task,
      metric: r.metric,
      cvScore: r.cvScore,
      cvStd: r.cvStd,
      rows: r.rows,
      leaderboard: r.leaderboard.filter((x) => x.status === 'ok').slice(0, 5),
      importance: r.importance.slice(0, 5),
    });
  }
  opts.onStep?.('machine learning: scoring customers', 0, 1);
  const scored = await predictTable(lake, opts.analyst, registry, { model: 'churn@champion', table: { zone: 'ml', name: 'churn_current' }, out: { zone: 'ml', name: 'churn_scores' }, replace: true });
  const session = await lake.session(opts.analyst, { forSql: 'ml.churn_scores' });
  let atRisk = 0;
  try {
    const r = await session.query(`SELECT count(*) AS n FROM ml.churn_scores WHERE batch_id = ${quoteLiteral(scored.batchId)} AND prediction = 'true'`);
    atRisk = Number(r.rows[0]?.n ?? 0);
  } finally {
    await session.close();
  }
  opts.onStep?.('machine learning: scoring customers', 1, 1);
  return { models, scored: { model: scored.model, table: scored.table, out: scored.out, rows: scored.rows, atRisk, batchId: scored.batchId } };
}

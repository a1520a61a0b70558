import { createHash } from 'node:crypto';
import { AdeError, formatTableRef, messageOf, uuidv7, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import type { QualityService } from '../quality/quality-service.js';
import type { ExperimentConfig, MetricConfig } from './experiment-config.js';
import { unmappedExposuresSql } from './exposure-rows-sql.js';
import { analysisSql, exposureCountsSql, metricSumsSql, toVariantSums, type AnalysisSums, type VariantSums } from './metric-sql.js';
import {
  adjustPValues,
  bayesianTest,
  cupedAdjust,
  meanMoments,
  minimumDetectableEffect,
  quantileMoments,
  ratioMoments,
  sampleRatioMismatch,
  sampleSizePerVariant,
  sequentialTest,
  welchTTest,
  type BayesianResult,
  type Correction,
  type SequentialResult,
  type SrmResult,
  type VariantMoments,
  type WelchTestResult,
} from './stats/index.js';

export type MetricRole = 'primary' | 'secondary' | 'guardrail';

/** One treatment variant against the control, on one metric. */
export interface Comparison {
  readonly variant: string;
  readonly frequentist: WelchTestResult;
  readonly bayesian: BayesianResult;
  readonly sequential: SequentialResult;
  /** The frequentist relative (else absolute) two-sided p-value after the correction across variants × metrics. */
  readonly adjustedPValue: number;
}

export interface MetricAnalysis {
  readonly metric: string;
  readonly type: MetricConfig['type'];
  readonly role: MetricRole;
  readonly higherIsBetter: boolean;
  /** Per variant: units and the estimate (mean, rate, ratio or quantile; CUPED-adjusted when it has a covariate). */
  readonly variants: readonly { readonly variant: string; readonly n: number; readonly estimate: number; readonly unadjusted?: number }[];
  readonly comparisons: readonly Comparison[];
  readonly cuped?: { readonly theta: number; readonly varianceReduction: number };
  /** Primary metrics: the smallest absolute effect detectable at 80% power with the units so far, and the units per variant the experiment's MDE needs. */
  readonly power?: { readonly mdeAbsolute: number; readonly mdeRelative: number | null; readonly unitsPerVariantForMde?: number };
  /** Why the metric could not be analysed (too few units, a failing query); the other metrics still are. */
  readonly error?: { readonly code: string; readonly message: string; readonly hint?: string };
}

export interface ExperimentAnalysis {
  readonly experiment: string;
  readonly asOf: string;
  readonly configHash: string;
  readonly control: string;
  readonly units: readonly { readonly variant: string; readonly units: number }[];
  /** Units seen in more than one variant, left out of every metric. */
  readonly multipleExposures: number;
  /** Exposures imported from another tool (or mapped by `import.variants`): rows whose variant id maps to no variant, left out — their units and up to 10 of the ids. */
  readonly unmappedExposures?: { readonly rows: number; readonly units: number; readonly variantIds: readonly string[] };
  readonly srm: SrmResult | null;
  readonly correction: Correction;
  readonly metrics: readonly MetricAnalysis[];
}

export interface AnalyzeOptions {
  /** Exposures and metric rows before this time; default now. */
  readonly asOf?: Date;
  /** Across variants × metrics; default holm. */
  readonly correction?: Correction;
  /** Where a failing sample-ratio check is recorded and alerted (as a data-quality check on the exposures table). */
  readonly quality?: QualityService;
}

/**
 * Analyses an experiment as of a time: units per variant and the
 * sample-ratio check from the exposures; then, per metric, per-variant sums
 * aggregated in DuckDB (metric-sql.ts: every metric in one query that reads
 * the exposures once, or one query per metric when that one fails, so that
 * a bad metric fails alone) and every treatment compared with
 * the control (the first variant) — Welch, Bayesian and sequential —, with
 * p-values corrected across variants × metrics. The analysis is stored in
 * the catalog under (experiment, as-of, configuration hash): running it
 * again replaces it, so it is safe at any cadence.
 */
export async function analyzeExperiment(
  lake: Lake,
  principal: Principal,
  experiment: ExperimentConfig,
  metrics: readonly MetricConfig[],
  options: AnalyzeOptions = {},
): Promise<ExperimentAnalysis> {
  const asOf = options.asOf ?? lake.clock.now();
  const correction = options.correction ?? 'holm';
  const byName = new Map(metrics.map((m) => [m.name, m]));
  const roles: [string, MetricRole][] = [
    ...experiment.metrics.primary.map((m) => [m, 'primary'] as [string, MetricRole]),
    ...experiment.metrics.secondary.map((m) => [m, 'secondary'] as [string, MetricRole]),
    ...experiment.metrics.guardrails.map((m) => [m, 'guardrail'] as [string, MetricRole]),
  ];
  const used = roles.map(([m]) => byName.get(m) ?? missingMetric(experiment.key, m));
  const configHash = createHash('sha256').update(JSON.stringify({ experiment, metrics: used })).digest('hex');
  const tables = [experiment.exposures.table, ...used.flatMap((m) => (m.type === 'ratio' ? [m.numerator!.table, m.denominator!.table] : [m.source!.table]))];
  const session = await lake.session(principal, { forSql: tables.map(formatTableRef).join(' ') });
  const control = experiment.variants[0]!.name;
  let analysis: ExperimentAnalysis;
  try {
    // Every metric in one query, reading the exposures once; if it fails, metric by metric, to say which failed.
    let all: AnalysisSums | undefined;
    if (used.length > 0) {
      const q = analysisSql(experiment, used, asOf);
      all = await session.query(q.sql).then((r) => q.parse(r.rows), () => undefined);
    }
    const counts = all ? all.units.map((u) => ({ variant: u.variant, units: u.units })) : (await session.query(exposureCountsSql(experiment, asOf))).rows;
    const units = experiment.variants.map((v) => ({ variant: v.name, units: Number(counts.find((r) => r.variant === v.name)?.units ?? 0) }));
    const multipleExposures = all ? all.multipleExposures : Number(counts.find((r) => r.variant === null)?.units ?? 0);
    // Imported exposures: one more scan of them, for the rows whose variant id names no variant.
    const unmappedSql = unmappedExposuresSql(experiment, asOf);
    const unmapped = unmappedSql === undefined ? undefined : (await session.query(unmappedSql)).rows[0];
    const unmappedExposures = unmapped && {
      rows: Number(unmapped.unmapped_rows ?? 0),
      units: Number(unmapped.unmapped_units ?? 0),
      variantIds: ((unmapped.variant_ids as unknown[] | null) ?? []).map(String),
    };
    const srm = units.some((u) => u.units > 0)
      ? sampleRatioMismatch(
          units.map((u) => u.units),
          experiment.variants.map((v) => v.weight),
        )
      : null;
    const analysed: MetricAnalysis[] = [];
    for (const [i, metric] of used.entries()) {
      const role = roles[i]![1];
      try {
        const sums = all ? all.metrics[i]! : (await session.query(metricSumsSql(experiment, metric, asOf))).rows.map(toVariantSums);
        analysed.push(analyzeMetric(experiment, metric, role, sums));
      } catch (e) {
        const err = e instanceof AdeError ? { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } : { code: 'experiment.metric_failed', message: messageOf(e) };
        analysed.push({ metric: metric.name, type: metric.type, role, higherIsBetter: metric.higherIsBetter, variants: [], comparisons: [], error: err });
      }
    }
    analysis = { experiment: experiment.key, asOf: asOf.toISOString(), configHash, control, units, multipleExposures, ...(unmappedExposures ? { unmappedExposures } : {}), srm, correction, metrics: correct(analysed, correction) };
  } finally {
    await session.close();
  }
  await lake.catalog.putExperimentAnalysis({ id: uuidv7(), experiment: experiment.key, asOf, configHash, computedBy: principal.name, result: analysis });
  if (options.quality && analysis.srm) await recordSrm(options.quality, experiment, analysis);
  return analysis;
}

function missingMetric(experiment: string, metric: string): never {
  throw new AdeError('experiment.unknown_metric', `experiment ${experiment} names metric ${metric}, which is not defined`, { hint: 'define it under metrics: in ade.yaml' });
}

/** One metric: per-variant moments (CUPED-adjusted when it has a covariate), then each treatment against the control. */
function analyzeMetric(experiment: ExperimentConfig, metric: MetricConfig, role: MetricRole, sums: readonly VariantSums[]): MetricAnalysis {
  const ordered = experiment.variants.map((v) => sums.find((s) => s.variant === v.name) ?? { variant: v.name, n: 0, sumY: 0, sumY2: 0, sumX: null, sumX2: null, sumXY: null });
  let moments: VariantMoments[];
  let unadjusted: number[] | undefined;
  let cuped: MetricAnalysis['cuped'];
  if (metric.type === 'ratio') {
    moments = ordered.map((s) => ratioMoments({ n: s.n, numeratorSum: s.sumY, numeratorSumSquares: s.sumY2, denominatorSum: s.sumX ?? 0, denominatorSumSquares: s.sumX2 ?? 0, sumProducts: s.sumXY ?? 0 }));
  } else if (metric.type === 'quantile') {
    moments = ordered.map((s) =>
      quantileMoments({ n: s.n, level: metric.quantile!, estimate: s.quantile?.estimate ?? NaN, lower: s.quantile?.lower ?? NaN, upper: s.quantile?.upper ?? NaN }),
    );
  } else if (metric.covariateMs !== undefined) {
    const adjusted = cupedAdjust(ordered.map((s) => ({ n: s.n, sum: s.sumY, sumSquares: s.sumY2, covariateSum: s.sumX ?? 0, covariateSumSquares: s.sumX2 ?? 0, sumProducts: s.sumXY ?? 0 })));
    moments = [...adjusted.variants];
    unadjusted = ordered.map((s) => s.sumY / s.n);
    const ratios = adjusted.varianceRatios.filter((r) => Number.isFinite(r));
    cuped = { theta: adjusted.theta, varianceReduction: ratios.length ? 1 - ratios.reduce((a, b) => a + b, 0) / ratios.length : 0 };
  } else {
    moments = ordered.map((s) => meanMoments({ n: s.n, sum: s.sumY, sumSquares: s.sumY2 }));
  }
  const [c, ...treatments] = moments;
  const alternative = 'two-sided' as const;
  const totalUnits = moments.reduce((n, m) => n + m.n, 0);
  const comparisons = treatments.map((t, k) => ({
    variant: experiment.variants[k + 1]!.name,
    frequentist: welchTTest(c!, t, { alpha: experiment.alpha, alternative }),
    bayesian: bayesianTest(c!, t, { alpha: experiment.alpha }),
    // Tuned to the units so far (at least 5,000 as GrowthBook's default): always valid, whenever one looks.
    sequential: sequentialTest(c!, t, { alpha: experiment.alpha, alternative, expectedSampleSize: Math.max(5000, totalUnits) }),
    adjustedPValue: NaN,
  }));
  const power =
    role === 'primary' && c!.variance > 0
      ? (() => {
          const mdeAbsolute = minimumDetectableEffect({ variance: c!.variance, alpha: experiment.alpha, nPerVariant: c!.n, power: 0.8 });
          return {
            mdeAbsolute,
            mdeRelative: c!.mean !== 0 ? mdeAbsolute / Math.abs(c!.mean) : null,
            ...(experiment.mde !== undefined && c!.mean !== 0
              ? { unitsPerVariantForMde: Math.ceil(sampleSizePerVariant({ variance: c!.variance, alpha: experiment.alpha, effect: experiment.mde * Math.abs(c!.mean), power: 0.8 })) }
              : {}),
          };
        })()
      : undefined;
  return {
    metric: metric.name,
    type: metric.type,
    role,
    higherIsBetter: metric.higherIsBetter,
    variants: ordered.map((s, i) => ({ variant: s.variant, n: s.n, estimate: moments[i]!.mean, ...(unadjusted ? { unadjusted: unadjusted[i]! } : {}) })),
    comparisons,
    ...(cuped ? { cuped } : {}),
    ...(power ? { power } : {}),
  };
}

/** Fills each comparison's adjusted p-value, corrected across every variant × metric analysed. */
function correct(metrics: readonly MetricAnalysis[], method: Correction): MetricAnalysis[] {
  const ps = metrics.flatMap((m) => m.comparisons.map((c) => (c.frequentist.relative ?? c.frequentist.absolute).pValue));
  const adjusted = ps.length ? adjustPValues(ps, method) : [];
  let k = 0;
  return metrics.map((m) => ({ ...m, comparisons: m.comparisons.map((c) => ({ ...c, adjustedPValue: adjusted[k++]! })) }));
}

/** The sample-ratio check as a data-quality check on the exposures table: a broken split alerts like a failing check. */
async function recordSrm(quality: QualityService, experiment: ExperimentConfig, analysis: ExperimentAnalysis): Promise<void> {
  const srm = analysis.srm!;
  const table = formatTableRef(experiment.exposures.table);
  const observed = analysis.units.map((u) => `${u.variant} ${u.units}`).join(', ');
  await quality.recordResult({
    checkId: `${table}/srm(${experiment.key})`,
    table,
    check: `srm(${experiment.key})`,
    severity: 'error',
    status: srm.mismatch ? 'fail' : 'pass',
    observed: Object.fromEntries(analysis.units.map((u) => [u.variant, u.units])),
    expected: Object.fromEntries(analysis.units.map((u, i) => [u.variant, Math.round(srm.expected[i]!)])),
    message: srm.mismatch
      ? `experiment ${experiment.key}: sample ratio mismatch (${observed}; χ² ${srm.chiSquare.toFixed(2)}, p ${srm.pValue.toExponential(2)} < ${srm.threshold}) — its results cannot be trusted until the assignment or exposure logging is fixed`
      : `experiment ${experiment.key}: the split matches the weights (${observed}; p ${srm.pValue.toFixed(3)})`,
  });
}

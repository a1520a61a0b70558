import type { ExperimentAnalysis } from './analyze-experiment.js';
import type { ExperimentConfig } from './experiment-config.js';

/** Points a timeline holds at most (and days one request may compute). */
export const MAX_TIMELINE_POINTS = 60;

/** Points `POST …/timeline` computes unless told. */
export const DEFAULT_TIMELINE_POINTS = 30;

/**
 * When to analyse for a timeline of at most `points` as-of times: UTC
 * midnights from the day after the experiment's start up to its stop or
 * `now` (whichever comes first), evenly thinned to fit, always ending at that
 * end. Without a start: the last `points` days.
 */
export function dayBoundaries(experiment: Pick<ExperimentConfig, 'start' | 'stop'>, now: Date, points: number): Date[] {
  const DAY = 86_400_000;
  const end = experiment.stop && experiment.stop < now ? experiment.stop : now;
  const first = experiment.start ? Math.floor(experiment.start.getTime() / DAY) * DAY + DAY : Math.floor(end.getTime() / DAY) * DAY - (points - 2) * DAY;
  const days: number[] = [];
  for (let t = first; t < end.getTime(); t += DAY) days.push(t);
  const step = Math.max(1, Math.ceil((days.length + 1) / points));
  // Counted back from the end, so the newest days are kept and the end is always there.
  const kept = days.filter((_, i) => (days.length - i) % step === 0);
  return [...kept, end.getTime()].slice(-points).map((t) => new Date(t));
}

/** One as-of time of the timeline: units per variant, SRM, and per metric and treatment the effect with its interval. */
export interface TimelinePoint {
  readonly asOf: string;
  readonly units: readonly { readonly variant: string; readonly units: number }[];
  readonly srmPValue: number | null;
  readonly metrics: readonly {
    readonly metric: string;
    readonly role: string;
    readonly variant: string;
    /** Relative effect (else absolute, when the control's mean is 0) with its interval and adjusted p-value. */
    readonly scale: 'relative' | 'absolute';
    readonly effect: number;
    readonly ciLow: number;
    readonly ciHigh: number;
    readonly adjustedPValue: number;
    readonly chanceToWin: number | null;
  }[];
}

/** The stored analyses of the current configuration (the newest's hash), one per as-of time, oldest first. */
export function experimentTimeline(key: string, records: readonly { asOf: Date; result: unknown }[]): { experiment: string; points: TimelinePoint[] } {
  const analyses = records.map((r) => r.result as ExperimentAnalysis);
  const hash = analyses[0]?.configHash;
  const seen = new Set<string>();
  const points: TimelinePoint[] = [];
  for (const a of analyses) {
    if (a.configHash !== hash || seen.has(a.asOf)) continue;
    seen.add(a.asOf);
    points.push({
      asOf: a.asOf,
      units: a.units,
      srmPValue: a.srm?.pValue ?? null,
      metrics: a.metrics.flatMap((m) =>
        m.comparisons.map((c) => {
          const tested = c.frequentist.relative ?? c.frequentist.absolute;
          return {
            metric: m.metric,
            role: m.role,
            variant: c.variant,
            scale: c.frequentist.relative ? ('relative' as const) : ('absolute' as const),
            effect: tested.estimate,
            ciLow: tested.ci[0],
            ciHigh: tested.ci[1],
            adjustedPValue: c.adjustedPValue,
            chanceToWin: (c.bayesian.relative ?? c.bayesian.absolute).chanceToWin,
          };
        }),
      ),
    });
  }
  points.sort((x, y) => x.asOf.localeCompare(y.asOf));
  return { experiment: key, points: points.slice(-MAX_TIMELINE_POINTS) };
}

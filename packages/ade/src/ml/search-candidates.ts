import { fnv1a32 } from '@ade/sdk';
import { crossValidate, type CvOutcome } from './cross-validate.js';
import type { Estimator, Params, TrainSet } from './estimator.js';
import { isBetter, type Metric } from './metrics.js';
import { seededRng } from './rng.js';

/** One candidate of the search: a family with parameters, and what cross-validation made of it. */
export interface Trial {
  /** Position in the search order (0 = the cheapest family's defaults). */
  readonly id: number;
  readonly estimator: Estimator;
  readonly params: Params;
  /** 0 = the family's defaults, r ≥ 1 = its r-th random sample. */
  readonly round: number;
  /** Seeds the trial's cross-validation fits (derived from the search seed, family and round). */
  readonly seed: number;
  readonly status: 'ok' | 'failed' | 'skipped';
  /** Cross-validation scores and timings (`ok`); its `oof` is kept only for the best `keepOof` trials, else empty. */
  readonly cv?: CvOutcome;
  /** Why the fit failed (`failed`) or was skipped (`skipped`). */
  readonly error?: string;
}

/** What the search needs; it owns no data. */
export interface SearchOptions {
  /** Families to try; the defaults round goes cheapest (`costRank`) first. */
  readonly estimators: readonly Estimator[];
  readonly data: TrainSet;
  /** Fold index of every row, and the fold count. */
  readonly fold: Int32Array;
  readonly folds: number;
  readonly metric: Metric;
  readonly seed: number;
  /** Candidates per family, its defaults included. */
  readonly trialsPerFamily: number;
  /** performance.now() ms by which training (search and what follows) must end. */
  readonly deadline: number;
  /** Time to keep free for what follows the search (refit, importance), given the `ok` trials best first. */
  readonly reserveMs: (bestFirst: readonly Trial[]) => number;
  /** Keep out-of-fold predictions for this many of the best trials (the ensemble's pool). */
  readonly keepOof: number;
  /** Called after every trial (for progress output). */
  readonly onTrial?: (trial: Trial) => void;
}

/** A family that failed this often without ever fitting is not tried again. */
const MAX_FAILURES = 2;

/**
 * Random search over model families within a time limit. The candidate list
 * is fixed by the seed, never by timing: first every family's defaults,
 * cheapest first; then rounds 1…trialsPerFamily-1, each drawing one
 * `sample` per family (its random source seeded by seed, family and round),
 * the families ordered by their best score so far; repeated parameter sets
 * are not tried twice. Each candidate is scored by k-fold cross-validation.
 * Time only decides where the list is cut: between candidates the search
 * stops when the deadline (less `reserveMs`) has passed, and skips a
 * candidate whose family's observed fit time says it would not finish in
 * time; the first candidate always runs. The deadline is also passed to
 * `fit`, so iterative families stop early rather than overrun.
 *
 * @example
 * const trials = searchCandidates({ estimators: ESTIMATORS, data, fold, folds: 5, metric, seed: 0, trialsPerFamily: 10, deadline: performance.now() + 60_000, reserveMs: () => 0, keepOof: 20 });
 */
export function searchCandidates(o: SearchOptions): Trial[] {
  const { data, metric } = o;
  const families = [...o.estimators].sort((a, b) => a.costRank - b.costRank || compareText(a.family, b.family));
  const trials: Trial[] = [];
  const ok: Trial[] = [];
  const seen = new Map<string, Set<string>>(families.map((e) => [e.family, new Set<string>()]));
  const foldFitMs = new Map<string, number>();
  const failures = new Map<string, number>();
  const best = (family: string) => ok.find((t) => t.estimator.family === family)?.cv?.mean;

  const run = (estimator: Estimator, params: Params, round: number): boolean => {
    const key = stableKey(params);
    const tried = seen.get(estimator.family)!;
    if (tried.has(key)) return true;
    tried.add(key);
    if ((failures.get(estimator.family) ?? 0) >= MAX_FAILURES && best(estimator.family) === undefined) return true;
    const end = o.deadline - o.reserveMs(ok);
    const now = performance.now();
    if (ok.length > 0 && now >= end) return false;
    const seed = fnv1a32(`${o.seed}:${estimator.family}:${round}`);
    const base = { id: trials.length, estimator, params, round, seed };
    const perFold = foldFitMs.get(estimator.family);
    let trial: Trial;
    if (ok.length > 0 && perFold !== undefined && now + perFold * o.folds > end) {
      trial = { ...base, status: 'skipped', error: `would need about ${Math.round(perFold * o.folds)} ms, ${Math.max(0, Math.round(end - now))} ms left` };
    } else {
      try {
        const cv = crossValidate(estimator, data, params, { fold: o.fold, folds: o.folds, metric, seed, deadline: end > now ? end : o.deadline });
        const slowest = Math.max(...cv.fitMs, ...cv.predictMs.map((ms, f) => ms + cv.fitMs[f]!));
        foldFitMs.set(estimator.family, Math.max(perFold ?? 0, slowest));
        trial = { ...base, status: 'ok', cv };
        insertRanked(ok, trial, metric, o.keepOof);
      } catch (error) {
        failures.set(estimator.family, (failures.get(estimator.family) ?? 0) + 1);
        trial = { ...base, status: 'failed', error: error instanceof Error ? error.message : String(error) };
      }
    }
    trials.push(trial);
    o.onTrial?.(trial);
    return true;
  };

  for (const estimator of families) {
    if (!run(estimator, estimator.defaults(data.task, data.n, data.p), 0)) return trials;
  }
  for (let round = 1; round < o.trialsPerFamily; round++) {
    const order = families
      .map((e, rank) => ({ e, rank, score: best(e.family) }))
      .sort((a, b) => {
        if (a.score === undefined || b.score === undefined) return (a.score === undefined ? 1 : 0) - (b.score === undefined ? 1 : 0) || a.rank - b.rank;
        return isBetter(metric, a.score, b.score) ? -1 : isBetter(metric, b.score, a.score) ? 1 : a.rank - b.rank;
      });
    for (const { e } of order) {
      const params = e.sample(data.task, data.n, data.p, seededRng(fnv1a32(`${o.seed}:${e.family}:${round}:sample`)));
      if (!run(e, params, round)) return trials;
    }
  }
  return trials;
}

/**
 * Inserts an ok trial into `ranked` (best mean first, ties by id) and drops
 * the out-of-fold predictions of trials that fall out of the top `keep`, so
 * memory stays at `keep` × n × K numbers.
 */
function insertRanked(ranked: Trial[], trial: Trial, metric: Metric, keep: number): void {
  let at = ranked.length;
  while (at > 0 && isBetter(metric, trial.cv!.mean, ranked[at - 1]!.cv!.mean)) at--;
  ranked.splice(at, 0, trial);
  for (let i = keep; i < ranked.length; i++) {
    const cv = ranked[i]!.cv!;
    if (cv.oof.length > 0) (ranked[i] as { cv: CvOutcome }).cv = { ...cv, oof: new Float64Array(0) };
  }
}

/** JSON of `params` with keys sorted: the identity of a parameter set. */
function stableKey(params: Params): string {
  return JSON.stringify(Object.keys(params).sort().map((k) => [k, params[k]]));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

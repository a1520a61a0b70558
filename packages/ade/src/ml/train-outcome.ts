import type { ModelArtifact, Task } from '@ade/sdk';

/** One candidate on a leaderboard, whichever engine trained it. */
export interface LeaderboardRow {
  /** e.g. `gbt`, `random_forest`, `linear`, or `ensemble`. */
  readonly family: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Mean cross-validated score and its standard deviation over the folds (undefined: failed or skipped). */
  readonly cvScore?: number;
  readonly cvStd?: number;
  /** Mean fit time of one fold (seconds). */
  readonly fitSeconds?: number;
  /** Prediction time per 1,000 rows (milliseconds). */
  readonly predictMsPer1k?: number;
  /** Weight in the final (ensemble) model; 0 or undefined when not part of it. */
  readonly weight?: number;
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly error?: string;
}

/** What an engine hands back: the portable model and everything the manifest and the CLI show. */
export interface TrainOutcome {
  readonly artifact: ModelArtifact;
  readonly task: Task;
  readonly metric: string;
  /** Whether a larger metric value is better. */
  readonly higherIsBetter: boolean;
  /** The final model's cross-validated score (mean over the folds) and standard deviation. */
  readonly cvScore: number;
  readonly cvStd: number;
  /** Best first. */
  readonly leaderboard: readonly LeaderboardRow[];
  /** Per input column, ≥ 0, summing to 1 (largest first). */
  readonly importance: readonly { readonly feature: string; readonly importance: number }[];
  readonly dropped: readonly { readonly column: string; readonly reason: string }[];
  /** Rows trained on (rows with a target). */
  readonly rows: number;
  /** Rows left out because their target was missing. */
  readonly missingTarget: number;
  /** Engine-specific facts for the manifest (versions, data format, ensemble members…). */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** Progress while training: a candidate was cross-validated (or skipped), with the best score so far. */
export interface TrainProgress {
  readonly tried: number;
  readonly family: string;
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly cvScore?: number;
  readonly best?: number;
  readonly bestFamily?: string;
}

/** Per input column from per feature slot: slot importances summed by the column they came from, normalised to sum 1, largest first. */
export function columnImportance(slots: ArrayLike<number>, slotInput: ArrayLike<number>, inputs: readonly { readonly name: string }[]): { feature: string; importance: number }[] {
  const sums = new Float64Array(inputs.length);
  for (let s = 0; s < slots.length; s++) {
    const v = slots[s]!;
    if (Number.isFinite(v) && v > 0) sums[slotInput[s]!]! += v;
  }
  const total = sums.reduce((a, b) => a + b, 0);
  return inputs
    .map((c, i) => ({ feature: c.name, importance: total > 0 ? sums[i]! / total : 0 }))
    .sort((a, b) => b.importance - a.importance || (a.feature < b.feature ? -1 : 1));
}

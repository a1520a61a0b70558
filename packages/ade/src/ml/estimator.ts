import type { Link, ModelNode, Task } from '@ade/sdk';

/**
 * Training data as the estimators see it: a dense row-major Float64 matrix of
 * already-encoded features (feature steps applied: no NaN, categoricals
 * one-hot, numerics imputed and — for families that want it — standardised),
 * and the target: a value per row (regression) or a class index 0…K-1
 * stored as a float (classification).
 */
export interface TrainSet {
  readonly x: Float64Array;
  /** Rows. */
  readonly n: number;
  /** Features per row. */
  readonly p: number;
  readonly y: Float64Array;
  readonly task: Task;
  /** Classification: the number of classes K ≥ 2. */
  readonly classes?: number;
  /** Optional per-row weights (all 1 when absent). */
  readonly weights?: Float64Array;
}

/** A deterministic random source (seeded), so the same seed and data give the same model. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/**
 * A model family's hyper-parameters: plain JSON, shown on the leaderboard
 * and stored in the manifest.
 */
export type Params = Readonly<Record<string, number | string | boolean>>;

/** A trained model in memory: predicts on encoded rows and exports its portable node. */
export interface FittedModel {
  /**
   * Predictions for `n` rows of `x` (row-major, the training `p`):
   * regression → n values; classification → n × K probabilities, row-major.
   */
  predict(x: Float64Array, n: number): Float64Array;
  /** The portable form (packages/sdk/src/ml/artifact.ts), which must reproduce `predict` (exactly for trees, to 1e-9 for the rest). */
  toNode(): ModelNode;
  /** Per-feature importance (≥ 0, any scale), when the family has a native one (trees: total gain; linear: |coef| × std). */
  featureImportance?(): Float64Array;
}

/** A model family: fits with given parameters, and proposes parameter sets to try. */
export interface Estimator {
  /** e.g. `linear`, `tree`, `random_forest`, `extra_trees`, `knn`, `gbt`, `mlp`. */
  readonly family: string;
  /** Whether it wants standardised numeric features (linear, kNN, MLP) or raw ones (trees). */
  readonly wantsScaled: boolean;
  /** Relative cost rank, cheapest first (the search tries cheap families first). */
  readonly costRank: number;
  /** The family's default parameters: the first candidate tried. */
  defaults(task: Task, n: number, p: number): Params;
  /** A random neighbour/alternative of the defaults for the search (deterministic given rng). */
  sample(task: Task, n: number, p: number, rng: Rng): Params;
  /**
   * Fits. Throws `MlError` (ml/ml-error.ts) for data it cannot fit. `deadline`
   * (performance.now() ms) lets iterative families stop early and still
   * return a usable model.
   */
  fit(data: TrainSet, params: Params, rng: Rng, deadline?: number): FittedModel;
}

export type { Link, ModelNode, Task };

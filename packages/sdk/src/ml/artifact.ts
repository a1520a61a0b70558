/**
 * The portable form of a trained ade model ("the coefficients"): plain JSON,
 * the same document the registry stores, the server scores with and an app
 * loads into `Scorer`. Every number is a JSON number (finite; NaN is never
 * stored: missing values are routed by `missingLeft` or imputed by the
 * features' `impute`).
 *
 * Scoring a row is always: `FeatureStep`s turn the input object into a
 * feature vector `x` (Float64, length `featureCount`), then the `model`
 * maps `x` to a raw output, then the `link` to the prediction.
 */
export const ARTIFACT_FORMAT = 'ade.model/v1';

export type Task = 'classification' | 'regression';

export interface ModelArtifact {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly task: Task;
  /** The target column's name. */
  readonly target: string;
  /** classification: the class labels, in output order (as strings). */
  readonly classes?: readonly string[];
  /** The input columns the scorer reads, with their lake types (for validation and docs). */
  readonly inputs: readonly { readonly name: string; readonly type: string }[];
  readonly features: readonly FeatureStep[];
  /** Length of the feature vector the steps produce. */
  readonly featureCount: number;
  readonly model: ModelNode;
}

/**
 * One input column → one or more slots of the feature vector, in order.
 * `numeric`: value (numbers, numeric strings, booleans as 0/1), missing or
 * non-finite → `impute`; then `(v - center) / scale` (center 0, scale 1 when
 * not standardised). `categorical`: one-hot over `categories` (an unseen or
 * missing value → all zeros; values compared as strings). `datetime`:
 * ISO strings or epoch ms → the listed parts (UTC), each as a numeric slot
 * with its own impute/center/scale. `text_hash`: lower-cased tokens of
 * [a-z0-9]+ hashed (fnv1a32 mod `buckets`) into counts, then scaled.
 *
 * Precisely (encode.ts, the one implementation): a numeric string counts
 * only when all of it (trimmed) is a decimal literal — `"12abc"`, `"0x10"`,
 * `""`, `"Infinity"` are missing; bigints are numbers; a standardised value
 * that overflows is imputed, so every slot is finite. Categorical keys:
 * strings as they are (no trimming or case folding), finite numbers as
 * `String()` writes them (`3.0` → `"3"`), booleans `"true"`/`"false"`; NaN,
 * Dates and objects are missing. Datetime: `Date`s, epoch ms (number or
 * bigint) or ISO-8601 `YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|±HH[:MM]]` — a
 * date-time without a zone is UTC; anything else is missing (each part
 * imputed); `weekday` 0 = Sunday … 6, `month` 1–12, `epoch_days` fractional
 * (ms / 86,400,000). text_hash: `toLowerCase()`, then maximal runs of
 * [a-z0-9], slot count divided by `scale`; numbers hashed as their text.
 */
export type FeatureStep =
  | { readonly kind: 'numeric'; readonly column: string; readonly impute: number; readonly center: number; readonly scale: number }
  | { readonly kind: 'categorical'; readonly column: string; readonly categories: readonly string[] }
  | {
      readonly kind: 'datetime';
      readonly column: string;
      readonly parts: readonly { readonly part: DatetimePart; readonly impute: number; readonly center: number; readonly scale: number }[];
    }
  | { readonly kind: 'text_hash'; readonly column: string; readonly buckets: number; readonly scale: number };

export type DatetimePart = 'year' | 'month' | 'day' | 'weekday' | 'hour' | 'epoch_days';

/**
 * The model over the feature vector. `raw` is a vector of length K (K = 1 for
 * regression and for binary classification's logit, the class count for
 * multiclass), turned into the prediction by `link`:
 * identity (regression value), logistic (binary: p(class 1) = σ(raw[0])),
 * softmax (multiclass probabilities), probabilities (raw already sums to 1:
 * averaged class frequencies of forests, kNN).
 *
 * Prediction layout (score-node.ts): regression n values; classification
 * n × K probabilities (logistic: [1 - p, p]). Every sum runs in a fixed,
 * documented order (linear: from the intercept over features in order;
 * trees `sum`: from base over trees in order, `mean`: base + (Σ in tree
 * order) / trees; MLP: from each bias over inputs in order; ensemble:
 * Σ weight·member in member order / Σ weight), so the server and an app
 * get the same bits.
 */
export type ModelNode = LinearNode | TreesNode | KnnNode | MlpNode | EnsembleNode;

export type Link = 'identity' | 'logistic' | 'softmax' | 'probabilities';

/** raw[k] = intercept[k] + Σⱼ coef[k][j] · x[j]. */
export interface LinearNode {
  readonly kind: 'linear';
  readonly link: Link;
  readonly intercept: readonly number[];
  readonly coef: readonly (readonly number[])[];
}

/**
 * Trees in arrays. For node i: `feature[i] < 0` → a leaf whose output is
 * `value[i]` (length K); else go left when `x[feature[i]] <= threshold[i]`,
 * right otherwise; a missing (NaN) value goes left when `missingLeft[i]`.
 * (Feature steps never produce NaN, but `missingLeft` keeps the format
 * complete for raw numeric inputs.) raw = base + (aggregate of the trees'
 * leaf outputs): `sum` (boosting, leaf values already include the learning
 * rate) or `mean` (forests).
 */
export interface TreesNode {
  readonly kind: 'trees';
  readonly link: Link;
  readonly aggregate: 'sum' | 'mean';
  readonly base: readonly number[];
  readonly trees: readonly Tree[];
}

export interface Tree {
  readonly feature: readonly number[];
  readonly threshold: readonly number[];
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly missingLeft: readonly boolean[];
  readonly value: readonly (readonly number[])[];
}

/** k nearest neighbours by Euclidean distance over the (scaled) features; raw = mean of the neighbours' targets (one-hot for classes); ties by training order. */
export interface KnnNode {
  readonly kind: 'knn';
  readonly link: Link;
  readonly k: number;
  /** Row-major training points, `points.length / featureCount` rows. */
  readonly points: readonly number[];
  /** Per training row, its target vector of length K. */
  readonly targets: readonly (readonly number[])[];
  readonly weighting: 'uniform' | 'distance';
}

/** Fully connected layers; hidden layers use `activation`, the last layer is linear and feeds `link`. weights[l] is out × in, row-major. */
export interface MlpNode {
  readonly kind: 'mlp';
  readonly link: Link;
  readonly activation: 'relu' | 'tanh';
  readonly layers: readonly { readonly weights: readonly number[]; readonly bias: readonly number[]; readonly inputs: number; readonly outputs: number }[];
}

/** A weighted average of members' predictions (after each member's own link); raw is that average and `link` must be identity or probabilities. */
export interface EnsembleNode {
  readonly kind: 'ensemble';
  readonly link: 'identity' | 'probabilities';
  readonly members: readonly { readonly weight: number; readonly model: Exclude<ModelNode, EnsembleNode> }[];
}

/**
 * A model node compiled for scoring, before its link: typed arrays built
 * once from the JSON node, and a function from `n` encoded rows to their
 * raw outputs (`n × k`, row-major).
 */
export interface RawScorer {
  /** Raw outputs per row (K). */
  readonly k: number;
  /** Raw outputs for `n` rows of `x` (row-major, `featureCount` per row). */
  raw(x: Float64Array, n: number): Float64Array;
}

import { AdeSdkError } from '../errors.js';
import type { EnsembleNode, ModelNode } from './artifact.js';
import { applyLink } from './apply-link.js';
import type { RawScorer } from './raw-scorer.js';
import { compileKnn } from './score-knn.js';
import { compileLinear } from './score-linear.js';
import { compileMlp } from './score-mlp.js';
import { compileTrees } from './score-trees.js';
import { validateNode } from './validate-artifact.js';

/** A model node compiled once for scoring (typed arrays, lookup tables). */
export interface CompiledNode {
  readonly featureCount: number;
  /** Predictions per row: 1 for regression, K class probabilities for classification (2 for a logistic node). */
  readonly width: number;
  /**
   * Predictions for `n` encoded rows of `x` (row-major, `featureCount` per
   * row; only the first `n × featureCount` values are read), in the layout
   * of `FittedModel.predict`: `n × width`, row-major.
   */
  score(x: Float64Array, n: number): Float64Array;
}

function compileRaw(node: Exclude<ModelNode, EnsembleNode>, featureCount: number): RawScorer {
  switch (node.kind) {
    case 'linear':
      return compileLinear(node, featureCount);
    case 'trees':
      return compileTrees(node, featureCount);
    case 'knn':
      return compileKnn(node, featureCount);
    case 'mlp':
      return compileMlp(node, featureCount);
  }
}

/**
 * Compiles a node that has already been validated (`validateNode`), without
 * validating again. Use {@link compileNode} for nodes of unknown origin.
 */
export function compileValidNode(node: ModelNode, featureCount: number): CompiledNode {
  if (node.kind === 'ensemble') return compileEnsemble(node, featureCount);
  const raw = compileRaw(node, featureCount);
  const link = node.link;
  return {
    featureCount,
    width: link === 'logistic' ? 2 : raw.k,
    score(x, n) {
      checkInput(x, n, featureCount);
      return applyLink(link, raw.raw(x, n), n, raw.k);
    },
  };
}

/**
 * Ensemble: `Σ weightᵢ · memberᵢ / Σ weightᵢ`, each member's predictions
 * after its own link; the sums run in member order from 0; members of
 * weight 0 are not scored.
 */
function compileEnsemble(node: EnsembleNode, featureCount: number): CompiledNode {
  const members = node.members.filter((m) => m.weight > 0).map((m) => ({ weight: m.weight, model: compileValidNode(m.model, featureCount) }));
  let total = 0;
  for (const m of members) total += m.weight;
  const width = members[0]?.model.width ?? 1;
  return {
    featureCount,
    width,
    score(x, n) {
      checkInput(x, n, featureCount);
      const out = new Float64Array(n * width);
      for (const m of members) {
        const pred = m.model.score(x, n);
        const w = m.weight;
        for (let i = 0; i < out.length; i++) out[i] = out[i]! + w * pred[i]!;
      }
      for (let i = 0; i < out.length; i++) out[i] = out[i]! / total;
      return out;
    },
  };
}

function checkInput(x: Float64Array, n: number, featureCount: number): void {
  if (!Number.isInteger(n) || n < 0 || x.length < n * featureCount) {
    throw new AdeSdkError('model.input', `scoring ${n} rows needs ${n * featureCount} features (${featureCount} per row), x holds ${x.length}`, {
      hint: 'Pass x as encodeRows(...) returns it, with n = the number of rows.',
    });
  }
}

const cache = new WeakMap<ModelNode, CompiledNode>();

/**
 * Validates a node once (see `validateNode`) and compiles it for scoring;
 * cached per node object (treat nodes as frozen data: a node changed after
 * its first use keeps scoring as it was).
 *
 * @throws AdeSdkError `model.invalid` naming the path of the problem.
 * @example
 * const compiled = compileNode(model.toNode(), p);
 * compiled.score(x, n);
 */
export function compileNode(node: ModelNode, featureCount: number): CompiledNode {
  const cached = cache.get(node);
  if (cached !== undefined && cached.featureCount === featureCount) return cached;
  validateNode(node, featureCount);
  const compiled = compileValidNode(node, featureCount);
  cache.set(node, compiled);
  return compiled;
}

/**
 * Predictions of a model node for `n` encoded rows (`x` row-major,
 * `featureCount` per row, as `encodeRows` makes it), in the layout of
 * `FittedModel.predict`: regression `n` values; classification `n × K`
 * probabilities, row-major (binary logistic: `[1 - p, p]`). The order of
 * every sum is fixed and documented per kind (score-linear.ts,
 * score-trees.ts, score-knn.ts, score-mlp.ts, apply-link.ts, and the
 * ensemble above), so the server and an app get the same bits.
 *
 * @example
 * scoreNode({ kind: 'linear', link: 'identity', intercept: [1], coef: [[2, 3]] }, Float64Array.of(1, 1), 1, 2);
 * // Float64Array [6]
 */
export function scoreNode(node: ModelNode, x: Float64Array, n: number, featureCount: number): Float64Array {
  return compileNode(node, featureCount).score(x, n);
}

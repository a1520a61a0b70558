import { applyLink, type LinearNode } from '@ade/sdk';
import type { Estimator, FittedModel, Link, Params, TrainSet } from '../estimator.js';
import { checkTrainSet } from './check-train-set.js';
import { choleskySolve } from './cholesky.js';
import { minimizeLbfgs } from './lbfgs.js';
import { logUniform, readChoice, readNumber } from './read-param.js';

/**
 * Above this many multiply-adds (n·p²/2 for the normal equations, n²·p/2 for
 * the dual form) ridge switches from a direct Cholesky solve to conjugate
 * gradients, which never forms a p × p matrix.
 */
const DIRECT_SOLVE_BUDGET = 2e9;

/**
 * Regularised linear models: ridge regression (closed form) and L2-penalised
 * logistic regression (binary: one logit; multiclass: multinomial softmax),
 * fitted by L-BFGS. Features arrive standardised; the intercept is never
 * penalised.
 *
 * Parameters (defaults as scikit-learn's `Ridge` / `LogisticRegression`):
 * - regression: `alpha` (1) — penalty α·‖β‖² added to the weighted squared error;
 *   `solver` (`auto`) — `direct` (Cholesky on the p × p normal equations, or the
 *   n × n dual system when p > n), `cg` (conjugate gradients, matrix-free), or
 *   `auto`: direct unless that costs more than ~2·10⁹ multiply-adds.
 * - classification: `C` (1) — inverse penalty: minimises C·Σ wᵢ·logloss + ½‖β‖²;
 *   `maxIter` (200) and `tol` (1e-5, on the largest gradient component of the
 *   objective divided by Σ wᵢ).
 *
 * @example
 * const model = linear.fit({ x, n, p, y, task: 'regression' }, { alpha: 0.1 }, seededRng(1));
 * model.predict(x, n); // fitted values
 * model.toNode();      // { kind: 'linear', link: 'identity', intercept: [..], coef: [[..]] }
 */
export const linear: Estimator = {
  family: 'linear',
  wantsScaled: true,
  costRank: 0,
  defaults(task): Params {
    return task === 'regression' ? { alpha: 1 } : { C: 1 };
  },
  sample(task, _n, _p, rng): Params {
    return task === 'regression' ? { alpha: roundSig(logUniform(rng.next, 1e-4, 1e3)) } : { C: roundSig(logUniform(rng.next, 1e-3, 1e2)) };
  },
  fit(data, params, _rng, deadline) {
    const checked = checkTrainSet(data, 'linear');
    if (data.task === 'regression') {
      const alpha = readNumber(params, 'alpha', 1, { min: 0 }, 'linear');
      const solver = readChoice(params, 'solver', ['auto', 'direct', 'cg'] as const, 'auto', 'linear');
      const { coef, intercept } = fitRidge(data, checked.weights, alpha, solver, deadline);
      return new LinearModel('identity', [intercept], [coef], data);
    }
    const c = readNumber(params, 'C', 1, { min: 1e-12 }, 'linear');
    const maxIter = readNumber(params, 'maxIter', 200, { min: 1, integer: true }, 'linear');
    const tol = readNumber(params, 'tol', 1e-5, { min: 0 }, 'linear');
    const k = checked.outputs;
    const { intercepts, coefs } = fitLogistic(data, checked.weights, checked.weightSum, k, c, maxIter, tol, deadline);
    return new LinearModel(k === 2 ? 'logistic' : 'softmax', intercepts, coefs, data);
  },
};

class LinearModel implements FittedModel {
  private readonly std: Float64Array;

  constructor(
    private readonly link: Link,
    private readonly intercepts: readonly number[],
    private readonly coefs: readonly Float64Array[],
    data: TrainSet,
  ) {
    this.std = columnStd(data);
  }

  predict(x: Float64Array, n: number): Float64Array {
    const k = this.coefs.length;
    const p = this.coefs[0]!.length;
    const raw = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const row = i * p;
      for (let c = 0; c < k; c++) {
        const w = this.coefs[c]!;
        let s = this.intercepts[c]!;
        for (let j = 0; j < p; j++) s += w[j]! * x[row + j]!;
        raw[i * k + c] = s;
      }
    }
    return applyLink(this.link, raw, n, k);
  }

  toNode(): LinearNode {
    return { kind: 'linear', link: this.link, intercept: [...this.intercepts], coef: this.coefs.map((w) => Array.from(w)) };
  }

  /** Σ over outputs of |coef| × the feature's training standard deviation (= |coef| on standardised features). */
  featureImportance(): Float64Array {
    const p = this.std.length;
    const out = new Float64Array(p);
    for (const w of this.coefs) for (let j = 0; j < p; j++) out[j]! += Math.abs(w[j]!) * this.std[j]!;
    return out;
  }
}

/**
 * Weighted ridge: minimises Σ wᵢ (yᵢ − b − xᵢ·β)² + α‖β‖² by centring (so b is
 * unpenalised) and solving the normal equations (p ≤ n) or the dual system
 * (p > n) by Cholesky; conjugate gradients when either would be too large.
 * A singular system (α = 0 with collinear or constant columns) gets a tiny
 * ridge added rather than failing.
 */
function fitRidge(
  data: TrainSet,
  weights: Float64Array,
  alpha: number,
  solver: 'auto' | 'direct' | 'cg',
  deadline?: number,
): { coef: Float64Array; intercept: number } {
  const { x, n, p, y } = data;
  const { xMean, yMean } = weightedMeans(data, weights);
  if (p === 0) return { coef: new Float64Array(0), intercept: yMean };
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (weights[i]! > 0) rows.push(i);
  const m = rows.length;
  const primalCost = (m * p * p) / 2;
  const dualCost = (m * m * p) / 2;
  let coef: Float64Array | undefined;
  if (solver === 'direct' || (solver === 'auto' && Math.min(primalCost, dualCost) <= DIRECT_SOLVE_BUDGET)) {
    coef = p <= m ? ridgePrimal(x, p, y, weights, rows, xMean, yMean, alpha) : ridgeDual(x, p, y, weights, rows, xMean, yMean, alpha);
  }
  coef ??= ridgeConjugateGradient(x, p, y, weights, rows, xMean, yMean, alpha, deadline);
  let intercept = yMean;
  for (let j = 0; j < p; j++) intercept -= xMean[j]! * coef[j]!;
  return { coef, intercept };
}

function ridgePrimal(
  x: Float64Array,
  p: number,
  y: Float64Array,
  weights: Float64Array,
  rows: readonly number[],
  xMean: Float64Array,
  yMean: number,
  alpha: number,
): Float64Array | undefined {
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  // Rows four at a time (√w·centred): each pass over the lower triangle adds four outer products.
  const c = [new Float64Array(p), new Float64Array(p), new Float64Array(p), new Float64Array(p)] as const;
  const [c0, c1, c2, c3] = c;
  for (let r = 0; r < rows.length; r += 4) {
    for (let u = 0; u < 4; u++) {
      const buf = c[u]!;
      if (r + u >= rows.length) {
        buf.fill(0);
        continue;
      }
      const i = rows[r + u]!;
      const o = i * p;
      const sw = Math.sqrt(weights[i]!);
      const res = weights[i]! * (y[i]! - yMean);
      for (let j = 0; j < p; j++) {
        const cj = x[o + j]! - xMean[j]!;
        buf[j] = sw * cj;
        b[j]! += cj * res;
      }
    }
    for (let j = 0; j < p; j++) {
      const v0 = c0[j]!;
      const v1 = c1[j]!;
      const v2 = c2[j]!;
      const v3 = c3[j]!;
      const aj = j * p;
      for (let k = 0; k <= j; k++) a[aj + k]! += v0 * c0[k]! + v1 * c1[k]! + v2 * c2[k]! + v3 * c3[k]!;
    }
  }
  return solveWithRidge(a, p, b, alpha);
}

/** p > n: β = Xcᵀ·a with (Xc·Xcᵀ + α·W⁻¹)·a = yc over the rows of positive weight. */
function ridgeDual(
  x: Float64Array,
  p: number,
  y: Float64Array,
  weights: Float64Array,
  rows: readonly number[],
  xMean: Float64Array,
  yMean: number,
  alpha: number,
): Float64Array | undefined {
  const m = rows.length;
  const c = new Float64Array(m * p);
  rows.forEach((i, r) => {
    for (let j = 0; j < p; j++) c[r * p + j] = x[i * p + j]! - xMean[j]!;
  });
  const g = new Float64Array(m * m);
  for (let r = 0; r < m; r++) {
    for (let s = 0; s <= r; s++) {
      let d = 0;
      for (let j = 0; j < p; j++) d += c[r * p + j]! * c[s * p + j]!;
      g[r * m + s] = d;
    }
  }
  const yc = new Float64Array(m);
  const diag = new Float64Array(m);
  rows.forEach((i, r) => {
    yc[r] = y[i]! - yMean;
    diag[r] = alpha / weights[i]!;
  });
  for (let r = 0; r < m; r++) g[r * m + r]! += diag[r]!;
  const dual = solveWithRidge(g, m, yc, 0);
  if (!dual) return undefined;
  const coef = new Float64Array(p);
  for (let r = 0; r < m; r++) {
    const a = dual[r]!;
    for (let j = 0; j < p; j++) coef[j]! += c[r * p + j]! * a;
  }
  return coef;
}

/** Cholesky with `alpha` on the diagonal; on failure, retries with a growing jitter (1e-10 … 1e-2 of the mean diagonal). */
function solveWithRidge(a: Float64Array, m: number, b: Float64Array, alpha: number): Float64Array | undefined {
  let trace = 0;
  for (let j = 0; j < m; j++) trace += a[j * m + j]!;
  const scale = trace / m > 0 ? trace / m : 1;
  for (let jitter = 0; jitter <= 1e-2 * scale; jitter = jitter === 0 ? 1e-10 * scale : jitter * 100) {
    const ridge = alpha + jitter;
    const aj = ridge === 0 ? a : a.slice();
    if (ridge !== 0) for (let j = 0; j < m; j++) aj[j * m + j]! += ridge;
    const solution = choleskySolve(aj, m, b);
    if (solution) return solution;
  }
  return undefined;
}

/** Matrix-free conjugate gradients on (XcᵀW·Xc + αI)·β = XcᵀW·yc: up to 500 iterations, stops at 1e-10 relative residual or the deadline. */
function ridgeConjugateGradient(
  x: Float64Array,
  p: number,
  y: Float64Array,
  weights: Float64Array,
  rows: readonly number[],
  xMean: Float64Array,
  yMean: number,
  alpha: number,
  deadline?: number,
): Float64Array {
  // A tiny ridge keeps the system positive definite when alpha is 0.
  const ridge = alpha > 0 ? alpha : 1e-10;
  const apply = (v: Float64Array, out: Float64Array): void => {
    out.fill(0);
    let meanDot = 0;
    for (let j = 0; j < p; j++) meanDot += xMean[j]! * v[j]!;
    for (const i of rows) {
      const o = i * p;
      let t = -meanDot;
      for (let j = 0; j < p; j++) t += x[o + j]! * v[j]!;
      t *= weights[i]!;
      for (let j = 0; j < p; j++) out[j]! += (x[o + j]! - xMean[j]!) * t;
    }
    for (let j = 0; j < p; j++) out[j]! += ridge * v[j]!;
  };
  const b = new Float64Array(p);
  for (const i of rows) {
    const o = i * p;
    const r = weights[i]! * (y[i]! - yMean);
    for (let j = 0; j < p; j++) b[j]! += (x[o + j]! - xMean[j]!) * r;
  }
  const beta = new Float64Array(p);
  const r = b.slice();
  const d = b.slice();
  const q = new Float64Array(p);
  let rr = dot(r, r);
  const stop = 1e-20 * dot(b, b);
  for (let it = 0; it < 500 && rr > stop; it++) {
    if (deadline !== undefined && performance.now() > deadline) break;
    apply(d, q);
    const step = rr / dot(d, q);
    for (let j = 0; j < p; j++) {
      beta[j]! += step * d[j]!;
      r[j]! -= step * q[j]!;
    }
    const rrNew = dot(r, r);
    const ratio = rrNew / rr;
    rr = rrNew;
    for (let j = 0; j < p; j++) d[j] = r[j]! + ratio * d[j]!;
  }
  return beta;
}

/**
 * L2-penalised logistic regression. Objective (divided by S = Σ wᵢ so the
 * tolerance does not depend on n): (1/S)·Σ wᵢ·logloss(xᵢ) + ‖β‖² / (2·C·S).
 * Binary: one logit for class 1; multiclass: K softmax logits.
 */
function fitLogistic(
  data: TrainSet,
  weights: Float64Array,
  weightSum: number,
  k: number,
  c: number,
  maxIter: number,
  tol: number,
  deadline?: number,
): { intercepts: number[]; coefs: Float64Array[] } {
  const { x, n, p, y } = data;
  const outs = k === 2 ? 1 : k;
  const stride = p + 1;
  const penalty = 1 / (c * weightSum);
  const invS = 1 / weightSum;
  // Start from the class priors (intercepts only): the first steps then only shape β.
  const prior = new Float64Array(k);
  for (let i = 0; i < n; i++) prior[y[i]!]! += weights[i]!;
  const w0 = new Float64Array(outs * stride);
  const logPrior = (cls: number) => Math.log(Math.max(prior[cls]! * invS, 1e-6));
  if (outs === 1) w0[p] = logPrior(1) - logPrior(0);
  else for (let cls = 0; cls < k; cls++) w0[cls * stride + p] = logPrior(cls);
  const z = new Float64Array(outs);
  const fg = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const wi = weights[i]!;
      if (wi === 0) continue;
      const o = i * p;
      for (let cls = 0; cls < outs; cls++) {
        const base = cls * stride;
        let s = w[base + p]!;
        for (let j = 0; j < p; j++) s += w[base + j]! * x[o + j]!;
        z[cls] = s;
      }
      const yi = y[i]!;
      const zTrue = outs === 1 ? 0 : z[yi]!;
      if (outs === 1) {
        const zi = z[0]!;
        const target = yi === 1 ? 1 : 0;
        loss += wi * (Math.max(zi, 0) + Math.log1p(Math.exp(-Math.abs(zi))) - target * zi);
        const r = wi * (1 / (1 + Math.exp(-zi)) - target);
        for (let j = 0; j < p; j++) grad[j]! += r * x[o + j]!;
        grad[p]! += r;
      } else {
        let max = -Infinity;
        for (let cls = 0; cls < outs; cls++) max = Math.max(max, z[cls]!);
        let sum = 0;
        for (let cls = 0; cls < outs; cls++) {
          const e = Math.exp(z[cls]! - max);
          z[cls] = e;
          sum += e;
        }
        loss += wi * (Math.log(sum) + max - zTrue);
        for (let cls = 0; cls < outs; cls++) {
          const r = wi * (z[cls]! / sum - (cls === yi ? 1 : 0));
          const base = cls * stride;
          for (let j = 0; j < p; j++) grad[base + j]! += r * x[o + j]!;
          grad[base + p]! += r;
        }
      }
    }
    loss *= invS;
    for (let g = 0; g < grad.length; g++) grad[g]! *= invS;
    for (let cls = 0; cls < outs; cls++) {
      const base = cls * stride;
      for (let j = 0; j < p; j++) {
        const v = w[base + j]!;
        loss += 0.5 * penalty * v * v;
        grad[base + j]! += penalty * v;
      }
    }
    return loss;
  };
  const { w } = minimizeLbfgs(fg, w0, { maxIterations: maxIter, gradientTolerance: tol, relativeTolerance: 1e-14, ...(deadline === undefined ? {} : { deadline }) });
  const intercepts: number[] = [];
  const coefs: Float64Array[] = [];
  for (let cls = 0; cls < outs; cls++) {
    intercepts.push(w[cls * stride + p]!);
    coefs.push(w.slice(cls * stride, cls * stride + p));
  }
  return { intercepts, coefs };
}

function weightedMeans(data: TrainSet, weights: Float64Array): { xMean: Float64Array; yMean: number } {
  const { x, n, p, y } = data;
  const xMean = new Float64Array(p);
  let yMean = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (w === 0) continue;
    total += w;
    yMean += w * y[i]!;
    const o = i * p;
    for (let j = 0; j < p; j++) xMean[j]! += w * x[o + j]!;
  }
  for (let j = 0; j < p; j++) xMean[j]! /= total;
  return { xMean, yMean: yMean / total };
}

function columnStd(data: TrainSet): Float64Array {
  const { x, n, p } = data;
  const mean = new Float64Array(p);
  const sq = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j]! += x[i * p + j]!;
  for (let j = 0; j < p; j++) mean[j]! /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const d = x[i * p + j]! - mean[j]!;
      sq[j]! += d * d;
    }
  }
  for (let j = 0; j < p; j++) sq[j] = Math.sqrt(sq[j]! / n);
  return sq;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Three significant digits, so sampled parameters read well on the leaderboard. */
function roundSig(v: number): number {
  return Number(v.toPrecision(3));
}

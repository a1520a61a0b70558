import type { Rng, TrainSet } from '../../estimator.js';

/** A standard normal draw (Box–Muller). */
export function normal(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** A TrainSet from plain rows (tests write data by hand). */
export function fromRows(rows: readonly (readonly number[])[], y: readonly number[], task: TrainSet['task'], classes?: number): TrainSet {
  const p = rows[0]?.length ?? 0;
  return {
    x: Float64Array.from(rows.flat()),
    n: rows.length,
    p,
    y: Float64Array.from(y),
    task,
    ...(classes === undefined ? {} : { classes }),
  };
}

/** Gaussian blobs: `perClass` rows around each centre (one class per centre), spread `sd`, rows interleaved by class. */
export function blobs(rng: Rng, perClass: number, centers: readonly (readonly number[])[], sd: number): TrainSet {
  const p = centers[0]!.length;
  const k = centers.length;
  const n = perClass * k;
  const x = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    y[i] = c;
    for (let j = 0; j < p; j++) x[i * p + j] = centers[c]![j]! + sd * normal(rng);
  }
  return { x, n, p, y, task: 'classification', classes: k };
}

/** y = intercept + x·coef + noise·N(0,1), x ~ N(0,1). */
export function linearSet(rng: Rng, n: number, coef: readonly number[], intercept: number, noise: number): TrainSet {
  const p = coef.length;
  const x = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = intercept;
    for (let j = 0; j < p; j++) {
      const xv = normal(rng);
      x[i * p + j] = xv;
      v += coef[j]! * xv;
    }
    y[i] = v + noise * normal(rng);
  }
  return { x, n, p, y, task: 'regression' };
}

/** Share of rows whose most probable class (n × k probabilities) is the label. */
export function accuracy(prob: Float64Array, y: Float64Array, k: number): number {
  let right = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (prob[i * k + c]! > prob[i * k + best]!) best = c;
    if (best === y[i]) right++;
  }
  return right / y.length;
}

/** Coefficient of determination of predictions against targets. */
export function r2(pred: Float64Array, y: Float64Array): number {
  let mean = 0;
  for (const v of y) mean += v / y.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < y.length; i++) {
    ssRes += (y[i]! - pred[i]!) ** 2;
    ssTot += (y[i]! - mean) ** 2;
  }
  return 1 - ssRes / ssTot;
}

/** Largest |a − b| / max(1, |a|, |b|) over two equal-length arrays (Infinity when lengths differ). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!), Math.abs(b[i]!));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/** Whether every value is finite. */
export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

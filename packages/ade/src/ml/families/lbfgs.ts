/** Options of `minimizeLbfgs`. */
export interface LbfgsOptions {
  /** Stop after this many iterations. */
  readonly maxIterations: number;
  /** Converged when the largest gradient component is at most this. */
  readonly gradientTolerance: number;
  /** Converged when an iteration lowers the objective by less than this fraction of it. */
  readonly relativeTolerance?: number;
  /** Correction pairs kept (default 10). */
  readonly memory?: number;
  /** `performance.now()` ms after which to stop and return the best point so far. */
  readonly deadline?: number;
}

/** What `minimizeLbfgs` found. */
export interface LbfgsResult {
  /** The minimiser found (the caller's `w0` array, updated in place). */
  readonly w: Float64Array;
  readonly value: number;
  readonly iterations: number;
  /** True when a tolerance was met, false when iterations, time or the line search ran out. */
  readonly converged: boolean;
}

/**
 * Minimises a smooth function with limited-memory BFGS and a backtracking
 * (Armijo) line search. `fg(w, grad)` returns f(w) and writes ∇f(w) into
 * `grad`. Deterministic: no randomness, fixed operation order.
 *
 * @example
 * // f(w) = (w0 - 3)² + 2·(w1 + 1)²
 * const r = minimizeLbfgs((w, g) => { g[0] = 2 * (w[0]! - 3); g[1] = 4 * (w[1]! + 1); return (w[0]! - 3) ** 2 + 2 * (w[1]! + 1) ** 2; },
 *   new Float64Array(2), { maxIterations: 100, gradientTolerance: 1e-10 });
 * // r.w ≈ [3, -1]
 */
export function minimizeLbfgs(fg: (w: Float64Array, grad: Float64Array) => number, w0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const m = options.memory ?? 10;
  const relTol = options.relativeTolerance ?? 1e-10;
  const d = w0.length;
  const w = w0;
  const g = new Float64Array(d);
  let f = fg(w, g);
  if (d === 0) return { w, value: f, iterations: 0, converged: true };
  const s: Float64Array[] = [];
  const yv: Float64Array[] = [];
  const rho: number[] = [];
  const alphaBuf = new Float64Array(m);
  const dir = new Float64Array(d);
  const wNew = new Float64Array(d);
  const gNew = new Float64Array(d);
  let iterations = 0;
  while (iterations < options.maxIterations) {
    if (normInf(g) <= options.gradientTolerance) return { w, value: f, iterations, converged: true };
    if (options.deadline !== undefined && performance.now() > options.deadline) break;
    // Two-loop recursion: dir = -H·g.
    for (let i = 0; i < d; i++) dir[i] = -g[i]!;
    for (let k = s.length - 1; k >= 0; k--) {
      const a = rho[k]! * dot(s[k]!, dir);
      alphaBuf[k] = a;
      axpy(-a, yv[k]!, dir);
    }
    if (s.length > 0) {
      const last = s.length - 1;
      const gamma = dot(s[last]!, yv[last]!) / dot(yv[last]!, yv[last]!);
      for (let i = 0; i < d; i++) dir[i]! *= gamma;
    }
    for (let k = 0; k < s.length; k++) {
      const b = rho[k]! * dot(yv[k]!, dir);
      axpy(alphaBuf[k]! - b, s[k]!, dir);
    }
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      s.length = 0;
      yv.length = 0;
      rho.length = 0;
      for (let i = 0; i < d; i++) dir[i] = -g[i]!;
      slope = dot(g, dir);
    }
    let step = s.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    let fNew = NaN;
    let accepted = false;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < d; i++) wNew[i] = w[i]! + step * dir[i]!;
      fNew = fg(wNew, gNew);
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    iterations++;
    if (!accepted) break;
    const sk = new Float64Array(d);
    const yk = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      sk[i] = wNew[i]! - w[i]!;
      yk[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(sk, yk);
    const fOld = f;
    w.set(wNew);
    g.set(gNew);
    f = fNew;
    if (sy > 1e-12 * Math.sqrt(dot(yk, yk) * dot(sk, sk))) {
      if (s.length === m) {
        s.shift();
        yv.shift();
        rho.shift();
      }
      s.push(sk);
      yv.push(yk);
      rho.push(1 / sy);
    }
    if (fOld - f <= relTol * Math.max(Math.abs(fOld), Math.abs(f), 1)) return { w, value: f, iterations, converged: true };
  }
  return { w, value: f, iterations, converged: normInf(g) <= options.gradientTolerance };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i]! += a * x[i]!;
}

function normInf(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

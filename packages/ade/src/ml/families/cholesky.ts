/**
 * Solves `A·x = b` for a symmetric positive-definite `A` (m × m, row-major,
 * only the lower triangle read) by Cholesky factorisation. Returns undefined
 * when `A` is not numerically positive definite (a pivot ≤ 1e-12 × the
 * largest diagonal entry), so the caller can add a ridge and retry. Neither
 * `A` nor `b` is modified.
 *
 * @example
 * choleskySolve(new Float64Array([4, 2, 2, 3]), 2, new Float64Array([2, 1])); // → [0.5, 0]
 */
export function choleskySolve(a: Float64Array, m: number, b: Float64Array): Float64Array | undefined {
  const l = new Float64Array(m * m);
  let maxDiag = 0;
  for (let i = 0; i < m; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * m + i]!));
  const floor = 1e-12 * (maxDiag > 0 ? maxDiag : 1);
  for (let i = 0; i < m; i++) {
    const ri = i * m;
    for (let j = 0; j <= i; j++) {
      const rj = j * m;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
      if (i === j) {
        if (!(s > floor)) return undefined;
        l[ri + i] = Math.sqrt(s);
      } else {
        l[ri + j] = s / l[rj + j]!;
      }
    }
  }
  const z = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * m + k]! * z[k]!;
    z[i] = s / l[i * m + i]!;
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < m; k++) s -= l[k * m + i]! * x[k]!;
    x[i] = s / l[i * m + i]!;
  }
  return x;
}

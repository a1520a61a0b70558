import jStat from 'jstat';

/**
 * The distribution functions the stats engine needs, from jstat. This is the
 * only module that imports jstat, so a different library could replace it here.
 *
 * Student's t needs care at the extremes:
 * - tails come from the regularised incomplete beta function,
 *   P(|T| > t) = I_{ν/(ν+t²)}(ν/2, 1/2), not from `1 − cdf`, so small p-values keep
 *   their digits (jstat's own `studentt.cdf` loses accuracy beyond ν ≈ 10⁵);
 * - above ν = 10⁶ (millions of units per arm) jstat's beta functions degrade, so the
 *   first term of the Cornish–Fisher expansion in 1/ν is used instead
 *   (Abramowitz & Stegun 26.7.5): P(T > t) ≈ Q(t) + φ(t)(t³ + t)/(4ν) and
 *   t_p ≈ z_p + (z_p³ + z_p)/(4ν), whose error is O(ν⁻²) — below 10⁻⁹ relative for
 *   |t| ≤ 4 at ν = 10⁶. ν = Infinity gives the normal distribution exactly.
 *
 * jstat computes erfc as 1 − erf, so normal tails below ~1e-12 (|x| > 7) are accurate
 * only in absolute terms (~1e-17): such p-values and chances to win are right to many
 * orders of magnitude beyond any decision threshold, but not to 6 significant digits.
 */

/** Degrees of freedom above which Student's t is computed from its normal expansion. */
export const LARGE_DF = 1e6;

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return jStat.normal.pdf(x, 0, 1);
}

/** Standard normal distribution function Φ(x). */
export function normalCdf(x: number): number {
  return jStat.normal.cdf(x, 0, 1);
}

/** Standard normal upper tail 1 − Φ(x), computed as Φ(−x) to keep small tails exact. */
export function normalSf(x: number): number {
  return jStat.normal.cdf(-x, 0, 1);
}

/**
 * Standard normal quantile Φ⁻¹(p).
 *
 * @example normalInv(0.975) // → 1.959963984540054
 */
export function normalInv(p: number): number {
  return jStat.normal.inv(p, 0, 1);
}

/**
 * Upper tail P(T > t) of Student's t with `df` degrees of freedom (df may be Infinity).
 *
 * @example studentTSf(2.1, 15) // → 0.02652…
 */
export function studentTSf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (df > LARGE_DF) {
    const correction = df === Infinity ? 0 : (normalPdf(t) * (t * t * t + t)) / (4 * df);
    return normalSf(t) + correction;
  }
  if (!Number.isFinite(t)) return t > 0 ? 0 : 1;
  const tail = 0.5 * jStat.ibeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** Distribution function P(T ≤ t) of Student's t; see {@link studentTSf}. */
export function studentTCdf(t: number, df: number): number {
  return studentTSf(-t, df);
}

/**
 * Quantile of Student's t: the t with P(T ≤ t) = p.
 *
 * @example studentTInv(0.975, 10) // → 2.2281…
 */
export function studentTInv(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return p === 0 ? -Infinity : p === 1 ? Infinity : Number.NaN;
  if (df > LARGE_DF) {
    const z = normalInv(p);
    return df === Infinity ? z : z + (z * z * z + z) / (4 * df);
  }
  return jStat.studentt.inv(p, df);
}

/**
 * Upper tail P(X > x) of the chi-square distribution with `df` degrees of freedom.
 * Computed as 1 − cdf, so it bottoms out at about 1e-16.
 *
 * @example chiSquareSf(3.84, 1) // → 0.0500…
 */
export function chiSquareSf(x: number, df: number): number {
  if (!(x > 0)) return 1;
  return Math.max(0, 1 - jStat.chisquare.cdf(x, df));
}

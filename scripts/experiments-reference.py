#!/usr/bin/env python3
"""Known-answer reference values for the experiment stats engine.

Writes packages/ade/src/experiments/stats/reference-values.json, which the tests
beside the engine (packages/ade/src/experiments/stats/*.test.ts) compare every
statistic against to 1e-6. The JSON is committed; this script only regenerates it,
so neither the build nor the tests need Python.

    python3 scripts/experiments-reference.py          # needs numpy and scipy
                                                      # (Debian: apt install python3-scipy)

How the values stay independent of the TypeScript code:
- raw per-unit data is drawn here with a seeded numpy Generator; the engine only sees
  the per-variant sums (n, Σy, Σy², cross-products) written to the JSON, as it would
  from SQL;
- Welch tests come from scipy.stats.ttest_ind(equal_var=False) on the raw data
  (statistic, p-value, Welch df, confidence interval), CUPED from a t-test on the
  adjusted raw values, BH from scipy.stats.false_discovery_control, SRM from
  scipy.stats.chisquare, distribution functions from scipy.stats;
- delta-method variances are computed as gradient' Cov gradient with numpy (and
  checked against the variance of linearised per-unit values);
- Bayesian risk comes from scipy.stats.truncnorm (checked against numerical
  integration), sequential and one-sided p-values from root finding on the
  published confidence-sequence half-width, MDE and sample size from root finding
  on the power function — not from the closed forms the engine uses;
- Holm's adjustment is computed from its definition with a double loop.

References: GrowthBook "Statistical Details", "Sequential Testing", "Quantile Testing"
and "Technical power details" docs; Waudby-Smith et al. (arXiv:2103.06476) eqs. 9,
134, 155, 161; Deng, Xu, Kohavi & Walker (WSDM 2013) for CUPED; Deng, Knoblich & Lu
(KDD 2018) for ratio and quantile metrics.
"""

import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import integrate, optimize, stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "packages", "ade", "src", "experiments", "stats", "reference-values.json")
ALTERNATIVES = ["two-sided", "greater", "less"]


def f(x):
    """A float for JSON; infinite interval bounds become null."""
    x = float(x)
    return None if math.isinf(x) else x


def mean_summary(y):
    return {"n": int(len(y)), "sum": f(np.sum(y)), "sumSquares": f(np.sum(y * y))}


def moments(y):
    return {"n": int(len(y)), "mean": f(np.mean(y)), "variance": f(np.var(y, ddof=1))}


def welch_df(vc, nc, vt, nt):
    a, b = vc / nc, vt / nt
    return (a + b) ** 2 / (a * a / (nc - 1) + b * b / (nt - 1))


def relative_effect(mc, vc, nc, mt, vt, nt):
    """Lift and its delta-method variance: gradient of (mt - mc)/mc = mt/mc - 1."""
    grad = np.array([-mt / mc**2, 1 / mc])
    cov = np.diag([vc / nc, vt / nt])
    return (mt - mc) / mc, float(grad @ cov @ grad)


def t_tested(estimate, variance, df, alpha, alternative):
    se = math.sqrt(variance)
    stat = estimate / se
    if alternative == "two-sided":
        q = stats.t.ppf(1 - alpha / 2, df)
        return {"estimate": f(estimate), "standardError": f(se), "statistic": f(stat),
                "ci": [f(estimate - q * se), f(estimate + q * se)], "pValue": f(2 * stats.t.sf(abs(stat), df))}
    q = stats.t.ppf(1 - alpha, df)
    if alternative == "greater":
        return {"estimate": f(estimate), "standardError": f(se), "statistic": f(stat),
                "ci": [f(estimate - q * se), None], "pValue": f(stats.t.sf(stat, df))}
    return {"estimate": f(estimate), "standardError": f(se), "statistic": f(stat),
            "ci": [None, f(estimate + q * se)], "pValue": f(stats.t.cdf(stat, df))}


def welch_reference(c, t, alpha, alternative):
    """Absolute effect from scipy's Welch test on raw data; lift by the delta method."""
    res = stats.ttest_ind(t, c, equal_var=False, alternative=alternative)
    ci = res.confidence_interval(confidence_level=1 - alpha)
    est = np.mean(t) - np.mean(c)
    se = est / res.statistic
    absolute = {"estimate": f(est), "standardError": f(se), "statistic": f(res.statistic),
                "ci": [f(ci.low), f(ci.high)], "pValue": f(res.pvalue)}
    mc, mt = np.mean(c), np.mean(t)
    relative = None
    if mc != 0:
        r, rv = relative_effect(mc, np.var(c, ddof=1), len(c), mt, np.var(t, ddof=1), len(t))
        relative = t_tested(r, rv, res.df, alpha, alternative)
    return {"df": f(res.df), "absolute": absolute, "relative": relative}


def datasets(rng):
    d = {}
    d["normal 1000 vs 1200, small lift"] = (rng.normal(10, 3, 1000), rng.normal(10.3, 3.3, 1200))
    d["normal 5000 vs 5000, clear lift"] = (rng.normal(10, 3, 5000), rng.normal(10.4, 3, 5000))
    d["small samples, unequal variances"] = (rng.normal(5, 1, 8), rng.normal(6, 2.5, 13))
    d["conversion 0/1, 5000 per arm"] = ((rng.random(5000) < 0.10).astype(float), (rng.random(5000) < 0.11).astype(float))
    rev = lambda n, p: (rng.random(n) < p) * rng.lognormal(3, 1, n)
    d["revenue, skewed with zeros"] = (rev(3000, 0.3), rev(3000, 0.32))
    d["two million per arm (df > 1e6)"] = (rng.normal(1, 1, 2_000_000), rng.normal(1.002, 1, 2_000_000))
    d["control mean exactly zero"] = (np.array([-3.0, -1.0, 0.0, 1.0, 3.0] * 20), rng.normal(0.4, 2, 100))
    return d


def welch_cases(data):
    cases = []
    for name, (c, t) in data.items():
        for alternative in ALTERNATIVES:
            cases.append({"name": name, "alpha": 0.05, "alternative": alternative,
                          "control": mean_summary(c), "treatment": mean_summary(t),
                          "expected": welch_reference(c, t, 0.05, alternative)})
    c, t = data["normal 1000 vs 1200, small lift"]
    cases.append({"name": "normal 1000 vs 1200, alpha 0.1", "alpha": 0.1, "alternative": "two-sided",
                  "control": mean_summary(c), "treatment": mean_summary(t),
                  "expected": welch_reference(c, t, 0.1, "two-sided")})
    return cases


def bayes_posterior(est, var, prior, alpha, lower_is_better):
    if prior is None:
        m, s2 = est, var
    else:
        prec = 1 / var + 1 / prior["variance"]
        m, s2 = (est / var + prior["mean"] / prior["variance"]) / prec, 1 / prec
    s = math.sqrt(s2)
    p_pos = stats.norm.sf(0, loc=m, scale=s)
    p_neg = stats.norm.cdf(0, loc=m, scale=s)
    # E[max(D, 0)] and E[max(-D, 0)] from the truncated normals' means…
    gain_pos = p_pos * stats.truncnorm.mean((0 - m) / s, np.inf, loc=m, scale=s) if p_pos > 0 else 0.0
    gain_neg = -p_neg * stats.truncnorm.mean(-np.inf, (0 - m) / s, loc=m, scale=s) if p_neg > 0 else 0.0
    # …checked against numerical integration in standard units.
    q_pos = s * integrate.quad(lambda u: (m / s + u) * stats.norm.pdf(u), -m / s, np.inf, epsabs=0, epsrel=1e-12)[0]
    q_neg = s * integrate.quad(lambda u: -(m / s + u) * stats.norm.pdf(u), -np.inf, -m / s, epsabs=0, epsrel=1e-12)[0]
    assert abs(q_pos - gain_pos) <= 1e-9 * max(abs(q_pos), 1e-300) + 1e-300, (q_pos, gain_pos)
    assert abs(q_neg - gain_neg) <= 1e-9 * max(abs(q_neg), 1e-300) + 1e-300, (q_neg, gain_neg)
    lo, hi = stats.norm.ppf([alpha / 2, 1 - alpha / 2], loc=m, scale=s)
    return {"mean": f(m), "stdDev": f(s),
            "chanceToWin": f(p_neg if lower_is_better else p_pos),
            "risk": {"control": f(gain_neg if lower_is_better else gain_pos),
                     "treatment": f(gain_pos if lower_is_better else gain_neg)},
            "credibleInterval": [f(lo), f(hi)]}


def bayesian_cases(data):
    cases = []
    plan = [
        ("normal 1000 vs 1200, small lift", None, 0.05, False),
        ("normal 1000 vs 1200, small lift", {"mean": 0.0, "variance": 0.09}, 0.05, False),
        ("normal 5000 vs 5000, clear lift", {"mean": 0.02, "variance": 0.01}, 0.1, False),
        ("conversion 0/1, 5000 per arm", None, 0.05, False),
        ("conversion 0/1, 5000 per arm", {"mean": 0.0, "variance": 0.0025}, 0.05, True),
        ("revenue, skewed with zeros", {"mean": 0.01, "variance": 0.04}, 0.05, True),
    ]
    for name, prior, alpha, lower in plan:
        c, t = data[name]
        mc, vc, nc = np.mean(c), np.var(c, ddof=1), len(c)
        mt, vt, nt = np.mean(t), np.var(t, ddof=1), len(t)
        abs_est, abs_var = mt - mc, vc / nc + vt / nt
        rel_est, rel_var = relative_effect(mc, vc, nc, mt, vt, nt)
        abs_prior = None if prior is None else {"mean": prior["mean"] * abs(mc), "variance": prior["variance"] * mc * mc}
        cases.append({"name": name, "alpha": alpha, "prior": prior, "lowerIsBetter": lower,
                      "control": mean_summary(c), "treatment": mean_summary(t),
                      "expected": {"absolute": bayes_posterior(abs_est, abs_var, abs_prior, alpha, lower),
                                   "relative": bayes_posterior(rel_est, rel_var, prior, alpha, lower)}})
    return cases


def cs_rho(alpha, s, two_sided):
    a = alpha if two_sided else 2 * alpha
    return math.sqrt((-2 * math.log(a) + math.log(-2 * math.log(a) + 1)) / s)


def cs_halfwidth(s2, n, rho, alpha, two_sided):
    """Waudby-Smith et al. eq. 9 (two-sided) and eq. 134 (one-sided)."""
    factor = 2 * (n * rho**2 + 1) / (n**2 * rho**2)
    if two_sided:
        return math.sqrt(s2 * factor * math.log(math.sqrt(n * rho**2 + 1) / alpha))
    return math.sqrt(s2 * factor * math.log(1 + math.sqrt(n * rho**2 + 1) / (2 * alpha)))


def cs_pvalue(est, s2, n, rho, two_sided, favourable):
    """Smallest alpha whose sequence (rho held fixed) excludes 0, by root finding."""
    if not favourable:
        return 1.0
    g = lambda log_a: cs_halfwidth(s2, n, rho, math.exp(log_a), two_sided) - abs(est)
    # the half-width shrinks as alpha grows; at alpha = 1 is 0 already inside?
    if g(0.0) >= 0:
        return 1.0
    root = optimize.brentq(g, -700.0, 0.0, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500)
    return min(1.0, math.exp(root))


def sequential_effect(est, var, n, rho, alpha, alternative):
    s2 = var * n
    two = alternative == "two-sided"
    h = cs_halfwidth(s2, n, rho, alpha, two)
    favourable = two or (est > 0 if alternative == "greater" else est < 0)
    p = cs_pvalue(est, s2, n, rho, two, favourable)
    ci = [est - h, est + h] if two else ([est - h, math.inf] if alternative == "greater" else [-math.inf, est + h])
    return {"estimate": f(est), "standardError": f(math.sqrt(var)), "ci": [f(x) for x in ci], "pValue": f(p)}


def sequential_cases(data):
    cases = []
    plan = [
        ("normal 1000 vs 1200, small lift", 0.05, 5000),
        ("normal 5000 vs 5000, clear lift", 0.05, 5000),
        ("normal 5000 vs 5000, clear lift", 0.1, 20000),
        ("conversion 0/1, 5000 per arm", 0.05, 10000),
    ]
    for name, alpha, s in plan:
        c, t = data[name]
        mc, vc, nc = np.mean(c), np.var(c, ddof=1), len(c)
        mt, vt, nt = np.mean(t), np.var(t, ddof=1), len(t)
        n = nc + nt
        rel_est, rel_var = relative_effect(mc, vc, nc, mt, vt, nt)
        for alternative in ALTERNATIVES:
            rho = cs_rho(alpha, s, alternative == "two-sided")
            cases.append({"name": name, "alpha": alpha, "expectedSampleSize": s, "alternative": alternative,
                          "control": mean_summary(c), "treatment": mean_summary(t),
                          "expected": {"n": n, "rho": f(rho),
                                       "absolute": sequential_effect(mt - mc, vc / nc + vt / nt, n, rho, alpha, alternative),
                                       "relative": sequential_effect(rel_est, rel_var, n, rho, alpha, alternative)}})
    return cases


def cuped_summary(x, y):
    s = mean_summary(y)
    s.update({"covariateSum": f(np.sum(x)), "covariateSumSquares": f(np.sum(x * x)), "sumProducts": f(np.sum(x * y))})
    return s


def cuped_cases(rng):
    cases = []
    for name, ns, effects in [("two variants, strong covariate", [2000, 2100], [0.0, 1.0]),
                              ("three variants", [900, 1000, 950], [0.0, 0.5, -0.3])]:
        xs = [rng.normal(50, 10, n) for n in ns]
        ys = [5 + 0.8 * x + rng.normal(0, 6, len(x)) + e for x, e in zip(xs, effects)]
        x_all, y_all = np.concatenate(xs), np.concatenate(ys)
        theta = np.cov(x_all, y_all, ddof=1)[0, 1] / np.var(x_all, ddof=1)
        x_bar = np.mean(x_all)
        adj = [y - theta * (x - x_bar) for x, y in zip(xs, ys)]
        expected = {"theta": f(theta), "covariateMean": f(x_bar),
                    "variants": [moments(a) for a in adj],
                    "varianceRatios": [f(np.var(a, ddof=1) / np.var(y, ddof=1)) for a, y in zip(adj, ys)],
                    "welch": welch_reference(adj[0], adj[1], 0.05, "two-sided")}
        cases.append({"name": name, "variants": [cuped_summary(x, y) for x, y in zip(xs, ys)], "expected": expected})
    return cases


def ratio_moments(m, d):
    n = len(m)
    mm, md = np.mean(m), np.mean(d)
    cov = np.cov(np.vstack([m, d]), ddof=1)
    grad = np.array([1 / md, -mm / md**2])
    per_unit = float(grad @ cov @ grad)
    linearised = (m - (mm / md) * d) / md
    assert abs(per_unit - np.var(linearised, ddof=1)) <= 1e-9 * per_unit
    return {"n": n, "mean": f(np.sum(m) / np.sum(d)), "variance": f(per_unit)}


def ratio_summary(m, d):
    return {"n": int(len(m)), "numeratorSum": f(np.sum(m)), "numeratorSumSquares": f(np.sum(m * m)),
            "denominatorSum": f(np.sum(d)), "denominatorSumSquares": f(np.sum(d * d)), "sumProducts": f(np.sum(m * d))}


def ratio_cases(rng):
    cases = []
    for name, (nc, nt), lift in [("revenue per session", (1500, 1600), 1.05), ("clicks per pageview", (4000, 4000), 1.0)]:
        def unit(n, scale):
            d = rng.poisson(3, n) + 1.0
            m = d * rng.gamma(2.0, 5.0 * scale, n) + rng.normal(0, 2, n)
            return m, d
        (mc, dc), (mt, dt) = unit(nc, 1.0), unit(nt, lift)
        c, t = ratio_moments(mc, dc), ratio_moments(mt, dt)
        df = welch_df(c["variance"], nc, t["variance"], nt)
        ab = t_tested(t["mean"] - c["mean"], c["variance"] / nc + t["variance"] / nt, df, 0.05, "two-sided")
        r, rv = relative_effect(c["mean"], c["variance"], nc, t["mean"], t["variance"], nt)
        cases.append({"name": name, "control": ratio_summary(mc, dc), "treatment": ratio_summary(mt, dt),
                      "expected": {"control": c, "treatment": t, "df": f(df), "absolute": ab,
                                   "relative": t_tested(r, rv, df, 0.05, "two-sided")}})
    return cases


def quantile_case(c, t, level, rank_alpha, alpha, alternative):
    z_rank = stats.norm.ppf(1 - rank_alpha / 2)

    def summarise(y):
        n = len(y)
        ys = np.sort(y)
        spread = z_rank * math.sqrt(n * level * (1 - level))
        ranks = {"estimate": max(1, math.ceil(n * level)), "lower": math.floor(n * level - spread),
                 "upper": math.ceil(n * level + spread)}
        summary = {"n": n, "level": level, "estimate": f(ys[ranks["estimate"] - 1]),
                   "lower": f(ys[ranks["lower"] - 1]), "upper": f(ys[ranks["upper"] - 1]), "rankAlpha": rank_alpha}
        se = (summary["upper"] - summary["lower"]) / (2 * z_rank)
        return summary, ranks, {"n": n, "mean": summary["estimate"], "variance": f(n * se * se)}

    (sc, rc, mc), (st, rt, mt) = summarise(c), summarise(t)
    absolute = t_tested(mt["mean"] - mc["mean"], mc["variance"] / mc["n"] + mt["variance"] / mt["n"], np.inf, alpha, alternative)
    r, rv = relative_effect(mc["mean"], mc["variance"], mc["n"], mt["mean"], mt["variance"], mt["n"])
    return {"level": level, "alpha": alpha, "alternative": alternative, "control": sc, "treatment": st,
            "expected": {"ranks": {"control": rc, "treatment": rt}, "control": mc, "treatment": mt,
                         "absolute": absolute, "relative": t_tested(r, rv, np.inf, alpha, alternative)}}


def quantile_cases(rng):
    c = rng.lognormal(4.0, 0.5, 3000)
    t = rng.lognormal(4.05, 0.5, 3200)
    cases = []
    for level, rank_alpha, alpha, alternative in [(0.5, 0.05, 0.05, "two-sided"), (0.9, 0.05, 0.05, "two-sided"),
                                                  (0.99, 0.05, 0.05, "two-sided"), (0.9, 0.1, 0.05, "less"),
                                                  (0.5, 0.05, 0.1, "greater")]:
        cases.append({"name": f"lognormal latency p{round(level * 100)}", **quantile_case(c, t, level, rank_alpha, alpha, alternative)})
    return cases


def srm_cases():
    cases = []
    for counts, weights in [([5000, 5100], [0.5, 0.5]), ([5000, 5400], [1, 1]), ([1000, 2150, 1000], [0.25, 0.5, 0.25]),
                            ([3320, 3410, 3290, 3350], [1, 1, 1, 1]), ([900, 2100], [0.3, 0.7]), ([120, 80], [50, 50])]:
        total = sum(counts)
        expected = [total * w / sum(weights) for w in weights]
        res = stats.chisquare(counts, f_exp=expected)
        cases.append({"counts": counts, "weights": weights,
                      "expected": {"chiSquare": f(res.statistic), "df": len(counts) - 1, "pValue": f(res.pvalue),
                                   "expected": [f(e) for e in expected]}})
    return cases


def holm_by_definition(ps):
    m = len(ps)
    order = sorted(range(m), key=lambda i: (ps[i], i))
    out = [0.0] * m
    for rank, idx in enumerate(order):
        out[idx] = max(min(1.0, (m - j) * ps[order[j]]) for j in range(rank + 1))
    return out


def correction_cases():
    cases = []
    for ps in [[0.01, 0.04, 0.03],
               [0.001, 0.2, 0.03, 0.04, 0.04, 0.5, 1.0, 0.0004, 0.012, 0.049, 0.3, 0.07],
               [0.9, 0.8, 0.95, 0.99],
               [1e-8, 2e-6, 0.0021, 0.0021, 0.6]]:
        cases.append({"pValues": ps, "expected": {"holm": [f(x) for x in holm_by_definition(ps)],
                                                  "benjaminiHochberg": [f(x) for x in stats.false_discovery_control(ps, method="bh")]}})
    return cases


def power_cases():
    cases = []
    for variance, alpha, effect, n, target in [(1.0, 0.05, 0.1, 1571, 0.8), (9.0, 0.01, 0.3, 1000, 0.9),
                                               (0.09, 0.05, 0.01, 15000, 0.8), (4.0, 0.1, 0.05, 2000, 0.5)]:
        z = stats.norm.ppf(1 - alpha / 2)
        power_of = lambda d, m: stats.norm.cdf(d / math.sqrt(2 * variance / m) - z) + stats.norm.cdf(-d / math.sqrt(2 * variance / m) - z)
        mde = optimize.brentq(lambda d: power_of(d, n) - target, 1e-12, 100 * math.sqrt(variance), xtol=1e-15, rtol=4 * np.finfo(float).eps)
        n_exact = optimize.brentq(lambda m: power_of(effect, m) - target, 1e-6, 1e12, xtol=1e-9, rtol=4 * np.finfo(float).eps)
        cases.append({"variance": variance, "alpha": alpha, "effect": effect, "nPerVariant": n, "power": target,
                      "expected": {"power": f(power_of(effect, n)), "minimumDetectableEffect": f(mde),
                                   "sampleSizeExact": f(n_exact), "sampleSizePerVariant": math.ceil(n_exact)}})
    return cases


def distribution_cases():
    dfs = [2.5, 7, 30.4, 1998.4, 1e5, 1e6, 1e6 + 1, 4.2e6, 1e9]
    return {
        "studentTSf": [[t, df, f(stats.t.sf(t, df))] for df in dfs for t in [-2.0, 0.0, 0.3, 1.96, 4.5]],
        "studentTInv": [[p, df, f(stats.t.ppf(p, df))] for df in dfs for p in [0.01, 0.5, 0.9, 0.975, 0.9995]],
        "normalCdf": [[x, f(stats.norm.cdf(x))] for x in [-6.0, -1.5, 0.0, 0.7, 3.0]],
        # jstat computes erfc as 1 - erf: beyond |x| = 7 only the absolute error stays tiny.
        "normalCdfDeepTail": [[x, f(stats.norm.cdf(x))] for x in [-7.0, -8.0, -9.0, -12.0]],
        "normalInv": [[p, f(stats.norm.ppf(p))] for p in [1e-10, 0.025, 0.3, 0.95, 0.999]],
        "chiSquareSf": [[x, df, f(stats.chi2.sf(x, df))] for df in [1, 2, 3, 9] for x in [0.4, 3.84, 11.3, 30.0]],
    }


def main():
    rng = np.random.default_rng(20260701)
    data = datasets(rng)
    out = {
        "about": "Reference values for packages/ade/src/experiments/stats, generated by scripts/experiments-reference.py; "
                 "null interval bounds are infinite. Regenerate with: python3 scripts/experiments-reference.py",
        "generator": {"numpy": np.__version__, "scipy": scipy.__version__, "python": sys.version.split()[0], "seed": 20260701},
        "distributions": distribution_cases(),
        "welch": welch_cases(data),
        "bayesian": bayesian_cases(data),
        "sequential": sequential_cases(data),
        "cuped": cuped_cases(rng),
        "ratio": ratio_cases(rng),
        "quantile": quantile_cases(rng),
        "srm": srm_cases(),
        "corrections": correction_cases(),
        "power": power_cases(),
    }
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1, allow_nan=False)
        fh.write("\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()

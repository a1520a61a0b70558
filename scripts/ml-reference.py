#!/usr/bin/python3
"""Quality reference for `ade ml train`: scikit-learn's default models, 5-fold CV.

Writes test/fixtures/ml/reference.json, which scripts/ml-quality.mjs and
test/ml-quality.test.ts compare ade's cross-validated score against. The JSON and
the CSV datasets are committed; this script only regenerates them, so neither the
build nor the tests need Python.

    /usr/bin/python3 scripts/ml-reference.py            # reference.json from the committed CSVs
    /usr/bin/python3 scripts/ml-reference.py --fixtures /tmp/vega/package/data
                                                        # first rewrite the CSVs, then the reference

Needs scikit-learn (Debian: apt install python3-sklearn; it bundles iris, wine,
breast_cancer, diabetes and digits). `--fixtures` also needs the `data/` folder of
the vega-datasets npm package, v3.2.1, for cars and penguins:

    cd /tmp && npm pack vega-datasets@3.2.1 && tar xzf vega-datasets-3.2.1.tgz   # → /tmp/package/data

The reference reads the CSVs exactly as committed (not sklearn's loaders), so it
scores the same bytes ade loads. Protocol, per dataset:
- StratifiedKFold (classification) or KFold (regression), n_splits=5, shuffle=True,
  random_state=0; metric accuracy or R² (sklearn's `accuracy` / `r2` scorers);
  mean and population std (ddof=0) of the 5 fold scores;
- models with scikit-learn's defaults (random_state=0 where there is one):
  RandomForest, ExtraTrees, HistGradientBoosting, and LogisticRegression(max_iter=1000)
  or Ridge, the linear ones after a StandardScaler;
- only for datasets with categorical or missing values (cars, penguins): a
  ColumnTransformer — numeric columns median-imputed, categorical columns with
  missing values as their own level ("missing") and one-hot encoded (unknown
  levels ignored) — in front of every model, fitted inside each fold.
The JSON is deterministic: rerunning gives the same file (no timings in it).
"""

import argparse
import csv
import gzip
import json
import math
import os
import platform
import sys
import time

import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "ml")
OUT = os.path.join(FIXTURES, "reference.json")
SEED = 0
FOLDS = 5
# Other fold shuffles, to show how much a CV mean moves with the split alone.
NOISE_SEEDS = list(range(1, 11))

# The datasets: file (under test/fixtures/ml/), target column, task, and columns
# left out of the features (by the reference here and by `ade ml train --exclude`).
DATASETS = [
    {"name": "iris", "target": "species", "task": "classification", "exclude": []},
    {"name": "wine", "target": "cultivar", "task": "classification", "exclude": []},
    {"name": "breast_cancer", "target": "diagnosis", "task": "classification", "exclude": []},
    {"name": "diabetes", "target": "progression", "task": "regression", "exclude": []},
    {"name": "digits", "target": "digit", "task": "classification", "exclude": []},
    # `name` (311 distinct values in 398 rows) identifies the car; it is kept in the
    # CSV but excluded from the features on both sides.
    {"name": "cars", "target": "miles_per_gallon", "task": "regression", "exclude": ["name"]},
    {"name": "penguins", "target": "species", "task": "classification", "exclude": []},
]


# ---------------------------------------------------------------- fixtures


def snake(name):
    """`mean radius` → `mean_radius`, `od280/od315_of_diluted_wines` → `od280_od315_of_diluted_wines`."""
    out = "".join(c.lower() if c.isalnum() else "_" for c in name)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


def cell(v):
    """A CSV field: empty for missing, integers without a decimal point, floats in shortest round-trip form."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        raise TypeError("booleans are not expected in these datasets")
    f = float(v)
    if math.isnan(f):
        return ""
    if f.is_integer() and abs(f) < 2**53:
        return str(int(f))
    return repr(f)


def write_csv(name, header, rows):
    path = os.path.join(FIXTURES, f"{name}.csv")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([cell(v) for v in r])
    print(f"wrote {os.path.relpath(path, ROOT)}: {len(rows)} rows, {len(header)} columns")


def write_sklearn_fixtures():
    from sklearn import datasets

    def from_bunch(name, bunch, target, labels):
        header = [snake(f) for f in bunch.feature_names] + [target]
        assert len(set(header)) == len(header), header
        ys = [labels[int(t)] if labels is not None else t for t in bunch.target]
        write_csv(name, header, [list(x) + [y] for x, y in zip(bunch.data, ys)])

    iris = datasets.load_iris()
    from_bunch("iris", iris, "species", list(iris.target_names))
    wine = datasets.load_wine()
    from_bunch("wine", wine, "cultivar", list(wine.target_names))
    cancer = datasets.load_breast_cancer()
    from_bunch("breast_cancer", cancer, "diagnosis", list(cancer.target_names))
    # The raw (unscaled) measurements; sex is coded 1/2.
    from_bunch("diabetes", datasets.load_diabetes(scaled=False), "progression", None)
    digits = datasets.load_digits()
    from_bunch("digits", digits, "digit", [str(d) for d in digits.target_names])


def write_vega_fixtures(vega_data):
    with open(os.path.join(vega_data, "cars.json"), encoding="utf-8") as fh:
        cars = json.load(fh)
    # Rows without the target cannot be scored by either side: 8 of 406 are dropped.
    # `Year` is a date (always 1 January); the model year is kept as an integer.
    cols = ["Name", "Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Year", "Origin", "Miles_per_Gallon"]
    rows = []
    for r in cars:
        if r["Miles_per_Gallon"] is None:
            continue
        row = [r[c] for c in cols]
        row[cols.index("Year")] = int(r["Year"][:4])
        rows.append(row)
    write_csv("cars", [snake(c) for c in cols], rows)

    with open(os.path.join(vega_data, "penguins.json"), encoding="utf-8") as fh:
        penguins = json.load(fh)
    # All 344 rows as published, missing measurements and sexes empty (and the one
    # sex recorded as "." kept as it is).
    cols = ["Island", "Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)", "Sex", "Species"]
    write_csv("penguins", [snake(c) for c in cols], [[r[c] for c in cols] for r in penguins])


# ---------------------------------------------------------------- reference


def read_dataset(spec):
    """Reads a fixture CSV into features (float matrix, or object matrix when some column is categorical) and target."""
    path = os.path.join(FIXTURES, f"{spec['name']}.csv")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    t = header.index(spec["target"])
    keep = [i for i, h in enumerate(header) if i != t and h not in spec["exclude"]]
    numeric, categorical, missing = [], [], 0
    for j, i in enumerate(keep):
        values = [r[i] for r in rows]
        missing += sum(v == "" for v in values)
        try:
            [float(v) for v in values if v != ""]
            numeric.append(j)
        except ValueError:
            categorical.append(j)
    if categorical:
        x = np.empty((len(rows), len(keep)), dtype=object)
        for j, i in enumerate(keep):
            for k, r in enumerate(rows):
                v = r[i]
                x[k, j] = np.nan if v == "" else (float(v) if j in numeric else v)
    else:
        x = np.array([[float(r[i]) if r[i] != "" else np.nan for i in keep] for r in rows], dtype=float)
    if any(r[t] == "" for r in rows):
        raise ValueError(f"{path}: the target {spec['target']} has missing values")
    y = np.array([r[t] for r in rows], dtype=object if spec["task"] == "classification" else float)
    if spec["task"] == "classification":
        y = y.astype(str)
    return {
        "x": x,
        "y": y,
        "features": [header[i] for i in keep],
        "numeric": numeric,
        "categorical": categorical,
        "missing": missing,
    }


def preprocessor(data):
    """None when the features are all numeric and complete; else impute + one-hot."""
    if not data["categorical"] and data["missing"] == 0:
        return None
    categorical = Pipeline([
        ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
        ("onehot", OneHotEncoder(handle_unknown="ignore")),
    ])
    return ColumnTransformer(
        [("numeric", SimpleImputer(strategy="median"), data["numeric"]), ("categorical", categorical, data["categorical"])],
        sparse_threshold=0,
    )


def models(task):
    if task == "classification":
        return {
            "RandomForest": RandomForestClassifier(random_state=SEED),
            "ExtraTrees": ExtraTreesClassifier(random_state=SEED),
            "HistGradientBoosting": HistGradientBoostingClassifier(random_state=SEED),
            "LogisticRegression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        }
    return {
        "RandomForest": RandomForestRegressor(random_state=SEED),
        "ExtraTrees": ExtraTreesRegressor(random_state=SEED),
        "HistGradientBoosting": HistGradientBoostingRegressor(random_state=SEED),
        "Ridge": make_pipeline(StandardScaler(), Ridge()),
    }


def splitter(task):
    cls = StratifiedKFold if task == "classification" else KFold
    return cls(n_splits=FOLDS, shuffle=True, random_state=SEED)


def rounded(x):
    return float(f"{x:.6f}")


def evaluate(spec):
    data = read_dataset(spec)
    task = spec["task"]
    pre = preprocessor(data)
    cv = splitter(task)
    scoring = "accuracy" if task == "classification" else "r2"
    results = {}
    for name, model in models(task).items():
        estimator = model if pre is None else make_pipeline(pre, model)
        start = time.perf_counter()
        folds = cross_val_score(estimator, data["x"], data["y"], cv=cv, scoring=scoring, n_jobs=1)
        seconds = time.perf_counter() - start
        results[name] = {
            "mean": rounded(np.mean(folds)),
            "std": rounded(np.std(folds)),
            "folds": [rounded(s) for s in folds],
            "estimator": " ".join(repr(model).split()),
            "_seconds": seconds,
        }
    best = max(results, key=lambda m: results[m]["mean"])
    # How much the best model's mean moves with the fold assignment alone: ade
    # splits its own folds, so differences of this size are noise, not quality.
    model = models(task)[best]
    estimator = model if pre is None else make_pipeline(pre, model)
    means = []
    for seed in NOISE_SEEDS:
        cls = StratifiedKFold if task == "classification" else KFold
        folds = cross_val_score(estimator, data["x"], data["y"], cv=cls(n_splits=FOLDS, shuffle=True, random_state=seed), scoring=scoring)
        means.append(float(np.mean(folds)))
    entry = {
        "file": f"{spec['name']}.csv",
        "task": task,
        "target": spec["target"],
        "exclude": spec["exclude"],
        "rows": int(len(data["y"])),
        "features": len(data["features"]),
        "numericFeatures": len(data["numeric"]),
        "categoricalFeatures": [data["features"][j] for j in data["categorical"]],
        "missingCells": data["missing"],
        "metric": scoring,
        "preprocessing": "none (all numeric, complete)" if pre is None else
        "ColumnTransformer: numeric SimpleImputer(strategy='median'); categorical SimpleImputer(strategy='constant', "
        "fill_value='missing') + OneHotEncoder(handle_unknown='ignore'); dense output",
        "models": results,
        "best": {"model": best, "score": results[best]["mean"]},
        "splitNoise": {
            "model": best,
            "shuffleSeeds": f"{NOISE_SEEDS[0]}..{NOISE_SEEDS[-1]}",
            "min": rounded(min(means)),
            "max": rounded(max(means)),
            "std": rounded(np.std(means)),
        },
    }
    if task == "classification":
        labels, counts = np.unique(data["y"], return_counts=True)
        entry["classes"] = {str(k): int(c) for k, c in zip(labels, counts)}
    return entry


def print_table(reference):
    names = ["RandomForest", "ExtraTrees", "HistGradientBoosting", "Linear"]
    head = f"{'dataset':<14} {'task':<14} {'rows':>5} {'metric':<8}" + "".join(f" {n:>20}" for n in names) + f"  {'best':<26} {'other shuffles'}"
    print(head)
    print("-" * len(head))
    for name, d in reference["datasets"].items():
        cells = []
        for n in names:
            key = n if n != "Linear" else ("LogisticRegression" if d["task"] == "classification" else "Ridge")
            m = d["models"][key]
            cells.append(f" {m['mean']:>11.4f} ± {m['std']:.4f}")
        noise = d["splitNoise"]
        print(f"{name:<14} {d['task']:<14} {d['rows']:>5} {d['metric']:<8}" + "".join(cells)
              + f"  {d['best']['model'] + ' ' + format(d['best']['score'], '.4f'):<26} {noise['min']:.4f}–{noise['max']:.4f}")
    print("(Linear = StandardScaler + LogisticRegression(max_iter=1000) for classification, + Ridge() for regression)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fixtures", metavar="VEGA_DATA", help="first rewrite the CSVs, reading cars.json and penguins.json from this vega-datasets data/ folder")
    ap.add_argument("--only", action="append", help="compute only this dataset (repeatable); prints without writing reference.json")
    args = ap.parse_args()
    if args.fixtures:
        os.makedirs(FIXTURES, exist_ok=True)
        write_sklearn_fixtures()
        write_vega_fixtures(args.fixtures)
    specs = [s for s in DATASETS if not args.only or s["name"] in args.only]
    datasets = {}
    for spec in specs:
        start = time.perf_counter()
        datasets[spec["name"]] = evaluate(spec)
        print(f"{spec['name']}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    timings = {n: {m: r.pop("_seconds") for m, r in d["models"].items()} for n, d in datasets.items()}
    reference = {
        "generatedBy": "scripts/ml-reference.py",
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__, "python": platform.python_version()},
        "protocol": {
            "folds": FOLDS,
            "classification": {
                "splitter": f"StratifiedKFold(n_splits={FOLDS}, shuffle=True, random_state={SEED})",
                "metric": "accuracy",
                "models": {
                    "RandomForest": f"RandomForestClassifier(random_state={SEED})",
                    "ExtraTrees": f"ExtraTreesClassifier(random_state={SEED})",
                    "HistGradientBoosting": f"HistGradientBoostingClassifier(random_state={SEED})",
                    "LogisticRegression": "StandardScaler() → LogisticRegression(max_iter=1000)",
                },
            },
            "regression": {
                "splitter": f"KFold(n_splits={FOLDS}, shuffle=True, random_state={SEED})",
                "metric": "r2",
                "models": {
                    "RandomForest": f"RandomForestRegressor(random_state={SEED})",
                    "ExtraTrees": f"ExtraTreesRegressor(random_state={SEED})",
                    "HistGradientBoosting": f"HistGradientBoostingRegressor(random_state={SEED})",
                    "Ridge": "StandardScaler() → Ridge()",
                },
            },
            "scores": "sklearn.model_selection.cross_val_score on the CSV as committed (target column out, `exclude` columns dropped); "
            "mean and population std (ddof=0) of the fold scores, rounded to 6 decimals",
            "preprocessing": "only where a dataset has categorical or missing values: numeric median imputation, categorical "
            "missing-as-a-level + one-hot (unknown levels ignored), fitted inside each fold and placed before every model",
            "best": "the model with the highest mean CV score",
            "splitNoise": "the best model's mean CV score under 10 other fold shuffles (random_state 1..10): its min, max and "
            "population std — how much a score moves with the fold assignment alone (ade draws its own folds)",
        },
        "tolerance": {
            "classification": "ade accuracy ≥ best − 0.01 (1 percentage point)",
            "regression": "ade R² ≥ best × 0.98 (2% of R²; best > 0 on every dataset here)",
        },
        "datasets": datasets,
    }
    print_table(reference)
    sys.stdout.flush()
    print("\nseconds per model (5 folds):", file=sys.stderr)
    for n, t in timings.items():
        print(f"  {n:<14} " + "  ".join(f"{m} {s:.1f}" for m, s in t.items()), file=sys.stderr)
    if args.only:
        return
    with open(OUT, "w", encoding="utf-8") as fh:
        json.dump(reference, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    print(f"\nwrote {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()

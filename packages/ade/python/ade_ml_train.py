#!/usr/bin/env python3
"""ade's Python training engine (`ade ml train --engine python`).

ade encodes the features itself (the same feature steps its scorer applies),
then runs this script with a JSON spec:

    python3 ade_ml_train.py spec.json

The spec names a data file (Parquet when pyarrow is installed, else CSV) whose
columns are the encoded features f0 … f{p-1}, the target `y` (a value, or a
class index 0 … K-1), `fold` (the cross-validation fold of every row, fixed
by ade's seed) and `row` (the row's position, which the out-of-fold
predictions follow). The script cross-validates scikit-learn candidates —
logistic/ridge regression, histogram gradient boosting, extra trees, random
forest — on those folds within the time limit, refits the best one on every
row and writes, to the spec's `out` file:

    { "leaderboard": [...], "best": i, "model": <ade.model/v1 model node>,
      "importance": [per feature], "check": [predictions of the refit model on
      the first rows], "versions": {...} }

and the best candidate's out-of-fold predictions (n rows × width) to `oof`.
Progress goes to stdout as one JSON object per line.
"""

import csv
import json
import math
import sys
import time


def emit(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def load(spec, np):
    p = spec["features"]
    names = ["f%d" % j for j in range(p)]
    if spec["format"] == "parquet":
        import pyarrow.parquet as pq

        # A file or a folder of files; `row` restores ade's row order (the out-of-fold predictions follow it).
        t = pq.read_table(spec["data"])
        order = np.argsort(t.column("row").to_numpy(), kind="stable")
        x = np.column_stack([t.column(n).to_numpy().astype(np.float64) for n in names]) if p else np.zeros((t.num_rows, 0))
        y = t.column("y").to_numpy().astype(np.float64)
        fold = t.column("fold").to_numpy().astype(np.int64)
        return x[order], y[order], fold[order]
    with open(spec["data"], newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [[float(v) for v in r] for r in reader]
    a = np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
    idx = {h: i for i, h in enumerate(header)}
    x = a[:, [idx[n] for n in names]]
    return x, a[:, idx["y"]], a[:, idx["fold"]].astype(np.int64)


def candidates(task, seed):
    from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, HistGradientBoostingClassifier,
                                  HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor)
    from sklearn.linear_model import LogisticRegression, Ridge

    if task == "classification":
        return [
            ("linear", "LogisticRegression", lambda: LogisticRegression(max_iter=2000)),
            ("gbt", "HistGradientBoostingClassifier", lambda: HistGradientBoostingClassifier(random_state=seed)),
            ("extra_trees", "ExtraTreesClassifier", lambda: ExtraTreesClassifier(n_jobs=-1, random_state=seed)),
            ("random_forest", "RandomForestClassifier", lambda: RandomForestClassifier(n_jobs=-1, random_state=seed)),
        ]
    return [
        ("linear", "Ridge", lambda: Ridge()),
        ("gbt", "HistGradientBoostingRegressor", lambda: HistGradientBoostingRegressor(random_state=seed)),
        ("extra_trees", "ExtraTreesRegressor", lambda: ExtraTreesRegressor(n_jobs=-1, random_state=seed)),
        ("random_forest", "RandomForestRegressor", lambda: RandomForestRegressor(n_jobs=-1, random_state=seed)),
    ]


def predict(model, task, x):
    """Regression: n values; classification: n × K probabilities (classes are 0 … K-1)."""
    return model.predict_proba(x) if task == "classification" else model.predict(x)


def score(metric, y, pred, k, np):
    from sklearn import metrics as m

    if metric in ("r2", "rmse", "mae"):
        if metric == "r2":
            return float(m.r2_score(y, pred))
        if metric == "rmse":
            return float(math.sqrt(m.mean_squared_error(y, pred)))
        return float(m.mean_absolute_error(y, pred))
    labels = list(range(k))
    hard = np.argmax(pred, axis=1)
    if metric == "accuracy":
        return float(m.accuracy_score(y, hard))
    if metric == "balanced_accuracy":
        return float(m.balanced_accuracy_score(y, hard))
    if metric == "f1":
        return float(m.f1_score(y, hard, average="macro", labels=labels))
    if metric == "log_loss":
        return float(m.log_loss(y, np.clip(pred, 1e-15, 1), labels=labels))
    if metric == "roc_auc":
        if k == 2:
            return float(m.roc_auc_score(y, pred[:, 1]))
        return float(m.roc_auc_score(y, pred, multi_class="ovr", average="macro", labels=labels))
    raise ValueError("unknown metric %s" % metric)


def lower_is_better(metric):
    return metric in ("log_loss", "rmse", "mae")


def export_linear(model, task, k):
    coef = model.coef_.reshape(1, -1) if model.coef_.ndim == 1 else model.coef_
    intercept = [float(v) for v in (model.intercept_ if hasattr(model.intercept_, "__len__") else [model.intercept_])]
    rows = [[float(v) for v in r] for r in coef]
    if task == "regression":
        link = "identity"
    elif k == 2:
        link = "logistic"
    else:
        link = "softmax"
    return {"kind": "linear", "link": link, "intercept": intercept, "coef": rows}


def export_forest(model, task, k):
    trees = []
    for est in model.estimators_:
        t = est.tree_
        values = []
        for i in range(t.node_count):
            v = t.value[i][0]
            if task == "classification":
                s = float(v.sum())
                values.append([float(c) / s if s > 0 else 1.0 / k for c in v] if t.children_left[i] < 0 else [])
            else:
                values.append([float(v[0])] if t.children_left[i] < 0 else [])
        trees.append({
            "feature": [int(f) if t.children_left[i] >= 0 else -1 for i, f in enumerate(t.feature)],
            "threshold": [float(th) if t.children_left[i] >= 0 else 0.0 for i, th in enumerate(t.threshold)],
            "left": [int(v) for v in t.children_left],
            "right": [int(v) for v in t.children_right],
            "missingLeft": [True] * t.node_count,
            "value": values,
        })
    width = k if task == "classification" else 1
    return {"kind": "trees", "link": "probabilities" if task == "classification" else "identity", "aggregate": "mean", "base": [0.0] * width, "trees": trees}


def export_hgb(model, task, k, np):
    per_iter = model.n_trees_per_iteration_
    base = [float(v) for v in np.ravel(model._baseline_prediction)]
    trees = []
    for iteration in model._predictors:
        for c, predictor in enumerate(iteration):
            nodes = predictor.nodes
            values = []
            for node in nodes:
                if node["is_leaf"]:
                    v = [0.0] * per_iter
                    v[c] = float(node["value"])
                    values.append(v)
                else:
                    values.append([])
            trees.append({
                "feature": [-1 if n["is_leaf"] else int(n["feature_idx"]) for n in nodes],
                "threshold": [0.0 if n["is_leaf"] else float(n["num_threshold"]) for n in nodes],
                "left": [-1 if n["is_leaf"] else int(n["left"]) for n in nodes],
                "right": [-1 if n["is_leaf"] else int(n["right"]) for n in nodes],
                "missingLeft": [bool(n["missing_go_to_left"]) for n in nodes],
                "value": values,
            })
    if task == "regression":
        link = "identity"
    elif k == 2:
        link = "logistic"
    else:
        link = "softmax"
    return {"kind": "trees", "link": link, "aggregate": "sum", "base": base, "trees": trees}


def importance_of(family, model, p, np):
    if family == "linear":
        coef = model.coef_.reshape(1, -1) if model.coef_.ndim == 1 else model.coef_
        return [float(v) for v in np.abs(coef).sum(axis=0)]
    if family in ("random_forest", "extra_trees"):
        return [float(v) for v in model.feature_importances_]
    gains = [0.0] * p
    for iteration in model._predictors:
        for predictor in iteration:
            for n in predictor.nodes:
                if not n["is_leaf"]:
                    gains[int(n["feature_idx"])] += max(0.0, float(n["gain"]))
    return gains


def main():
    spec = json.load(open(sys.argv[1]))
    import numpy as np
    import sklearn

    started = time.perf_counter()
    limit = float(spec["time_limit_s"])
    task, k, metric, folds, seed = spec["task"], int(spec.get("classes") or 0), spec["metric"], int(spec["folds"]), int(spec["seed"])
    x, y, fold = load(spec, np)
    n, p = x.shape
    emit("loaded", rows=n, features=p)
    board = []
    best, best_oof = None, None
    only = spec.get("families")
    pool = [c for c in candidates(task, seed) if not only or c[0] in only]
    for i, (family, estimator, make) in enumerate(pool):
        if i > 0 and time.perf_counter() - started > limit:
            board.append({"family": family, "estimator": estimator, "status": "skipped", "error": "time limit reached"})
            emit("candidate", **board[-1])
            continue
        width = k if task == "classification" else 1
        oof = np.zeros((n, width)) if task == "classification" else np.zeros(n)
        scores, fit_s, predict_s = [], 0.0, 0.0
        try:
            for f in range(folds):
                train, test = fold != f, fold == f
                model = make()
                t0 = time.perf_counter()
                model.fit(x[train], y[train].astype(np.int64) if task == "classification" else y[train])
                t1 = time.perf_counter()
                pred = predict(model, task, x[test])
                t2 = time.perf_counter()
                if task == "classification" and pred.shape[1] != k:
                    # A fold whose training rows miss a class: spread its columns into the full class list.
                    full = np.zeros((pred.shape[0], k))
                    full[:, model.classes_.astype(np.int64)] = pred
                    pred = full
                oof[test] = pred
                scores.append(score(metric, y[test], pred, k, np))
                fit_s += t1 - t0
                predict_s += t2 - t1
        except Exception as e:  # a family that cannot fit this data is reported, not fatal
            board.append({"family": family, "estimator": estimator, "status": "failed", "error": "%s: %s" % (type(e).__name__, e)})
            emit("candidate", **board[-1])
            continue
        mean = float(np.mean(scores))
        entry = {
            "family": family,
            "estimator": estimator,
            "status": "ok",
            "params": {k2: v for k2, v in make().get_params().items() if isinstance(v, (int, float, str, bool)) or v is None},
            "cvScore": mean,
            "cvStd": float(np.std(scores, ddof=1)) if len(scores) > 1 else 0.0,
            "foldScores": scores,
            "fitSeconds": fit_s / folds,
            "predictMsPer1k": predict_s * 1e6 / max(1, n),
        }
        board.append(entry)
        better = best is None or (mean < board[best]["cvScore"] if lower_is_better(metric) else mean > board[best]["cvScore"])
        if better:
            best, best_oof = len(board) - 1, oof
        emit("candidate", **entry, best=board[best]["cvScore"])
    if best is None:
        raise SystemExit("no candidate could be fitted: " + "; ".join(e.get("error", "") for e in board))
    family = board[best]["family"]
    model = dict((f, m) for f, _, m in candidates(task, seed))[family]()
    model.fit(x, y.astype(np.int64) if task == "classification" else y)
    emit("refit", family=family)
    if family == "linear":
        node = export_linear(model, task, k)
    elif family == "gbt":
        node = export_hgb(model, task, k, np)
    else:
        node = export_forest(model, task, k)
    check_rows = min(n, 2000)
    check = predict(model, task, x[:check_rows])
    with open(spec["oof"], "w") as f:
        w = csv.writer(f)
        for row in (best_oof if best_oof.ndim == 2 else best_oof.reshape(-1, 1)):
            w.writerow([repr(float(v)) for v in row])
    result = {
        "leaderboard": board,
        "best": best,
        "model": node,
        "importance": importance_of(family, model, p, np),
        "check": [[float(v) for v in r] for r in check] if check.ndim == 2 else [float(v) for v in check],
        "checkRows": check_rows,
        "seconds": time.perf_counter() - started,
        "versions": {"python": sys.version.split()[0], "sklearn": sklearn.__version__, "numpy": np.__version__},
    }
    with open(spec["out"], "w") as f:
        json.dump(result, f)
    emit("done", best=family, cvScore=board[best]["cvScore"])


if __name__ == "__main__":
    main()

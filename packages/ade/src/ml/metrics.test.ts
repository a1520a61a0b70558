import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlError } from './ml-error.js';
import { accuracy, balancedAccuracy, f1Macro, isBetter, logLoss, mae, metricFor, r2, rmse, rocAuc } from './metrics.js';

const f = (v: number[]) => Float64Array.from(v);
/** One-hot "probabilities" for predicted classes. */
const oneHot = (pred: number[], k: number) => {
  const out = new Float64Array(pred.length * k);
  pred.forEach((c, i) => (out[i * k + c] = 1));
  return out;
};

describe('classification metrics', () => {
  it('should count the most probable class, ties going to the lower index', () => {
    assert.equal(accuracy(f([0, 1, 1, 0]), f([0.8, 0.2, 0.3, 0.7, 0.6, 0.4, 0.5, 0.5]), 2), 0.75);
  });

  it('should average recall per class for balanced accuracy', () => {
    const y = f([0, 0, 0, 1]);
    const p = oneHot([0, 0, 0, 0], 2);
    assert.equal(accuracy(y, p, 2), 0.75);
    assert.equal(balancedAccuracy(y, p, 2), 0.5);
  });

  it('should match the known log loss and clip certain mistakes', () => {
    assert.ok(Math.abs(logLoss(f([0, 1]), f([0.8, 0.2, 0.4, 0.6]), 2) - (-(Math.log(0.8) + Math.log(0.6)) / 2)) < 1e-12);
    const wrong = logLoss(f([0]), f([1, 0]).reverse(), 2);
    assert.ok(Number.isFinite(wrong) && Math.abs(wrong + Math.log(1e-15)) < 1e-6);
  });

  it('should give scikit-learn’s ROC AUC for its documented example and half for ties', () => {
    // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    const p = f([0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8]);
    assert.equal(rocAuc(f([0, 0, 1, 1]), p, 2), 0.75);
    assert.equal(rocAuc(f([0, 1]), f([0.5, 0.5, 0.5, 0.5]), 2), 0.5);
  });

  it('should macro-average one-vs-rest AUC for multiclass', () => {
    // Class 0 and 1 perfectly ranked, class 2 ranked backwards.
    const y = f([0, 1, 2]);
    const p = f([0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.5, 0.5, 0]);
    // class 0: scores (0.8 | 0.1, 0.5) → 1; class 1: (0.8 | 0.1, 0.5) → 1; class 2: (0 | 0.1, 0.1) → 0.
    assert.ok(Math.abs(rocAuc(y, p, 3) - 2 / 3) < 1e-12);
  });

  it('should give scikit-learn’s macro F1 for its documented example', () => {
    // f1_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average='macro') == 0.2666…
    assert.ok(Math.abs(f1Macro(f([0, 1, 2, 0, 1, 2]), oneHot([0, 2, 1, 0, 0, 1], 3), 3) - 0.8 / 3) < 1e-12);
  });
});

describe('regression metrics', () => {
  it('should give scikit-learn’s documented r2, rmse and mae', () => {
    const y = f([3, -0.5, 2, 7]);
    const p = f([2.5, 0.0, 2, 8]);
    assert.ok(Math.abs(r2(y, p) - 0.9486081370449679) < 1e-12);
    assert.ok(Math.abs(rmse(y, p) - Math.sqrt(0.375)) < 1e-12);
    assert.equal(mae(y, p), 0.5);
  });

  it('should score a constant target 1 when exact and 0 otherwise', () => {
    assert.equal(r2(f([2, 2]), f([2, 2])), 1);
    assert.equal(r2(f([2, 2]), f([2, 3])), 0);
  });
});

describe('metricFor', () => {
  it('should default by task and know the direction of each metric', () => {
    assert.equal(metricFor('classification').name, 'accuracy');
    assert.equal(metricFor('regression').name, 'r2');
    const ll = metricFor('classification', 'log_loss');
    assert.equal(ll.higherIsBetter, false);
    assert.ok(isBetter(ll, 0.1, 0.2));
    assert.ok(isBetter(metricFor('regression', 'r2'), 0.9, Number.NaN));
    assert.ok(!isBetter(metricFor('regression', 'r2'), Number.NaN, 0));
  });

  it('should reject an unknown metric or one for the other task', () => {
    assert.throws(() => metricFor('regression', 'auc'), (e: unknown) => e instanceof MlError && e.code === 'ml.bad_option');
    assert.throws(() => metricFor('regression', 'accuracy'), /is for classification/);
  });
});

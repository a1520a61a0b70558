import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdeSdkError } from '../errors.js';
import type { ModelArtifact } from './artifact.js';
import { validateArtifact } from './validate-artifact.js';

const stump = () => ({ feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], missingLeft: [false, false, false], value: [[], [1], [0]] });

/** A valid binary classifier: numeric x + categorical plan (2 slots), boosted trees on a logit. */
function artifact(): Record<string, unknown> {
  return {
    format: 'ade.model/v1',
    task: 'classification',
    target: 'churned',
    classes: ['no', 'yes'],
    inputs: [
      { name: 'x', type: 'DOUBLE' },
      { name: 'plan', type: 'VARCHAR' },
    ],
    features: [
      { kind: 'numeric', column: 'x', impute: 0, center: 0, scale: 1 },
      { kind: 'categorical', column: 'plan', categories: ['free', 'pro'] },
    ],
    featureCount: 3,
    model: { kind: 'trees', link: 'logistic', aggregate: 'sum', base: [0], trees: [stump(), stump(), stump(), stump()] },
  };
}

/** Applies `edit` to a fresh valid artifact and expects `validateArtifact` to throw `code` with exactly `message`. */
function rejects(edit: (a: any) => void, message: string, code = 'model.invalid'): void {
  const a = artifact();
  edit(a);
  assert.throws(
    () => validateArtifact(a),
    (e: unknown) => {
      assert.ok(e instanceof AdeSdkError, String(e));
      assert.equal(e.message, message);
      assert.equal(e.code, code);
      return true;
    },
  );
}

describe('validateArtifact', () => {
  it('should accept a valid artifact, also after a JSON round trip, and return it', () => {
    const a = artifact();
    assert.equal(validateArtifact(a), a);
    const parsed = JSON.parse(JSON.stringify(a));
    assert.equal((validateArtifact(parsed) as ModelArtifact).classes?.length, 2);
  });

  it('should name the format problem', () => {
    assert.throws(() => validateArtifact(null), /^AdeSdkError: \(artifact\): must be an object$/);
    rejects((a) => (a.format = 'onnx'), 'format: must be "ade.model/v1", is "onnx"');
    rejects((a) => (a.format = 'ade.model/v2'), 'format: this SDK reads ade.model/v1, the artifact is ade.model/v2', 'model.unsupported');
  });

  it('should check task, target and classes', () => {
    rejects((a) => (a.task = 'ranking'), 'task: must be one of classification, regression, is "ranking"');
    rejects((a) => delete a.target, 'target: must be a string, is missing');
    rejects((a) => delete a.classes, 'classes: must be an array');
    rejects((a) => (a.classes = ['yes']), 'classes: a classifier needs at least 2 classes, has 1');
    rejects((a) => (a.classes = ['no', 'no']), 'classes[1]: "no" appears twice');
    rejects((a) => (a.classes = ['no', 1]), 'classes[1]: must be a string, is 1');
    rejects((a) => (a.task = 'regression'), 'classes: a regression model has no classes');
  });

  it('should check inputs, features and featureCount', () => {
    rejects((a) => (a.inputs[1] = { name: 'plan' }), 'inputs[1].type: must be a string, is missing');
    rejects((a) => (a.features[1].column = 'tier'), 'features[1].column: "tier" is not among inputs');
    rejects((a) => (a.features[0].kind = 'float'), 'features[0].kind: must be one of numeric, categorical, datetime, text_hash, is "float"');
    rejects((a) => (a.features[0].impute = null), 'features[0].impute: must be a finite number, is null');
    rejects((a) => (a.features[0].scale = -1), 'features[0].scale: must be > 0, is -1');
    rejects((a) => (a.features[1].categories = ['free', 'free']), 'features[1].categories[1]: "free" appears twice');
    rejects((a) => (a.featureCount = 4), 'featureCount: is 4 but the feature steps make 3 slots');
    rejects((a) => (a.featureCount = 2.5), 'featureCount: must be an integer, is 2.5');
    rejects(
      (a) => (a.features[0] = { kind: 'datetime', column: 'x', parts: [{ part: 'minute', impute: 0, center: 0, scale: 1 }] }),
      'features[0].parts[0].part: must be one of year, month, day, weekday, hour, epoch_days, is "minute"',
    );
    rejects((a) => (a.features[0] = { kind: 'text_hash', column: 'x', buckets: 0, scale: 1 }), 'features[0].buckets: 0 is out of range [1, 1048576]');
  });

  it('should name the tree, array and index of a bad tree', () => {
    rejects((a) => (a.model.trees[3].left[0] = 17), 'model.trees[3].left[0]: 17 is out of range [0, 2]');
    rejects((a) => (a.model.trees[1].feature[0] = 3), 'model.trees[1].feature[0]: 3 is out of range: features are 0…2 (negative: a leaf)');
    rejects((a) => (a.model.trees[0].threshold[0] = null), 'model.trees[0].threshold[0]: must be a finite number, is null');
    rejects((a) => a.model.trees[2].value.pop(), 'model.trees[2].value: must have length 3, has 2');
    rejects((a) => (a.model.trees[0].value[2] = [0, 1]), "model.trees[0].value[2]: a leaf's value must have length 1 (the raw output count), has 2");
    rejects((a) => (a.model.trees[0].missingLeft[1] = 0), 'model.trees[0].missingLeft[1]: must be a boolean, is 0');
    rejects((a) => (a.model.trees[0].feature = []), 'model.trees[0].feature: a tree needs at least one node');
  });

  it('should refuse a tree that loops or shares a node', () => {
    rejects((a) => (a.model.trees[0].right[0] = 0), 'model.trees[0].right[0]: node 0 is reached twice (a loop or a shared subtree)');
    rejects((a) => (a.model.trees[0].right[0] = 1), 'model.trees[0].right[0]: node 1 is reached twice (a loop or a shared subtree)');
  });

  it('should check raw output counts against link, task and classes', () => {
    rejects((a) => (a.model.base = [0, 0]), "model.trees[0].value[1]: a leaf's value must have length 2 (the raw output count), has 1");
    rejects((a) => (a.model.link = 'identity'), 'model.link: a classification model cannot have the identity link');
    rejects((a) => (a.model.link = 'softmax'), 'model.link: softmax needs at least 2 raw outputs (one per class), the node has 1');
    rejects((a) => (a.classes = ['a', 'b', 'c']), 'model: outputs 2 probabilities per row but there are 3 classes');
    rejects(
      (a) => {
        a.task = 'regression';
        delete a.classes;
      },
      "model.link: a regression model's link must be identity, is logistic",
    );
  });

  it('should check linear, kNN and MLP nodes', () => {
    rejects((a) => (a.model = { kind: 'linear', link: 'logistic', intercept: [0], coef: [[1, 2]] }), 'model.coef[0]: must have length 3, has 2');
    rejects((a) => (a.model = { kind: 'linear', link: 'logistic', intercept: [0, 1], coef: [[1, 2, 3], [1, 2, 3]] }), 'model.link: logistic needs one raw output (the logit), the node has 2');
    rejects(
      (a) => (a.model = { kind: 'knn', link: 'probabilities', k: 1, weighting: 'uniform', points: [0, 0, 0, 1, 1], targets: [[1, 0], [0, 1]] }),
      'model.points: must have length 6, has 5',
    );
    rejects((a) => (a.model = { kind: 'knn', link: 'probabilities', k: 0, weighting: 'uniform', points: [0, 0, 0], targets: [[1, 0]] }), 'model.k: must be ≥ 1, is 0');
    const mlp = (layers: unknown[]) => ({ kind: 'mlp', link: 'softmax', activation: 'relu', layers });
    rejects((a) => (a.model = mlp([{ inputs: 2, outputs: 2, weights: [1, 2, 3, 4], bias: [0, 0] }])), 'model.layers[0].inputs: is 2 but featureCount 3');
    rejects(
      (a) => (a.model = mlp([{ inputs: 3, outputs: 1, weights: [1, 2, 3], bias: [0] }, { inputs: 2, outputs: 2, weights: [1, 2, 3, 4], bias: [0, 0] }])),
      'model.layers[1].inputs: is 2 but the previous layer outputs 1',
    );
    rejects((a) => (a.model = mlp([{ inputs: 3, outputs: 2, weights: [1, 2, 3, 4, 5], bias: [0, 0] }])), 'model.layers[0].weights: must have length 6, has 5');
  });

  it('should check ensembles', () => {
    const trees = () => artifact()['model'] as Record<string, unknown>;
    const linear = { kind: 'linear', link: 'softmax', intercept: [0, 0, 0], coef: [[0, 0, 0], [0, 0, 0], [0, 0, 0]] };
    rejects((a) => (a.model = { kind: 'ensemble', link: 'probabilities', members: [] }), 'model.members: needs at least one member');
    rejects((a) => (a.model = { kind: 'ensemble', link: 'identity', members: [{ weight: 1, model: trees() }] }), "model.link: a classification ensemble's link must be probabilities, is identity");
    rejects(
      (a) => (a.model = { kind: 'ensemble', link: 'probabilities', members: [{ weight: 1, model: trees() }, { weight: 1, model: linear }] }),
      'model.members[1].model: outputs 3 values per row, the first member 2',
    );
    rejects((a) => (a.model = { kind: 'ensemble', link: 'probabilities', members: [{ weight: 0, model: trees() }] }), 'model.members: the weights must sum to a finite number > 0');
    rejects((a) => (a.model = { kind: 'ensemble', link: 'probabilities', members: [{ weight: -1, model: trees() }] }), 'model.members[0].weight: must be ≥ 0, is -1');
    rejects(
      (a) => (a.model = { kind: 'ensemble', link: 'probabilities', members: [{ weight: 1, model: { kind: 'ensemble', link: 'probabilities', members: [] } }] }),
      'model.members[0].model.kind: an ensemble cannot contain an ensemble',
    );
    rejects(
      (a) => (a.model = { kind: 'ensemble', link: 'probabilities', members: [{ weight: 1, model: { ...trees(), link: 'identity' } }] }),
      'model.members[0].model.link: a classification model cannot have the identity link',
    );
  });

  it('should carry the path in details and a hint', () => {
    const a: any = artifact();
    a.model.trees[3].left[0] = 17;
    try {
      validateArtifact(a);
      assert.fail('should have thrown');
    } catch (e) {
      assert.ok(e instanceof AdeSdkError);
      assert.equal(e.details['path'], 'model.trees[3].left[0]');
      assert.ok(e.hint !== undefined && e.hint.length > 0);
      assert.equal(e.retryable, false);
    }
  });
});

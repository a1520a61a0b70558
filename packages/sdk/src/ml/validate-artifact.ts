import { AdeSdkError } from '../errors.js';
import { ARTIFACT_FORMAT, type FeatureStep, type ModelArtifact, type Task } from './artifact.js';

const LINKS = ['identity', 'logistic', 'softmax', 'probabilities'] as const;
const DATETIME_PARTS = ['year', 'month', 'day', 'weekday', 'hour', 'epoch_days'] as const;
/** More hash buckets than this is surely a mistake (and a huge feature vector). */
const MAX_BUCKETS = 1 << 20;

const HINT = 'Re-export the model with `ade ml` (artifacts are written by ade, not by hand), or fix the field the message names.';

function fail(path: string, problem: string): never {
  throw new AdeSdkError('model.invalid', `${path}: ${problem}`, { hint: HINT, details: { path } });
}

function record(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Record<string, unknown>;
}

function array(v: unknown, path: string, length?: number): readonly unknown[] {
  if (!Array.isArray(v)) fail(path, 'must be an array');
  if (length !== undefined && v.length !== length) fail(path, `must have length ${length}, has ${v.length}`);
  return v;
}

function finite(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, `must be a finite number, is ${describe(v)}`);
  return v;
}

function integer(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, `must be an integer, is ${describe(v)}`);
  if (v < min || v > max) fail(path, max === Number.MAX_SAFE_INTEGER ? `must be ≥ ${min}, is ${v}` : `${v} is out of range [${min}, ${max}]`);
  return v;
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `must be a string, is ${describe(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, options: readonly T[], path: string): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) fail(path, `must be one of ${options.join(', ')}, is ${describe(v)}`);
  return v as T;
}

/** Checks an array of finite numbers (optionally of a given length) in one pass. */
function finiteArray(v: unknown, path: string, length?: number): readonly number[] {
  const a = array(v, path, length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${path}[${i}]`, `must be a finite number, is ${describe(x)}`);
  }
  return a as readonly number[];
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return Array.isArray(v) ? 'an array' : typeof v;
}

/**
 * Checks feature steps and returns the number of feature-vector slots they
 * make (which must equal `featureCount` when it is given). Throws
 * `AdeSdkError('model.invalid')` naming the path of the first problem.
 *
 * @example
 * validateFeatures([{ kind: 'categorical', column: 'plan', categories: ['free', 'pro'] }], 2); // 2
 */
export function validateFeatures(steps: unknown, featureCount?: number, path = 'features'): number {
  const list = array(steps, path);
  let slots = 0;
  list.forEach((s, i) => {
    slots += validateStep(s, `${path}[${i}]`);
  });
  if (featureCount !== undefined && slots !== featureCount) fail('featureCount', `is ${featureCount} but the feature steps make ${slots} slots`);
  return slots;
}

function validateScaling(step: Record<string, unknown>, path: string): void {
  const impute = finite(step['impute'], `${path}.impute`);
  const center = finite(step['center'], `${path}.center`);
  const scale = finite(step['scale'], `${path}.scale`);
  if (!(scale > 0)) fail(`${path}.scale`, `must be > 0, is ${scale}`);
  if (!Number.isFinite((impute - center) / scale)) fail(`${path}.impute`, 'standardised, (impute - center) / scale overflows');
}

function validateStep(v: unknown, path: string): number {
  const step = record(v, path);
  const kind = oneOf(step['kind'], ['numeric', 'categorical', 'datetime', 'text_hash'], `${path}.kind`);
  string(step['column'], `${path}.column`);
  switch (kind) {
    case 'numeric':
      validateScaling(step, path);
      return 1;
    case 'categorical': {
      const categories = array(step['categories'], `${path}.categories`);
      const seen = new Set<string>();
      categories.forEach((c, i) => {
        const category = string(c, `${path}.categories[${i}]`);
        if (seen.has(category)) fail(`${path}.categories[${i}]`, `${JSON.stringify(category)} appears twice`);
        seen.add(category);
      });
      return categories.length;
    }
    case 'datetime': {
      const parts = array(step['parts'], `${path}.parts`);
      if (parts.length === 0) fail(`${path}.parts`, 'must list at least one part');
      parts.forEach((p, i) => {
        const part = record(p, `${path}.parts[${i}]`);
        oneOf(part['part'], DATETIME_PARTS, `${path}.parts[${i}].part`);
        validateScaling(part, `${path}.parts[${i}]`);
      });
      return parts.length;
    }
    case 'text_hash': {
      const buckets = integer(step['buckets'], `${path}.buckets`, 1, MAX_BUCKETS);
      const scale = finite(step['scale'], `${path}.scale`);
      if (!(scale > 0)) fail(`${path}.scale`, `must be > 0, is ${scale}`);
      return buckets;
    }
  }
}

/**
 * Checks a model node over `featureCount` features and returns its output
 * width per row (after the link): 2 for a logistic node, K otherwise. With
 * `task`, also checks the links fit it (regression: identity everywhere and
 * width 1; classification: no identity link). Throws
 * `AdeSdkError('model.invalid')` naming the path of the first problem, e.g.
 * `model.trees[3].left[17]: 40 is out of range [0, 30]`.
 *
 * @example
 * validateNode({ kind: 'linear', link: 'identity', intercept: [1], coef: [[2, 3]] }, 2); // 1
 */
export function validateNode(node: unknown, featureCount: number, path = 'model', task?: Task): number {
  const n = record(node, path);
  const kind = oneOf(n['kind'], ['linear', 'trees', 'knn', 'mlp', 'ensemble'], `${path}.kind`);
  if (kind === 'ensemble') return validateEnsemble(n, featureCount, path, task);
  const link = oneOf(n['link'], LINKS, `${path}.link`);
  let raw: number;
  switch (kind) {
    case 'linear':
      raw = validateLinear(n, featureCount, path);
      break;
    case 'trees':
      raw = validateTrees(n, featureCount, path);
      break;
    case 'knn':
      raw = validateKnn(n, featureCount, path);
      break;
    case 'mlp':
      raw = validateMlp(n, featureCount, path);
      break;
  }
  if (link === 'logistic' && raw !== 1) fail(`${path}.link`, `logistic needs one raw output (the logit), the node has ${raw}`);
  if ((link === 'softmax' || link === 'probabilities') && raw < 2) fail(`${path}.link`, `${link} needs at least 2 raw outputs (one per class), the node has ${raw}`);
  if (task === 'regression' && link !== 'identity') fail(`${path}.link`, `a regression model's link must be identity, is ${link}`);
  if (task === 'classification' && link === 'identity') fail(`${path}.link`, 'a classification model cannot have the identity link');
  return link === 'logistic' ? 2 : raw;
}

function validateLinear(n: Record<string, unknown>, featureCount: number, path: string): number {
  const intercept = finiteArray(n['intercept'], `${path}.intercept`);
  if (intercept.length === 0) fail(`${path}.intercept`, 'must not be empty');
  const coef = array(n['coef'], `${path}.coef`, intercept.length);
  coef.forEach((row, k) => finiteArray(row, `${path}.coef[${k}]`, featureCount));
  return intercept.length;
}

function validateTrees(n: Record<string, unknown>, featureCount: number, path: string): number {
  oneOf(n['aggregate'], ['sum', 'mean'], `${path}.aggregate`);
  const base = finiteArray(n['base'], `${path}.base`);
  const k = base.length;
  if (k === 0) fail(`${path}.base`, 'must not be empty (its length is the raw output count)');
  const trees = array(n['trees'], `${path}.trees`);
  if (trees.length === 0 && n['aggregate'] === 'mean') fail(`${path}.trees`, "must not be empty when aggregate is 'mean'");
  trees.forEach((t, i) => validateTree(t, featureCount, k, `${path}.trees[${i}]`));
  return k;
}

function validateTree(t: unknown, featureCount: number, k: number, path: string): void {
  const tree = record(t, path);
  const feature = array(tree['feature'], `${path}.feature`);
  const m = feature.length;
  if (m === 0) fail(`${path}.feature`, 'a tree needs at least one node');
  finiteArray(tree['threshold'], `${path}.threshold`, m);
  const left = array(tree['left'], `${path}.left`, m);
  const right = array(tree['right'], `${path}.right`, m);
  const missingLeft = array(tree['missingLeft'], `${path}.missingLeft`, m);
  const value = array(tree['value'], `${path}.value`, m);
  for (let i = 0; i < m; i++) {
    const f = integer(feature[i], `${path}.feature[${i}]`, Number.MIN_SAFE_INTEGER);
    if (f >= featureCount) fail(`${path}.feature[${i}]`, `${f} is out of range: features are 0…${featureCount - 1} (negative: a leaf)`);
    if (typeof missingLeft[i] !== 'boolean') fail(`${path}.missingLeft[${i}]`, `must be a boolean, is ${describe(missingLeft[i])}`);
    const values = finiteArray(value[i], `${path}.value[${i}]`);
    if (f < 0) {
      if (values.length !== k) fail(`${path}.value[${i}]`, `a leaf's value must have length ${k} (the raw output count), has ${values.length}`);
      integer(left[i], `${path}.left[${i}]`, Number.MIN_SAFE_INTEGER); // unused on a leaf (conventionally -1)
      integer(right[i], `${path}.right[${i}]`, Number.MIN_SAFE_INTEGER);
    } else {
      if (values.length !== 0 && values.length !== k) fail(`${path}.value[${i}]`, `must be empty or have length ${k}, has ${values.length}`);
      integer(left[i], `${path}.left[${i}]`, 0, m - 1);
      integer(right[i], `${path}.right[${i}]`, 0, m - 1);
    }
  }
  // From the root every node must be reached at most once: no loops, no shared subtrees.
  const seen = new Uint8Array(m);
  const stack = [0];
  seen[0] = 1;
  while (stack.length > 0) {
    const i = stack.pop() as number;
    if ((feature[i] as number) < 0) continue;
    for (const side of ['left', 'right'] as const) {
      const child = (side === 'left' ? left : right)[i] as number;
      if (seen[child] === 1) fail(`${path}.${side}[${i}]`, `node ${child} is reached twice (a loop or a shared subtree)`);
      seen[child] = 1;
      stack.push(child);
    }
  }
}

function validateKnn(n: Record<string, unknown>, featureCount: number, path: string): number {
  integer(n['k'], `${path}.k`, 1);
  oneOf(n['weighting'], ['uniform', 'distance'], `${path}.weighting`);
  const targets = array(n['targets'], `${path}.targets`);
  if (targets.length === 0) fail(`${path}.targets`, 'needs at least one training row');
  const k = finiteArray(targets[0], `${path}.targets[0]`).length;
  if (k === 0) fail(`${path}.targets[0]`, 'must not be empty');
  for (let i = 1; i < targets.length; i++) finiteArray(targets[i], `${path}.targets[${i}]`, k);
  finiteArray(n['points'], `${path}.points`, targets.length * featureCount);
  return k;
}

function validateMlp(n: Record<string, unknown>, featureCount: number, path: string): number {
  oneOf(n['activation'], ['relu', 'tanh'], `${path}.activation`);
  const layers = array(n['layers'], `${path}.layers`);
  if (layers.length === 0) fail(`${path}.layers`, 'needs at least one layer');
  let width = featureCount;
  layers.forEach((l, i) => {
    const p = `${path}.layers[${i}]`;
    const layer = record(l, p);
    const inputs = integer(layer['inputs'], `${p}.inputs`, 0);
    if (inputs !== width) fail(`${p}.inputs`, `is ${inputs} but ${i === 0 ? 'featureCount' : 'the previous layer outputs'} ${width}`);
    const outputs = integer(layer['outputs'], `${p}.outputs`, 1);
    finiteArray(layer['weights'], `${p}.weights`, outputs * inputs);
    finiteArray(layer['bias'], `${p}.bias`, outputs);
    width = outputs;
  });
  return width;
}

function validateEnsemble(n: Record<string, unknown>, featureCount: number, path: string, task?: Task): number {
  const link = oneOf(n['link'], ['identity', 'probabilities'], `${path}.link`);
  if (task === 'regression' && link !== 'identity') fail(`${path}.link`, `a regression ensemble's link must be identity, is ${link}`);
  if (task === 'classification' && link !== 'probabilities') fail(`${path}.link`, `a classification ensemble's link must be probabilities, is ${link}`);
  const members = array(n['members'], `${path}.members`);
  if (members.length === 0) fail(`${path}.members`, 'needs at least one member');
  let width = -1;
  let total = 0;
  members.forEach((m, i) => {
    const p = `${path}.members[${i}]`;
    const member = record(m, p);
    const weight = finite(member['weight'], `${p}.weight`);
    if (weight < 0) fail(`${p}.weight`, `must be ≥ 0, is ${weight}`);
    total += weight;
    const model = record(member['model'], `${p}.model`);
    if (model['kind'] === 'ensemble') fail(`${p}.model.kind`, 'an ensemble cannot contain an ensemble');
    const w = validateNode(model, featureCount, `${p}.model`, task);
    if (width >= 0 && w !== width) fail(`${p}.model`, `outputs ${w} values per row, the first member ${width}`);
    width = w;
  });
  if (!(total > 0) || !Number.isFinite(total)) fail(`${path}.members`, 'the weights must sum to a finite number > 0');
  return width;
}

/**
 * Checks that `json` (a parsed artifact) is a complete `ade.model/v1` model
 * and returns it typed: format, task and classes, inputs, every feature step,
 * `featureCount` against the steps, and the model node (lengths, index
 * ranges, finite numbers, raw output count against link, task and classes).
 * Unknown extra fields are allowed (newer optional fields).
 *
 * @throws AdeSdkError `model.invalid` naming the JSON path of the problem
 *   (`model.trees[3].left[17]: 40 is out of range [0, 30]`), or
 *   `model.unsupported` for another format version.
 * @example
 * const artifact = validateArtifact(JSON.parse(text));
 */
export function validateArtifact(json: unknown): ModelArtifact {
  const a = record(json, '(artifact)');
  const format = a['format'];
  if (format !== ARTIFACT_FORMAT) {
    if (typeof format === 'string' && format.startsWith('ade.model/')) {
      throw new AdeSdkError('model.unsupported', `format: this SDK reads ${ARTIFACT_FORMAT}, the artifact is ${format}`, {
        hint: 'Upgrade @ade/sdk to a version that reads this format.',
        details: { path: 'format', format },
      });
    }
    fail('format', `must be "${ARTIFACT_FORMAT}", is ${describe(format)}`);
  }
  const task = oneOf(a['task'], ['classification', 'regression'], 'task');
  string(a['target'], 'target');
  if (task === 'classification') {
    const classes = array(a['classes'], 'classes');
    if (classes.length < 2) fail('classes', `a classifier needs at least 2 classes, has ${classes.length}`);
    const seen = new Set<string>();
    classes.forEach((c, i) => {
      const label = string(c, `classes[${i}]`);
      if (seen.has(label)) fail(`classes[${i}]`, `${JSON.stringify(label)} appears twice`);
      seen.add(label);
    });
  } else if (a['classes'] !== undefined) {
    fail('classes', 'a regression model has no classes');
  }
  const names = new Set<string>();
  array(a['inputs'], 'inputs').forEach((inp, i) => {
    const input = record(inp, `inputs[${i}]`);
    names.add(string(input['name'], `inputs[${i}].name`));
    string(input['type'], `inputs[${i}].type`);
  });
  const featureCount = integer(a['featureCount'], 'featureCount', 0);
  validateFeatures(a['features'], featureCount);
  (a['features'] as readonly FeatureStep[]).forEach((step, i) => {
    if (!names.has(step.column)) fail(`features[${i}].column`, `${JSON.stringify(step.column)} is not among inputs`);
  });
  const width = validateNode(a['model'], featureCount, 'model', task);
  const expected = task === 'regression' ? 1 : (a['classes'] as readonly string[]).length;
  if (width !== expected) {
    fail('model', task === 'regression' ? `a regressor must output 1 value per row, this one outputs ${width}` : `outputs ${width} probabilities per row but there are ${expected} classes`);
  }
  return json as ModelArtifact;
}


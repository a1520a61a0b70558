import { AdeSdkError } from './errors.js';

/** Only a `running` experiment assigns units; `draft` and `stopped` ones give everyone the control. */
export type ExperimentStatus = 'draft' | 'running' | 'stopped';

/** A value of a user attribute that targeting compares (with `===`: `1` and `'1'` differ). */
export type AttributeValue = string | number | boolean;

/** What the app knows about the unit: `{ country: 'NL', plan: 'pro', beta: true }`. */
export type Attributes = Readonly<Record<string, AttributeValue | null | undefined>>;

/**
 * Attribute → the accepted value, or a list of accepted values. A unit is
 * targeted when every attribute named here has an accepted value; a missing
 * attribute never matches.
 */
export type Targeting = Readonly<Record<string, AttributeValue | readonly AttributeValue[]>>;

export interface Variant {
  /** The variant's id, reported as `variation_id` in exposures: `control`, `green`. */
  readonly name: string;
  /** Relative weight, ≥ 0; weights are normalised by their sum. Default 1. */
  readonly weight?: number;
}

/** Experiments in the same namespace with disjoint ranges never share a unit. */
export interface Namespace {
  /** The namespace's name: units are placed in it by hashing `${name}__${unitId}`. */
  readonly name: string;
  /** The part of the namespace this experiment takes, `[start, end)` within [0, 1]. */
  readonly range: readonly [number, number];
}

/**
 * An A/B/n experiment as the SDK needs it (the same fields as ade.yaml's
 * `experiments:`). See docs/experiments.md, "Assignment", for the algorithm.
 *
 * @example
 * const checkout: Experiment = {
 *   key: 'checkout_button',
 *   status: 'running',
 *   variants: [{ name: 'control', weight: 50 }, { name: 'green', weight: 50 }],
 *   coverage: 0.5,
 *   targeting: { country: ['NL', 'BE'] },
 *   forcedVariations: { 'qa-user-1': 'green' },
 * };
 */
export interface Experiment {
  /** Stable key, reported as `experiment_key`. */
  readonly key: string;
  readonly status: ExperimentStatus;
  /** At least one; the first is the control, which units outside the experiment get. */
  readonly variants: readonly Variant[];
  /** Hash seed; default: the key. A new seed reshuffles every unit. */
  readonly seed?: string;
  /** Share of eligible units in the experiment, [0, 1]; default 1. */
  readonly coverage?: number;
  readonly namespace?: Namespace;
  /** Default: everyone. */
  readonly targeting?: Targeting;
  /** QA: unit id → variant name (or index) that unit always gets, in any status. */
  readonly forcedVariations?: Readonly<Record<string, string | number>>;
}

/** An experiment checked once, with what assignment needs precomputed. */
export interface CompiledExperiment {
  readonly experiment: Experiment;
  /** `${seed}:`, prefixed to the unit id before hashing. */
  readonly hashPrefix: string;
  /** Upper bound of each variant's bucket range: `coverage × (w₀ + … + wᵢ) / Σw`, the last exactly `coverage`. */
  readonly thresholds: readonly number[];
  readonly forced: ReadonlyMap<string, number>;
}

const compiled = new WeakMap<Experiment, CompiledExperiment>();

/**
 * Checks `experiment` and precomputes its thresholds, once per object
 * (cached). Throws `experiment.invalid` naming the field.
 *
 * @example
 * compileExperiment({ key: 'k', status: 'running', variants: [{ name: 'a' }, { name: 'b', weight: 3 }] }).thresholds; // [0.25, 1]
 */
export function compileExperiment(experiment: Experiment): CompiledExperiment {
  const cached = compiled.get(experiment);
  if (cached) return cached;
  const key = typeof experiment?.key === 'string' ? experiment.key : '';
  const fail = (field: string, message: string, hint: string): never => {
    throw new AdeSdkError('experiment.invalid', `experiment ${JSON.stringify(key)}: ${field} ${message}`, { hint, details: { experiment: key, field } });
  };
  if (key === '') fail('key', 'must be a non-empty string', 'give every experiment a stable key');
  if (!['draft', 'running', 'stopped'].includes(experiment.status)) fail('status', 'must be draft, running or stopped', 'only running experiments assign units');
  const variants = experiment.variants;
  if (!Array.isArray(variants) || variants.length === 0) fail('variants', 'must list at least one variant', "e.g. variants: [{ name: 'control' }, { name: 'green' }]");
  const names = new Set<string>();
  const weights = variants.map((v, i) => {
    if (typeof v?.name !== 'string' || v.name === '') fail(`variants[${i}].name`, 'must be a non-empty string', 'name each variant');
    if (names.has(v.name)) fail(`variants[${i}].name`, `repeats ${JSON.stringify(v.name)}`, 'variant names are unique');
    names.add(v.name);
    const w = v.weight ?? 1;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) fail(`variants[${i}].weight`, 'must be a finite number ≥ 0', 'weights are relative: [1, 1] and [50, 50] both split evenly');
    return w;
  });
  const coverage = experiment.coverage ?? 1;
  if (typeof coverage !== 'number' || !(coverage >= 0 && coverage <= 1)) fail('coverage', 'must be a number in [0, 1]', 'coverage 0.2 puts 20% of eligible units in the experiment');
  const seed = experiment.seed ?? key;
  if (typeof seed !== 'string') fail('seed', 'must be a string', 'leave it out to use the key');
  const ns = experiment.namespace;
  if (ns !== undefined) {
    const [start, end] = Array.isArray(ns.range) ? ns.range : [];
    if (typeof ns.name !== 'string' || ns.name === '') fail('namespace.name', 'must be a non-empty string', 'experiments that must not share units use the same namespace name');
    if (typeof start !== 'number' || typeof end !== 'number' || !(start >= 0 && start <= end && end <= 1)) {
      fail('namespace.range', 'must be [start, end) with 0 ≤ start ≤ end ≤ 1', 'e.g. [0, 0.5] and [0.5, 1] for two exclusive experiments');
    }
  }
  if (experiment.targeting !== undefined && (typeof experiment.targeting !== 'object' || experiment.targeting === null)) {
    fail('targeting', 'must map attribute names to a value or a list of values', "e.g. targeting: { country: ['NL', 'BE'] }");
  }
  const forced = new Map<string, number>();
  for (const [unit, v] of Object.entries(experiment.forcedVariations ?? {})) {
    const index = variantIndex(variants, v);
    if (index === undefined) fail(`forcedVariations[${JSON.stringify(unit)}]`, `names no variant (${JSON.stringify(v)})`, `use one of ${variants.map((x) => x.name).join(', ')}`);
    forced.set(unit, index!);
  }
  const result: CompiledExperiment = Object.freeze({
    experiment,
    hashPrefix: `${seed}:`,
    thresholds: Object.freeze(variantThresholds(weights, coverage)),
    forced,
  });
  compiled.set(experiment, result);
  return result;
}

/**
 * Each variant's upper bucket bound: cumulative weights, normalised, summed
 * left to right in doubles and scaled by coverage; the last is exactly
 * `coverage`. A unit with bucket `b < coverage` gets the first variant `i`
 * with `b < thresholds[i]`. All weights 0 → nobody is in the experiment.
 *
 * @example
 * variantThresholds([1, 1, 2], 0.5); // [0.125, 0.25, 0.5]
 */
export function variantThresholds(weights: readonly number[], coverage: number): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return weights.map(() => 0);
  let running = 0;
  return weights.map((w, i) => {
    running += w;
    return i === weights.length - 1 ? coverage : coverage * (running / total);
  });
}

/** The index of the variant `v` names (a name, or an index in range), or undefined. */
export function variantIndex(variants: readonly Variant[], v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v < variants.length ? v : undefined;
  const i = variants.findIndex((x) => x.name === v);
  return i < 0 ? undefined : i;
}

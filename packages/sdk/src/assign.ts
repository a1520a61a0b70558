import { compileExperiment, variantIndex, type Attributes, type Experiment } from './experiment.js';
import { AdeSdkError } from './errors.js';
import { hashToUnit } from './fnv1a.js';
import { matchesTargeting } from './targeting.js';

/**
 * Why a unit got what it got, in the order assignment decides:
 * `override` (the caller's override map), `forced` (the experiment's
 * `forcedVariations`), `no_unit` (empty unit id), `not_running`,
 * `namespace` (outside the experiment's namespace range), `targeting`,
 * `coverage` (bucket ≥ coverage, or every weight 0), `assigned`.
 */
export type AssignmentReason = 'override' | 'forced' | 'no_unit' | 'not_running' | 'namespace' | 'targeting' | 'coverage' | 'assigned';

export interface Assignment {
  /** True only for `assigned`: the unit is in the experiment and its exposure counts. Forced and overridden units are not. */
  readonly inExperiment: boolean;
  /** The variant to show: the assigned, forced or overridden one, else the control (the first variant). */
  readonly variant: string;
  /** Its index in `variants`. */
  readonly variationIndex: number;
  /** The unit's bucket, `bucketHash(`${seed}:${unitId}`) / 2^32`, in [0, 1). */
  readonly hashValue: number;
  readonly reason: AssignmentReason;
}

export interface AssignOptions {
  /** QA: experiment key → variant name (or index) for this caller, whatever the unit and status. */
  readonly overrides?: Readonly<Record<string, string | number>>;
}

/**
 * Deterministic assignment of `unitId` to a variant of `experiment`: the
 * same inputs give the same answer on every device, in every language that
 * implements docs/experiments.md ("Assignment"), and in ade's SQL.
 *
 * @example
 * const a = assign(checkout, 'user-42', { country: 'NL' });
 * if (a.variant === 'green') showGreenButton();
 * // { inExperiment: true, variant: 'green', variationIndex: 1, hashValue: 0.7…, reason: 'assigned' }
 */
export function assign(experiment: Experiment, unitId: string, attributes: Attributes = {}, options: AssignOptions = {}): Assignment {
  const c = compileExperiment(experiment);
  const { variants } = experiment;
  const hashValue = hashToUnit(c.hashPrefix + unitId);
  const result = (index: number, reason: AssignmentReason): Assignment => ({
    inExperiment: reason === 'assigned',
    variant: variants[index]!.name,
    variationIndex: index,
    hashValue,
    reason,
  });

  const override = options.overrides?.[experiment.key];
  if (override !== undefined) {
    const index = variantIndex(variants, override);
    if (index === undefined) {
      throw new AdeSdkError('experiment.override', `experiment ${JSON.stringify(experiment.key)}: override ${JSON.stringify(override)} names no variant`, {
        hint: `use one of ${variants.map((v) => v.name).join(', ')}`,
        details: { experiment: experiment.key, override },
      });
    }
    return result(index, 'override');
  }
  const forced = c.forced.get(unitId);
  if (forced !== undefined) return result(forced, 'forced');
  if (unitId === '') return result(0, 'no_unit');
  if (experiment.status !== 'running') return result(0, 'not_running');
  const ns = experiment.namespace;
  if (ns) {
    const position = hashToUnit(`${ns.name}__${unitId}`);
    if (position < ns.range[0] || position >= ns.range[1]) return result(0, 'namespace');
  }
  if (!matchesTargeting(experiment.targeting, attributes)) return result(0, 'targeting');
  const index = c.thresholds.findIndex((t) => hashValue < t);
  return index < 0 ? result(0, 'coverage') : result(index, 'assigned');
}

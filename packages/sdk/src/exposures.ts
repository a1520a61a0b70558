import type { Assignment } from './assign.js';
import { exposureMessageId } from './message-id.js';
import type { Identity, TrackEvent } from './segment-event.js';
import { SDK_VERSION } from './version.js';

/** The event name of exposures, as Segment's and GrowthBook's conventions have it. */
export const EXPOSURE_EVENT = 'Experiment Viewed';

/**
 * The `track` call recording that a unit saw `assignment`'s variant. Its
 * messageId is deterministic (see {@link exposureMessageId}), so the same
 * exposure sent twice — a retry, a reload, another device — lands once.
 *
 * @example
 * exposureEvent('checkout', { userId: 'user-42' }, assign(checkout, 'user-42'), new Date());
 * // { type: 'track', event: 'Experiment Viewed', userId: 'user-42', messageId: 'exp-…',
 * //   properties: { experiment_key: 'checkout', variation_id: 'green', variation_index: 1, hash_value: 0.7… }, … }
 */
export function exposureEvent(experimentKey: string, identity: Identity, assignment: Assignment, at: Date): TrackEvent {
  const unitId = identity.userId ?? identity.anonymousId ?? '';
  return {
    type: 'track',
    event: EXPOSURE_EVENT,
    ...identity,
    properties: {
      experiment_key: experimentKey,
      variation_id: assignment.variant,
      variation_index: assignment.variationIndex,
      hash_value: assignment.hashValue,
    },
    messageId: exposureMessageId(experimentKey, unitId, assignment.variant),
    timestamp: at.toISOString(),
    context: { library: { name: '@ade/sdk', version: SDK_VERSION } },
  };
}

/**
 * The exposures a client has already logged, by (experiment, unit, variant),
 * holding at most `capacity` (the oldest forgotten first). Forgetting one
 * only means logging it again, which the collector drops by messageId.
 *
 * @example
 * const seen = new ExposureCache(2);
 * seen.add('k', 'u1', 'a'); // true: log it
 * seen.add('k', 'u1', 'a'); // false: already logged
 */
export class ExposureCache {
  readonly #capacity: number;
  readonly #seen = new Set<string>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Records the exposure; true when it was not recorded yet. */
  add(experimentKey: string, unitId: string, variant: string): boolean {
    const id = JSON.stringify([experimentKey, unitId, variant]);
    if (this.#seen.has(id)) return false;
    this.#seen.add(id);
    if (this.#seen.size > this.#capacity) {
      const oldest = this.#seen.values().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
    return true;
  }
}

import type { Attributes, Targeting } from './experiment.js';

/**
 * Whether `attributes` satisfy `targeting`: every named attribute present
 * and equal (`===`) to the value, or to one of the listed values. No
 * targeting matches everyone.
 *
 * @example
 * matchesTargeting({ country: ['NL', 'BE'], beta: true }, { country: 'NL', beta: true }); // true
 * matchesTargeting({ country: 'NL' }, {});                                                 // false
 */
export function matchesTargeting(targeting: Targeting | undefined, attributes: Attributes): boolean {
  if (targeting === undefined) return true;
  for (const [name, accepted] of Object.entries(targeting)) {
    const value = attributes[name];
    if (value === undefined || value === null) return false;
    if (Array.isArray(accepted) ? !accepted.includes(value) : accepted !== value) return false;
  }
  return true;
}

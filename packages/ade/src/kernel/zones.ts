import { ValidationError } from './errors.js';

/** The lake's zones, in the order data moves through them. */
export const ZONES = ['raw', 'quarantine', 'clean', 'model', 'report', 'ml', 'archive'] as const;
export type Zone = (typeof ZONES)[number];

/** Zones that may hold unobfuscated personal data. */
export const RESTRICTED_ZONES: readonly Zone[] = ['raw', 'quarantine', 'archive'];

export function isZone(name: string): name is Zone {
  return (ZONES as readonly string[]).includes(name);
}

export function assertZone(name: string): Zone {
  if (!isZone(name)) {
    throw new ValidationError(`unknown zone ${JSON.stringify(name)}`, {
      code: 'validation.zone',
      hint: `zones are ${ZONES.join(', ')}`,
      details: { zone: name },
    });
  }
  return name;
}

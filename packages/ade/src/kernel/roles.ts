import { PermissionError, ValidationError } from './errors.js';
import { ZONES, type Zone } from './zones.js';

/** Roles, weakest first: each may do what the ones before it may. */
export const ROLES = ['viewer', 'analyst', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is acting: a user, token or service, and the role it acts with. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
}

const OPEN_ZONES: readonly Zone[] = ['clean', 'model', 'report', 'ml'];

/** The zones a role may read. */
export function readableZones(role: Role): readonly Zone[] {
  return role === 'viewer' || role === 'analyst' ? OPEN_ZONES : ZONES;
}

export function canRead(role: Role, zone: string): boolean {
  return (readableZones(role) as readonly string[]).includes(zone);
}

export function isRole(name: string): name is Role {
  return (ROLES as readonly string[]).includes(name);
}

export function parseRole(name: string): Role {
  if (!isRole(name)) {
    throw new ValidationError(`unknown role ${JSON.stringify(name)}`, {
      code: 'validation.role',
      hint: `roles are ${ROLES.join(', ')}`,
    });
  }
  return name;
}

/** True when `role` is at least as strong as `required`. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/** Throws a `PermissionError` unless `role` may read `zone`. */
export function assertCanRead(principal: Principal, zone: string): void {
  if (!canRead(principal.role, zone)) {
    throw new PermissionError(`${principal.name} (${principal.role}) may not read the ${zone} zone`, {
      hint: `the ${zone} zone is readable by ${ROLES.filter((r) => canRead(r, zone)).join(', ')}`,
      details: { principal: principal.name, role: principal.role, zone },
    });
  }
}

const ANALYST_WRITABLE: readonly Zone[] = ['report', 'ml'];

/**
 * The zones a role may write. Analysts build reports and features; loading into
 * the platform zones (raw … model) is engineering work.
 */
export function writableZones(role: Role): readonly Zone[] {
  if (role === 'viewer') return [];
  return role === 'analyst' ? ANALYST_WRITABLE : ZONES;
}

/** Throws a `PermissionError` unless `role` may write `zone`. */
export function assertCanWrite(principal: Principal, zone: string): void {
  if (!(writableZones(principal.role) as readonly string[]).includes(zone)) {
    throw new PermissionError(`${principal.name} (${principal.role}) may not write the ${zone} zone`, {
      hint: `writing ${zone} needs the ${ROLES.find((r) => (writableZones(r) as readonly string[]).includes(zone))} role or above (e.g. --as engineer when your project grants it)`,
      details: { principal: principal.name, role: principal.role, zone },
    });
  }
}

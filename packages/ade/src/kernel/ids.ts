import { v5, v7 } from 'uuid';

/** Namespace under which ade derives every UUIDv5 (surrogate keys, batch ids). */
export const ADE_NAMESPACE = '7c0f0e6a-4d0b-5b7e-9a51-2f1d3c9a6ade';

/** A time-ordered id for runs, events, batches. */
export function uuidv7(): string {
  return v7();
}

/**
 * A deterministic id: the same name in the same namespace always gives the
 * same UUID, on any machine. Used for surrogate keys (`uuidv5('customer_d|42')`).
 */
export function uuidv5(name: string, namespace: string = ADE_NAMESPACE): string {
  return v5(name, namespace);
}

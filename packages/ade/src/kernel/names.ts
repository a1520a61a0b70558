import { ValidationError } from './errors.js';

/** Zones, tables and columns share one naming rule, so they can be used unquoted everywhere. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

export type NameKind = 'zone' | 'table' | 'column' | 'source' | 'model' | 'name';

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** Throws a `ValidationError` naming the offending value unless `name` matches {@link NAME_PATTERN}. */
export function validateName(kind: NameKind, name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new ValidationError(`invalid ${kind} name ${JSON.stringify(name)}`, {
      code: 'validation.name',
      hint: 'names start with a lower-case letter and use only a-z, 0-9 and _ (at most 63 characters)',
      details: { kind, name },
    });
  }
  return name;
}

/** A reference to a table in a zone. */
export interface TableRef {
  readonly zone: string;
  readonly name: string;
}

/** Parses `zone.table`, validating both parts. */
export function parseTableRef(ref: string): TableRef {
  const parts = ref.split('.');
  if (parts.length !== 2) {
    throw new ValidationError(`invalid table reference ${JSON.stringify(ref)}`, {
      code: 'validation.table_ref',
      hint: 'write tables as zone.table, e.g. clean.orders',
      details: { ref },
    });
  }
  return { zone: validateName('zone', parts[0]!), name: validateName('table', parts[1]!) };
}

export function formatTableRef(ref: TableRef): string {
  return `${ref.zone}.${ref.name}`;
}

/**
 * Turns any column label into a valid name: `Customer Name` → `customer_name`,
 * `2nd-score` → `c_2nd_score`. Distinct labels that normalise alike get `_2`, `_3`….
 */
export function normalizeNames(labels: readonly string[]): string[] {
  const used = new Set<string>();
  return labels.map((label) => {
    let base = label
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .replace(/_+/g, '_');
    if (base === '') base = 'column';
    if (!/^[a-z]/.test(base)) base = `c_${base}`;
    base = base.slice(0, 60);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}

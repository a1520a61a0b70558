import { ValidationError } from '../kernel/index.js';

/** What a value is, for normalisation before tokenising (and for placeholders). */
export type PiiKind = 'email' | 'phone' | 'card' | 'iban' | 'ssn' | 'ipv4' | 'ipv6' | 'mac' | 'text';

export const PII_KINDS: readonly PiiKind[] = Object.freeze(['email', 'phone', 'card', 'iban', 'ssn', 'ipv4', 'ipv6', 'mac', 'text']);

export function isPiiKind(s: string): s is PiiKind {
  return (PII_KINDS as readonly string[]).includes(s);
}

/**
 * The canonical form of a value of a kind, so that spellings of one identifier
 * give one token:
 * - email: trimmed, lower-cased
 * - phone: digits only, with a leading `+` when the input had `+` or `00`
 *   (an international prefix); national numbers stay national
 * - card, iban, ssn: spaces, dashes and dots removed, upper-cased
 * - ipv4, ipv6, mac: trimmed, lower-cased (mac separators unified to `:`)
 * - text: Unicode NFC, otherwise unchanged
 */
export function normalizeFor(kind: PiiKind, value: string): string {
  switch (kind) {
    case 'email':
      return value.trim().toLowerCase();
    case 'phone': {
      const t = value.trim();
      const digits = t.replace(/\D+/g, '');
      if (t.startsWith('+')) return `+${digits}`;
      if (digits.startsWith('00') && digits.length > 4) return `+${digits.slice(2)}`;
      return digits;
    }
    case 'card':
    case 'iban':
    case 'ssn':
      return value.replace(/[\s.-]+/g, '').toUpperCase();
    case 'ipv4':
    case 'ipv6':
      return value.trim().toLowerCase();
    case 'mac':
      return value.trim().toLowerCase().replace(/[-.]/g, ':');
    case 'text':
      return value.normalize('NFC');
    default:
      throw new ValidationError(`unknown value kind ${JSON.stringify(kind as string)}`, {
        hint: `use one of: ${PII_KINDS.join(', ')}`,
      });
  }
}

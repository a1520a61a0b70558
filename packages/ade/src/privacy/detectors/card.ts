import { isDigitAt, isOneOfAt, isWordAt, luhnValid, scan, type Detector, type Span } from './detector.js';

const CANDIDATE = /\d(?:[ -]?\d){12,18}/g;
/** Labels that make a long number a barcode or article number, not a card (EAN-13 can pass Luhn). */
const BARCODE_CONTEXT = /\b(?:ean|gtin|upc|barcode|isbn|art(?:icle|ikel)?[ .-]?(?:no|nr|number)?)\b\W{0,3}$/i;

type Range = readonly [lo: number, hi: number, prefixDigits: number, lengths: readonly number[]];
const L16_19 = [16, 17, 18, 19];
/** Issuer identification number ranges and the lengths each issues. */
const IIN_RANGES: readonly Range[] = [
  [4, 4, 1, [13, 16, 19]], // Visa
  [51, 55, 2, [16]], // Mastercard
  [2221, 2720, 4, [16]], // Mastercard 2-series
  [34, 34, 2, [15]], // American Express
  [37, 37, 2, [15]],
  [6011, 6011, 4, L16_19], // Discover
  [644, 649, 3, L16_19],
  [65, 65, 2, L16_19],
  [300, 305, 3, [14, 15, 16, 17, 18, 19]], // Diners Club
  [36, 36, 2, [14, 15, 16, 17, 18, 19]],
  [38, 39, 2, [14, 15, 16, 17, 18, 19]],
  [3528, 3589, 4, L16_19], // JCB
  [62, 62, 2, L16_19], // UnionPay
  [2200, 2204, 4, L16_19], // Mir
  [5018, 5018, 4, [13, 14, 15, ...L16_19]], // Maestro
  [5020, 5020, 4, [13, 14, 15, ...L16_19]],
  [5038, 5038, 4, [13, 14, 15, ...L16_19]],
  [5893, 5893, 4, [13, 14, 15, ...L16_19]],
  [6304, 6304, 4, [13, 14, 15, ...L16_19]],
  [6759, 6759, 4, [13, 14, 15, ...L16_19]],
  [6761, 6763, 4, [13, 14, 15, ...L16_19]],
];

/** Whether a digit string starts with a known issuer prefix and has a length that issuer uses. */
export function knownIssuer(digits: string): boolean {
  return IIN_RANGES.some(([lo, hi, n, lengths]) => {
    const p = Number(digits.slice(0, n));
    return p >= lo && p <= hi && lengths.includes(digits.length);
  });
}

/** Separators, when present, must be one kind and group the digits as printed on cards. */
function groupingOk(candidate: string): boolean {
  const seps = new Set(candidate.replace(/\d/g, ''));
  if (seps.size === 0) return true;
  if (seps.size > 1) return false;
  const groups = candidate.split(/[ -]/).map((g) => g.length);
  const shape = groups.join('-');
  if (shape === '4-6-5' || shape === '4-6-4') return true;
  const last = groups[groups.length - 1] ?? 0;
  return groups.slice(0, -1).every((g) => g === 4) && last >= 1 && last <= 4;
}

function validate(candidate: string): boolean {
  if (!/^\d[\d -]*\d$/.test(candidate) || !groupingOk(candidate)) return false;
  const digits = candidate.replace(/[ -]/g, '');
  return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) && knownIssuer(digits);
}

/**
 * Payment card numbers: 13–19 digits, optionally grouped, Luhn-valid, from a
 * known issuer range with a length that issuer uses, and not labelled as a
 * barcode (EAN/GTIN/UPC/ISBN).
 */
export const cardDetector: Detector = Object.freeze({
  name: 'card',
  kind: 'card' as const,
  validate,
  find(text: string): Span[] {
    return scan(text, CANDIDATE, (start, end) => {
      if (isWordAt(text, start - 1) || isOneOfAt(text, start - 1, '-.+/')) return false;
      if (isWordAt(text, end) || (isOneOfAt(text, end, '-./') && isDigitAt(text, end + 1))) return false;
      if (BARCODE_CONTEXT.test(text.slice(Math.max(0, start - 24), start))) return false;
      return validate(text.slice(start, end)) ? [start, end] : false;
    });
  },
});

import { isWordAt, scan, type Detector, type Span } from './detector.js';

/** IBAN length by country (SWIFT IBAN registry, plus national IBAN schemes). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18,
  SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22,
  VG: 24, XK: 20, YE: 30, PT: 25,
  // Used nationally though not (yet) in the SWIFT registry.
  AO: 25, BF: 28, BJ: 28, CI: 28, CM: 27, CV: 25, DZ: 26, IR: 26, MG: 27, ML: 28, MZ: 25, SN: 28,
});

/** ISO 13616 mod-97 of an IBAN without spaces (country and check digits moved to the end). */
export function ibanMod97(compact: string): number {
  const s = compact.slice(4) + compact.slice(0, 4);
  let r = 0;
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 90 ? c - 55 : -1;
    if (v < 0) return -1;
    r = v >= 10 ? (r * 100 + v) % 97 : (r * 10 + v) % 97;
  }
  return r;
}

const CANDIDATE = /[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}/g;

function validate(candidate: string): boolean {
  const compact = candidate.replace(/ /g, '');
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false;
  const len = IBAN_LENGTHS[compact.slice(0, 2)];
  const check = Number(compact.slice(2, 4));
  return len === compact.length && check >= 2 && check <= 98 && ibanMod97(compact) === 1;
}

/**
 * IBANs, compact or in groups of four: a known country, that country's length,
 * check digits 02–98 and mod-97 = 1. Upper case only (as printed).
 */
export const ibanDetector: Detector = Object.freeze({
  name: 'iban',
  kind: 'iban' as const,
  validate,
  find(text: string): Span[] {
    return scan(text, CANDIDATE, (start, end) => {
      if (isWordAt(text, start - 1)) return false;
      const len = IBAN_LENGTHS[text.slice(start, start + 2)];
      if (len === undefined) return false;
      // Cut the match at the country's length: a spaced IBAN may run into the next word.
      let seen = 0;
      let stop = start;
      while (stop < end && seen < len) {
        if (text[stop] !== ' ') seen++;
        stop++;
      }
      if (seen < len || isWordAt(text, stop)) return false;
      return validate(text.slice(start, stop)) ? [start, stop] : false;
    });
  },
});

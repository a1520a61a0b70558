import { isDigitAt, isOneOfAt, isWordAt, longestNonOverlapping, scan, type Detector, type Span } from './detector.js';

/** International: `+` country code, then digit groups split by single spaces, dots, dashes or one (area). */
const INTERNATIONAL = /\+[1-9]\d{0,2}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,5})){1,6}/g;
/** North American national: (415) 555-0132, 415-555-0132, 415.555.0132, 1-415-555-0132. */
const NANP = /(?:1[ .-])?(?:\(\d{3}\) ?\d{3}[ .-]\d{4}|\d{3}-\d{3}-\d{4}|\d{3}\.\d{3}\.\d{4}|\d{3} \d{3} \d{4})/g;
/** Trunk-prefixed national (UK, DE, FR, …): 020 7946 0958, 07700 900123, 030 12345678, (07479) 5502468, 089/1234567, 06 12 34 56 78. */
const TRUNK = /(?:0[1-9]\d{0,4}|\(0[1-9]\d{0,4}\) ?)(?:[ ./-]?\d{2,10}){1,4}/g;
/** An extension after a number: ` x830`, ` ext. 12`, `#4412`. Part of the span, not of the validated number. */
const EXTENSION = /^(?: ?(?:x|ext\.?|#) ?\d{1,6})/i;

const COUNTRY_CODES_1 = new Set(['1', '7']);
const COUNTRY_CODES_2 = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84',
  '86', '90', '91', '92', '93', '94', '95', '98',
]);

/** Whether `+digits` starts with an assigned country calling code (1, 2 or 3 digits). */
function knownCountry(digits: string): boolean {
  if (COUNTRY_CODES_1.has(digits.slice(0, 1))) return true;
  if (COUNTRY_CODES_2.has(digits.slice(0, 2))) return true;
  // Three-digit codes live in the 2xx, 3xx, 4xx, 5xx, 6xx, 8xx and 9xx blocks not taken above.
  return /^(2[1-9]\d|3[578]\d|42\d|5[09]\d|6[7-9]\d|8[5-9]\d|9[679]\d)/.test(digits);
}

function nanpOk(digits10: string): boolean {
  return /^[2-9]\d{2}[2-9]\d{6}$/.test(digits10);
}

function separatorsOk(candidate: string): boolean {
  // One kind of separator between groups (parentheses aside); mixing "." and "-" is a code, not a number.
  // The separator after a `+` country code and around an (area code) may differ from the rest.
  const body = candidate.replace(/^\+\d{1,3}[ .-]?/, '').replace(/^1[ .-](?=\()/, '').replace(/\(\d+\) ?/g, 'X');
  return new Set(body.replace(/[\dX]/g, '')).size <= 1;
}

function validate(candidate: string): boolean {
  const c = candidate.trim();
  if (!/^[+\d(][\d ()./-]*\d$/.test(c) || !separatorsOk(c)) return false;
  const digits = c.replace(/\D/g, '');
  if (c.startsWith('+')) {
    if (digits.length < 8 || digits.length > 15 || !knownCountry(digits)) return false;
    if (digits.startsWith('1')) return digits.length === 11 && nanpOk(digits.slice(1));
    return true;
  }
  if (/^\(?0/.test(c)) {
    // National numbers with a trunk 0: 10 or 11 digits (UK, FR, most of Europe), more in Germany.
    // German numbers run to 13 digits with the trunk 0; written without separators, 12 or more
    // digits are more often a tracking or account number.
    if (digits.length < 10 || digits.length > 13 || digits[1] === '0') return false;
    if (digits.length >= 12 && digits === c) return false;
    // A run of one digit ("0111111111") or a date-like 0d.mm.yyyy is not a number anyone dials.
    if (/^(\d)\1+$/.test(digits.slice(1))) return false;
    return !/^\d{2}\.\d{2}\.\d{4}$/.test(c);
  }
  if (digits.length === 11 && digits.startsWith('1')) return nanpOk(digits.slice(1));
  return digits.length === 10 && nanpOk(digits);
}

function boundaryOk(text: string, start: number, end: number): boolean {
  if (isWordAt(text, start - 1) || isOneOfAt(text, start - 1, '+-./#')) return false;
  if (isWordAt(text, end) || (isOneOfAt(text, end, '-./:') && isDigitAt(text, end + 1))) return false;
  // One group of a longer digit sequence ("5204 0498 9462 5447") is not a number of its own.
  if (text[start] !== '+' && isOneOfAt(text, start - 1, ' ') && isDigitAt(text, start - 2)) return false;
  if (isOneOfAt(text, end, ' ') && isDigitAt(text, end + 1)) return false;
  return true;
}

function findWith(text: string, pattern: RegExp): Span[] {
  return scan(text, pattern, (start, end) => {
    let e = end;
    // Groups may run into a trailing separator; never end on one.
    while (e > start && !isDigitAt(text, e - 1)) e--;
    if (!boundaryOk(text, start, e) || !validate(text.slice(start, e))) return false;
    const ext = EXTENSION.exec(text.slice(e, e + 12));
    return ext && !isWordAt(text, e + ext[0].length) ? [start, e + ext[0].length] : [start, e];
  });
}

/**
 * Phone numbers: E.164 / international (`+44 20 7946 0958`), North American
 * (`(415) 555-0132`), and trunk-prefixed national numbers as written in the
 * UK, Germany and France. Country codes, NANP area/exchange rules, digit
 * counts and consistent separators reject versions, dates and order ids.
 * Bare 10-digit runs without separators or `+` are not taken (Unix times).
 */
export const phoneDetector: Detector = Object.freeze({
  name: 'phone',
  kind: 'phone' as const,
  validate,
  find(text: string): Span[] {
    return longestNonOverlapping([...findWith(text, INTERNATIONAL), ...findWith(text, NANP), ...findWith(text, TRUNK)]);
  },
});

import { isDigitAt, isOneOfAt, isWordAt, scan, type Detector, type Span } from './detector.js';

const CANDIDATE = /\d{3}([- ])\d{2}\1\d{4}/g;
const ANCHORED = /^(\d{3})([- ])(\d{2})\2(\d{4})$/;

function validate(candidate: string): boolean {
  const m = ANCHORED.exec(candidate);
  if (!m) return false;
  const area = Number(m[1]);
  const group = Number(m[3]);
  const serial = Number(m[4]);
  return area !== 0 && area !== 666 && area < 900 && group !== 0 && serial !== 0;
}

/**
 * US Social Security numbers written `AAA-GG-SSSS` (or with spaces). Areas 000,
 * 666 and 900–999, group 00 and serial 0000 are never issued.
 */
export const ssnDetector: Detector = Object.freeze({
  name: 'ssn',
  kind: 'ssn' as const,
  validate,
  find(text: string): Span[] {
    return scan(text, CANDIDATE, (start, end) => {
      if (isWordAt(text, start - 1) || isOneOfAt(text, start - 1, '-./+')) return false;
      if (isWordAt(text, end) || (isOneOfAt(text, end, '-./') && isDigitAt(text, end + 1))) return false;
      return validate(text.slice(start, end)) ? [start, end] : false;
    });
  },
});

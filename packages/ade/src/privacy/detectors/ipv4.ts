import { parseIPv4 } from '../ip.js';
import { isDigitAt, isOneOfAt, isWordAt, scan, type Detector, type Span } from './detector.js';

const CANDIDATE = /\d{1,3}(?:\.\d{1,3}){3}/g;
/** Words that make a dotted quad a version or build number, not an address. */
const VERSION_CONTEXT = /(?:\bv|\bver\.?|\bversion|\brelease|\bbuild|\brev\.?|\bfirmware|\bfw|\bupdate|\bpatch)\s*[:=#]?\s*$/i;

function validate(candidate: string): boolean {
  return parseIPv4(candidate) !== undefined;
}

/**
 * IPv4 dotted quads: four octets ≤ 255 without leading zeros, not part of a
 * longer dotted number and not after a version word ("v1.2.3.4", "build 10.0.1.2").
 */
export const ipv4Detector: Detector = Object.freeze({
  name: 'ipv4',
  kind: 'ipv4' as const,
  validate,
  find(text: string): Span[] {
    return scan(text, CANDIDATE, (start, end) => {
      if (isWordAt(text, start - 1) || (isOneOfAt(text, start - 1, '.-') && isDigitAt(text, start - 2))) return false;
      if (isWordAt(text, end) || (isOneOfAt(text, end, '.-') && isDigitAt(text, end + 1))) return false;
      if (VERSION_CONTEXT.test(text.slice(Math.max(0, start - 16), start))) return false;
      return validate(text.slice(start, end)) ? [start, end] : false;
    });
  },
});

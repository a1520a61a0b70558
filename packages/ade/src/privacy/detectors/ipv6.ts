import { parseIPv6 } from '../ip.js';
import { isOneOfAt, isWordAt, scan, wordBefore, type Detector, type Span } from './detector.js';

const CANDIDATE = /(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?![0-9A-Fa-f]|\.\d)/g;

function validate(candidate: string): boolean {
  if (candidate === '::' || !/[0-9A-Fa-f]/.test(candidate)) return false;
  const groups = parseIPv6(candidate);
  if (!groups) return false;
  // Clock times and ratios ("12:30::") are all-decimal and short; real addresses are not.
  if (!candidate.includes('::') || /[A-Fa-f]/.test(candidate)) return true;
  return candidate.split(':').filter((g) => g !== '').length >= 3 || groups.some((g) => g > 0x9999);
}

/** IPv6 addresses: full, `::`-compressed or with an IPv4 tail, parsed to eight groups. */
export const ipv6Detector: Detector = Object.freeze({
  name: 'ipv6',
  kind: 'ipv6' as const,
  validate,
  find(text: string): Span[] {
    return scan(text, CANDIDATE, (start, end) => {
      if (isWordAt(text, start - 1) || isOneOfAt(text, start - 1, '.')) return false;
      // A colon before is a label separator ("ip:2001:db8::1") unless it ends another hex group.
      if (text[start - 1] === ':') {
        const label = wordBefore(text, start - 1);
        if (/^[0-9A-Fa-f]{1,4}$/.test(label)) return false;
      }
      if (text[start] === ':' && text[start + 1] !== ':') return false;
      if (isWordAt(text, end) || (text[end] === ':' && /[0-9A-Fa-f]/.test(text[end + 1] ?? ''))) return false;
      let e = end;
      // A single trailing colon is prose punctuation ("at 2001:db8::1: refused").
      if (text[e - 1] === ':' && text[e - 2] !== ':') e--;
      return validate(text.slice(start, e)) ? [start, e] : false;
    });
  },
});

import { isOneOfAt, isWordAt, scan, type Detector, type Span } from './detector.js';

const LOCAL_CHARS = "._%+'-";
const CANDIDATE = /[A-Za-z0-9._%+'-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}/g;
const ANCHORED = /^[A-Za-z0-9._%+'-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
/** Asset names such as `logo@2x.png` look like addresses. */
const FILE_TLDS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'css', 'js', 'ts', 'json', 'html', 'pdf', 'txt']);

function validate(candidate: string): boolean {
  if (candidate.length > 254 || !ANCHORED.test(candidate)) return false;
  const at = candidate.lastIndexOf('@');
  const local = candidate.slice(0, at);
  const domain = candidate.slice(at + 1).toLowerCase();
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return false;
  const tld = domain.slice(domain.lastIndexOf('.') + 1);
  return !FILE_TLDS.has(tld);
}

/** Email addresses: RFC 5322 dot-atom local part, a domain with an alphabetic TLD. */
export const emailDetector: Detector = Object.freeze({
  name: 'email',
  kind: 'email' as const,
  validate,
  find(text: string): Span[] {
    return scan(text, CANDIDATE, (start, end) => {
      // A match that starts inside a longer run of address characters is a fragment ("a..b@x.com").
      if (isOneOfAt(text, start - 1, LOCAL_CHARS) || isWordAt(text, start - 1)) return false;
      let s = start;
      // Quotes and dots around an address in prose are not part of it.
      while (s < end && isOneOfAt(text, s, ".'")) s++;
      if (isOneOfAt(text, end, '@') || isOneOfAt(text, end, '-')) return false;
      return validate(text.slice(s, end)) ? [s, end] : false;
    });
  },
});

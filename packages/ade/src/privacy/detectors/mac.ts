import { isOneOfAt, isWordAt, scan, wordBefore, type Detector, type Span } from './detector.js';

const CANDIDATE = /[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}/g;
const ANCHORED = /^(?:[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})$/;

function validate(candidate: string): boolean {
  if (!ANCHORED.test(candidate)) return false;
  const hex = candidate.replace(/[:.-]/g, '').toLowerCase();
  // All-zero and broadcast addresses identify no device.
  if (hex === '000000000000' || hex === 'ffffffffffff') return false;
  // Six decimal pairs separated by dashes are dates and times (2024-03-07-12-30-00 style), not MACs.
  if (/^\d+$/.test(hex) && candidate.includes('-')) return false;
  return true;
}

/** MAC addresses: six hex pairs joined by `:` or `-`, or Cisco `xxxx.xxxx.xxxx`. */
export const macDetector: Detector = Object.freeze({
  name: 'mac',
  kind: 'mac' as const,
  validate,
  find(text: string): Span[] {
    return scan(text, CANDIDATE, (start, end) => {
      if (isWordAt(text, start - 1) || isOneOfAt(text, start - 1, '-.')) return false;
      // A colon before is a label separator ("mac:00:1a:…") unless it ends another hex pair.
      if (text[start - 1] === ':' && /^[0-9A-Fa-f]{2}$/.test(wordBefore(text, start - 1))) return false;
      if (isWordAt(text, end) || (isOneOfAt(text, end, ':-.') && isWordAt(text, end + 1))) return false;
      return validate(text.slice(start, end)) ? [start, end] : false;
    });
  },
});

import { cardDetector } from './detectors/card.js';
import type { Detection, Detector } from './detectors/detector.js';
import { emailDetector } from './detectors/email.js';
import { ibanDetector } from './detectors/iban.js';
import { ipv4Detector } from './detectors/ipv4.js';
import { ipv6Detector } from './detectors/ipv6.js';
import { macDetector } from './detectors/mac.js';
import { phoneDetector } from './detectors/phone.js';
import { ssnDetector } from './detectors/ssn.js';

/**
 * Every detector, most specific first: checksummed identifiers (IBAN, card)
 * before structured ones (SSN, email, addresses) before phone numbers, which
 * have the loosest shape. The order breaks ties between equally long overlaps.
 */
export const DETECTORS: readonly Detector[] = Object.freeze([
  ibanDetector,
  cardDetector,
  ssnDetector,
  emailDetector,
  ipv6Detector,
  macDetector,
  ipv4Detector,
  phoneDetector,
]);

/**
 * What a text must contain for a built-in detector to find anything in it: a
 * cheap test that skips the detector's full scan on most text. Each is a
 * superset of what the detector matches (an email has an `@`, an IPv6
 * address a `:`, a MAC address a pair of hex digits next to a separator).
 */
const PRECHECK: Readonly<Record<string, RegExp | 'digit'>> = {
  email: /@/,
  ipv6: /:/,
  mac: /[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}/,
  iban: 'digit',
  card: 'digit',
  ssn: 'digit',
  ipv4: 'digit',
  phone: 'digit',
};

/**
 * Runs `detectors` over `text` and resolves overlaps: the longer span wins,
 * and between equally long spans the detector listed first. Result ordered by start.
 */
export function detectAll(text: string, detectors: readonly Detector[] = DETECTORS): Detection[] {
  const all: (Detection & { rank: number })[] = [];
  const digits = /\d/.test(text);
  detectors.forEach((d, rank) => {
    const need = PRECHECK[d.name];
    if (need === 'digit' ? !digits : need !== undefined && !need.test(text)) return;
    for (const s of d.find(text)) all.push({ ...s, detector: d.name, kind: d.kind, rank });
  });
  all.sort((a, b) => b.end - b.start - (a.end - a.start) || a.rank - b.rank || a.start - b.start);
  const kept: Detection[] = [];
  for (const c of all) {
    if (kept.some((k) => c.start < k.end && k.start < c.end)) continue;
    kept.push({ start: c.start, end: c.end, value: c.value, detector: c.detector, kind: c.kind });
  }
  return kept.sort((a, b) => a.start - b.start);
}

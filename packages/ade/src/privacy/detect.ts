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
 * Runs `detectors` over `text` and resolves overlaps: the longer span wins,
 * and between equally long spans the detector listed first. Result ordered by start.
 */
export function detectAll(text: string, detectors: readonly Detector[] = DETECTORS): Detection[] {
  const all: (Detection & { rank: number })[] = [];
  detectors.forEach((d, rank) => {
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

export { PrivacyError } from './errors.js';
export { KNOWN_DEFAULT_KEYS, MIN_KEY_BYTES, isKnownDefaultKey, validateKeyring, type Keyring } from './keyring.js';
export { PII_KINDS, isPiiKind, normalizeFor, type PiiKind } from './normalize.js';
export { TOKEN_CHARS, TOKEN_PATTERN, TOKEN_PREFIX, Tokenizer, hmacPads, isToken, tokenize, type TokenizerOptions } from './tokenize.js';
export { mask, type MaskOptions } from './mask.js';
export {
  generalizeAge,
  generalizeCoordinate,
  generalizeIp,
  generalizeLatLong,
  generalizeTimestamp,
  generalizeZip,
  type AgeBandOptions,
  type IpGeneralizeOptions,
  type TimeGrain,
} from './generalize.js';
export { formatIPv6, parseIPv4, parseIPv6 } from './ip.js';
export { luhnValid, type Detection, type Detector, type Span } from './detectors/detector.js';
export { emailDetector } from './detectors/email.js';
export { phoneDetector } from './detectors/phone.js';
export { cardDetector, knownIssuer } from './detectors/card.js';
export { IBAN_LENGTHS, ibanDetector, ibanMod97 } from './detectors/iban.js';
export { ssnDetector } from './detectors/ssn.js';
export { ipv4Detector } from './detectors/ipv4.js';
export { ipv6Detector } from './detectors/ipv6.js';
export { macDetector } from './detectors/mac.js';
export { DETECTORS, detectAll } from './detect.js';
export { classifyFieldName, fieldWords, type FieldNameCategory } from './field-names.js';
export { CANDIDATE_SPAN_SOURCE, placeholderLabel, redact, redactBySpans, spanMayHoldPii, spanMayHoldPiiSql, type RedactResult } from './redact.js';

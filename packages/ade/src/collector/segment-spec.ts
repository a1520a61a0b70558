import { ValidationError, uuidv7 } from '../kernel/index.js';

/** The Segment calls the collector accepts (https://segment.com/docs/connections/spec/). */
export const SEGMENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

/** Largest event, as Segment's HTTP API allows. */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Largest request. */
export const MAX_REQUEST_BYTES = 500 * 1024;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A validated event and its JSON, serialized once: for the size check and again as what the collector stores. */
export interface SerializedEvent {
  readonly event: Readonly<Obj>;
  /** `JSON.stringify(event)`, at most {@link MAX_EVENT_BYTES} bytes as UTF-8. */
  readonly json: string;
}

/** Whether `json` is over {@link MAX_EVENT_BYTES} as UTF-8 (counted only when its length leaves doubt: a UTF-16 unit is 1–3 bytes). */
const tooLarge = (json: string) => json.length > MAX_EVENT_BYTES || (json.length * 3 > MAX_EVENT_BYTES && Buffer.byteLength(json) > MAX_EVENT_BYTES);

/** Fields that must be objects when present. */
const OBJECT_FIELDS = ['properties', 'traits', 'context', 'integrations'] as const;

/** A time as `Date#toISOString` writes it, safe to keep as it is (days past the 28th and hour 24 may roll over: those are reformatted). */
const CANONICAL_TIME = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** `v` as `Date#toISOString` writes it; undefined when it is not an ISO 8601 time. */
function isoTime(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (CANONICAL_TIME.test(v)) return v;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/**
 * Checks one Segment call and completes it the way Segment's API does:
 * `type` set, a `messageId` (generated when missing — then retries cannot be
 * recognised), `timestamp` defaulting to when it was received, and
 * `receivedAt`. Throws a ValidationError naming the event (`at`) and field.
 * `raw` (the parsed request body, used once) is completed in place, not
 * copied: the same keys in the same order as a copy would have.
 */
export function normalizeSegmentEvent(type: SegmentType, raw: unknown, receivedAt: Date, at = 'body'): SerializedEvent {
  return normalizeEvent(type, raw, receivedAt.toISOString(), at);
}

/** normalizeSegmentEvent with the time of receipt already formatted (once per batch: this runs for every event). */
function normalizeEvent(type: SegmentType, raw: unknown, receivedAt: string, at: string): SerializedEvent {
  const fail = (field: string, message: string): never => {
    throw new ValidationError(`${at}${field ? `.${field}` : ''}: ${message}`, { code: 'validation.event', details: { at, field }, hint: 'see the Segment spec for the fields of each call' });
  };
  if (!isObj(raw)) return fail('', 'must be a JSON object') as never;
  const e = raw;
  const str = (k: string, required: boolean, max = 1024) => {
    const v = e[k];
    if (v === undefined || v === null) return required ? fail(k, 'is required') : undefined;
    if (typeof v !== 'string' && typeof v !== 'number') return fail(k, 'must be a string');
    if (String(v).length > max) return fail(k, `is longer than ${max} characters`);
    return String(v);
  };
  const obj = (k: string) => {
    const v = e[k];
    if (v !== undefined && v !== null && !isObj(v)) fail(k, 'must be an object');
  };
  for (const k of OBJECT_FIELDS) obj(k);
  const userId = str('userId', false);
  const anonymousId = str('anonymousId', false);
  if (type !== 'alias' && userId === undefined && anonymousId === undefined) fail('userId', 'userId or anonymousId is required');
  if (type === 'track') str('event', true, 200);
  if (type === 'group') str('groupId', true);
  if (type === 'alias') {
    str('previousId', true);
    str('userId', true);
  }
  const timestamp = e.timestamp === undefined ? receivedAt : (isoTime(e.timestamp) ?? fail('timestamp', 'must be an ISO 8601 time'));
  const messageId = str('messageId', false, 200) ?? uuidv7();
  e.type = type;
  e.messageId = messageId;
  e.timestamp = timestamp;
  e.receivedAt = receivedAt;
  if (e.writeKey !== undefined) delete e.writeKey;
  const json = JSON.stringify(e);
  if (tooLarge(json)) fail('', `is larger than ${MAX_EVENT_BYTES / 1024} KiB`);
  return { event: e, json };
}

/** A `/v1/batch` body: `{ batch: [ {type, …}, … ] }`. */
export function normalizeSegmentBatch(raw: unknown, receivedAt: Date): SerializedEvent[] {
  if (!isObj(raw) || !Array.isArray(raw.batch)) throw new ValidationError('the body must be { "batch": [ … ] }', { code: 'validation.event' });
  const received = receivedAt.toISOString();
  return raw.batch.map((e, i) => {
    const type = isObj(e) ? e.type : undefined;
    if (typeof type !== 'string' || !(SEGMENT_TYPES as readonly string[]).includes(type)) {
      throw new ValidationError(`batch[${i}].type: must be one of ${SEGMENT_TYPES.join(', ')}`, { code: 'validation.event', details: { at: `batch[${i}]`, field: 'type' } });
    }
    return normalizeEvent(type as SegmentType, e, received, `batch[${i}]`);
  });
}

/** Arbitrary events for `/v1/events/<stream>`: a JSON array of objects or NDJSON, each at most 32 KiB (with `receivedAt` added, in place). */
export function parseEventList(raw: unknown, receivedAt: Date): SerializedEvent[] {
  const received = receivedAt.toISOString();
  const list = typeof raw === 'string' ? raw.split('\n').filter((l) => l.trim() !== '').map((l, i) => parseLine(l, i)) : raw;
  if (!Array.isArray(list)) throw new ValidationError('the body must be a JSON array of events, or NDJSON', { code: 'validation.event' });
  return list.map((e, i) => {
    if (!isObj(e)) throw new ValidationError(`event ${i + 1}: must be a JSON object`, { code: 'validation.event', details: { line: i + 1 } });
    e.receivedAt = received;
    const json = JSON.stringify(e);
    if (tooLarge(json)) throw new ValidationError(`event ${i + 1}: larger than ${MAX_EVENT_BYTES / 1024} KiB`, { code: 'validation.event', details: { line: i + 1 } });
    return { event: e, json };
  });
}

function parseLine(line: string, i: number): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (e) {
    throw new ValidationError(`line ${i + 1}: not valid JSON (${(e as Error).message})`, { code: 'validation.event', details: { line: i + 1 } });
  }
}

import { changeRecord, describeValue, digits, invalid, isObj, isoFromMs, keyValues, type ChangeOp, type ChangeRecord, type Obj } from './change-events-shared.js';

const EVENT_OPS: Readonly<Record<string, ChangeOp>> = { INSERT: 'c', MODIFY: 'u', REMOVE: 'd' };
const ATTRIBUTE_TYPES = ['S', 'N', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS', 'B'] as const;

/** A DynamoDB Streams record (as Lambda and GetRecords deliver it). */
export function isDynamoDbChange(record: Obj): boolean {
  return isObj(record.dynamodb) && typeof record.eventName === 'string';
}

/**
 * One DynamoDB Streams record as a change row: INSERT → c, MODIFY → u,
 * REMOVE → d. The row is the unmarshalled `NewImage` (the stream's view type
 * must be NEW_IMAGE or NEW_AND_OLD_IMAGES), for a REMOVE the `OldImage` or at
 * least the `Keys`. The key is the configured columns, else the attribute
 * names of `Keys`; the position is `SequenceNumber` (40 digits), which grows
 * per item within a stream.
 */
export function parseDynamoDbChange(record: Obj, at: string, key: readonly string[] | undefined): ChangeRecord {
  const op = EVENT_OPS[record.eventName as string];
  if (!op) return invalid(`${at}.eventName`, `expected one of ${Object.keys(EVENT_OPS).join(', ')}, got ${describeValue(record.eventName)}`);
  const d = record.dynamodb as Obj;
  const here = `${at}.dynamodb`;
  if (!isObj(d.Keys) || Object.keys(d.Keys).length === 0) return invalid(`${here}.Keys`, d.Keys === undefined ? 'is required' : 'expected a map of key attributes');
  const keys = unmarshalItem(d.Keys, `${here}.Keys`);
  const imageField = op === 'd' ? 'OldImage' : 'NewImage';
  const image = d[imageField];
  if (image !== undefined && image !== null && !isObj(image)) return invalid(`${here}.${imageField}`, `expected a map of attributes, got ${describeValue(image)}`);
  if (!isObj(image) && op !== 'd') return invalid(`${here}.NewImage`, 'is required: set the stream view type to NEW_AND_OLD_IMAGES (or NEW_IMAGE)');
  const row = { ...(isObj(image) ? unmarshalItem(image, `${here}.${imageField}`) : {}), ...keys };
  const keyColumns = key && key.length > 0 ? key : Object.keys(keys).sort();
  return changeRecord({
    op,
    format: 'dynamodb',
    position: digits(d.SequenceNumber, `${here}.SequenceNumber`, 40),
    ts: creationTime(d.ApproximateCreationDateTime, `${here}.ApproximateCreationDateTime`),
    source: tableName(record),
    key: keyValues(row, keyColumns, `${here}.${isObj(image) ? imageField : 'Keys'}`),
    row,
    at: `${here}.${imageField}`,
  });
}

/** The table, from `eventSourceARN` (`…:table/<name>/stream/…`) or `tableName`; null when the record has neither. */
function tableName(record: Obj): string | null {
  const arn = typeof record.eventSourceARN === 'string' ? /:table\/([^/]+)/.exec(record.eventSourceARN)?.[1] : undefined;
  return arn ?? (typeof record.tableName === 'string' && record.tableName !== '' ? record.tableName : null);
}

/** `ApproximateCreationDateTime`: epoch seconds (Lambda, GetRecords) or an ISO time (some SDKs). */
function creationTime(value: unknown, at: string): string {
  if (typeof value === 'number') return isoFromMs(Math.round(value * 1000), at);
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return invalid(at, value === undefined ? 'is required' : `expected epoch seconds, got ${describeValue(value)}`);
}

/** An item (a map of attribute name to typed value) as plain JSON. */
export function unmarshalItem(item: Obj, at: string): Obj {
  const out: Obj = {};
  // defineProperty: an attribute may be called __proto__
  for (const [k, v] of Object.entries(item)) Object.defineProperty(out, k, { value: unmarshalAttribute(v, `${at}.${k}`), enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * A DynamoDB typed attribute value as plain JSON: S → string, N → number
 * (a string when it is an integer beyond 2^53, so nothing is rounded), BOOL,
 * NULL → null, M → object, L → array, SS/NS/BS → arrays, B/BS stay base64.
 *
 * @example unmarshalAttribute({ M: { n: { N: '42' }, tags: { SS: ['a'] } } }, 'x') // → { n: 42, tags: ['a'] }
 */
export function unmarshalAttribute(value: unknown, at: string): unknown {
  if (!isObj(value)) return invalid(at, `expected a typed attribute value such as {"S": "text"}, got ${describeValue(value, false)}`);
  const types = Object.keys(value);
  if (types.length !== 1) return invalid(at, `expected exactly one type (${ATTRIBUTE_TYPES.join(', ')}), got ${types.length === 0 ? 'none' : types.map((t) => JSON.stringify(t.slice(0, 8))).join(', ')}`);
  const type = types[0]!;
  const v = value[type];
  const here = `${at}.${type}`;
  const list = (): unknown[] => (Array.isArray(v) ? v : invalid(here, `expected an array, got ${describeValue(v, false)}`));
  const str = (x: unknown, where: string): string => (typeof x === 'string' ? x : invalid(where, `expected a string, got ${describeValue(x, false)}`));
  switch (type) {
    case 'S':
    case 'B':
      return str(v, here);
    case 'N':
      return dynamoNumber(v, here);
    case 'BOOL':
      return typeof v === 'boolean' ? v : invalid(here, `expected true or false, got ${describeValue(v, false)}`);
    case 'NULL':
      return v === true ? null : invalid(here, `expected true, got ${describeValue(v, false)}`);
    case 'M':
      return isObj(v) ? unmarshalItem(v, here) : invalid(here, `expected a map, got ${describeValue(v, false)}`);
    case 'L':
      return list().map((x, i) => unmarshalAttribute(x, `${here}[${i}]`));
    case 'SS':
    case 'BS':
      return list().map((x, i) => str(x, `${here}[${i}]`));
    case 'NS':
      return list().map((x, i) => dynamoNumber(x, `${here}[${i}]`));
    default:
      return invalid(at, `unknown attribute type ${describeValue(type)}; expected one of ${ATTRIBUTE_TYPES.join(', ')}`);
  }
}

/** DynamoDB numbers travel as strings of up to 38 digits. */
function dynamoNumber(value: unknown, at: string): number | string {
  if (typeof value !== 'string' || !/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) return invalid(at, `expected a number as a string, got ${describeValue(value, false)}`);
  const n = Number(value);
  return /^-?\d+$/.test(value) && !Number.isSafeInteger(n) ? value : n;
}

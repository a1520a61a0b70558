import { isDebeziumChange, parseDebeziumChange } from './change-events-debezium.js';
import { isDynamoDbChange, parseDynamoDbChange } from './change-events-dynamodb.js';
import { isSalesforceChange, parseSalesforceChanges } from './change-events-salesforce.js';
import { invalid, isObj, type ChangeFormat, type ChangeOptions, type ChangeRecord, type Obj, type ResyncNotice } from './change-events-shared.js';

export { CHANGE_COLUMNS, CHANGE_OPS, type ChangeFormat, type ChangeOp, type ChangeOptions, type ChangeRecord, type ResyncNotice } from './change-events-shared.js';
export { unmarshalAttribute, unmarshalItem } from './change-events-dynamodb.js';

/** What a body of change events holds. */
export interface ParsedChanges {
  /** Change rows in the internal format, in body order. */
  readonly changes: readonly ChangeRecord[];
  /** Events that cannot be applied and call for a re-sync (Salesforce gap and overflow events, Debezium truncates). */
  readonly resync: readonly ResyncNotice[];
  /** Debezium tombstones (`null` values that follow a delete for Kafka's log compaction): nothing to apply. */
  readonly tombstones: number;
}

/** Which format a change event is in; undefined when it is none of them. */
export function detectChangeFormat(record: unknown): ChangeFormat | undefined {
  if (!isObj(record)) return undefined;
  if (isSalesforceChange(record)) return 'salesforce';
  if (isDynamoDbChange(record)) return 'dynamodb';
  if (isDebeziumChange(record)) return 'debezium';
  return undefined;
}

/**
 * Reads a body of change events — a JSON array, one event, a Lambda-style
 * `{Records: […]}`, or NDJSON text — into change rows in one internal format
 * (`cdc_op`, `cdc_position`, `cdc_ts`, `cdc_format`, `cdc_source`, `cdc_id`,
 * then the row's columns). Each event may be a Debezium envelope, a DynamoDB
 * Streams record or a Salesforce change event. Pure: the same body gives the
 * same rows, ids included, so a replay lands nothing new.
 *
 * Throws a ValidationError naming the event and field of the first malformed
 * one (`records[3].payload.op: expected one of c, u, d, r`); events are
 * counted from 0 across the body.
 *
 * @example
 * parseChangeEvents('{"payload":{"op":"d","before":{"id":7},"source":{"connector":"postgresql","lsn":42,"ts_ms":1700000000000,"schema":"public","table":"customers"}}}\n', { key: ['id'] })
 */
export function parseChangeEvents(body: unknown, options: ChangeOptions = {}): ParsedChanges {
  const changes: ChangeRecord[] = [];
  const resync: ResyncNotice[] = [];
  let tombstones = 0;
  changeList(body).forEach((record, i) => {
    const at = `records[${i}]`;
    if (record === null || (isObj(record) && record.payload === null && 'schema' in record)) {
      tombstones++;
      return;
    }
    if (!isObj(record)) return invalid(at, 'expected a change event (a JSON object)');
    const parsed = parseOne(record, at, options);
    if (Array.isArray(parsed)) changes.push(...parsed);
    else if ('cdc_id' in parsed) changes.push(parsed as ChangeRecord);
    else resync.push(parsed as ResyncNotice);
  });
  return { changes, resync, tombstones };
}

function parseOne(record: Obj, at: string, options: ChangeOptions): ChangeRecord | ChangeRecord[] | ResyncNotice {
  switch (detectChangeFormat(record)) {
    case 'salesforce':
      return parseSalesforceChanges(record, at, options.key);
    case 'dynamodb':
      return parseDynamoDbChange(record, at, options.key);
    case 'debezium':
      return parseDebeziumChange(record, at, options.key);
    default:
      return invalid(
        at,
        'not a change event',
        'send Debezium envelopes (op, before, after, source), DynamoDB Streams records (eventName, dynamodb) or Salesforce change events (ChangeEventHeader)',
      );
  }
}

/** The events of one JSON value: an array's elements, a Lambda event's `Records`, or the value itself. */
function expand(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isObj(value) && Array.isArray(value.Records)) return value.Records;
  return [value];
}

/** The events of a body: JSON (see expand) or NDJSON text, each line of which is expanded the same way. */
function changeList(body: unknown): unknown[] {
  if (typeof body === 'string') {
    return body.split('\n').flatMap((line, i) => {
      if (line.trim() === '') return [];
      try {
        return expand(JSON.parse(line));
      } catch {
        return invalid(`line ${i + 1}`, 'not valid JSON');
      }
    });
  }
  if (isObj(body) || Array.isArray(body) || body === null) return expand(body);
  return invalid('body', 'expected change events: a JSON array, a JSON object, {"Records": […]} or NDJSON');
}

import { changeRecord, describeValue, digits, invalid, isObj, isoFromMs, requiredString, type ChangeOp, type ChangeRecord, type Obj, type ResyncNotice } from './change-events-shared.js';

const CHANGE_TYPES: Readonly<Record<string, ChangeOp>> = { CREATE: 'c', UPDATE: 'u', DELETE: 'd', UNDELETE: 'c' };

/** The payload of a Salesforce change event, bare or as CometD / the Pub/Sub API deliver it (`{payload, event}`, `{data: {payload, event}}`). */
function salesforcePayload(record: Obj): { payload: Obj; at: string } | undefined {
  if (isObj(record.ChangeEventHeader)) return { payload: record, at: '' };
  if (isObj(record.payload) && isObj(record.payload.ChangeEventHeader)) return { payload: record.payload, at: '.payload' };
  if (isObj(record.data) && isObj(record.data.payload) && isObj(record.data.payload.ChangeEventHeader)) return { payload: record.data.payload, at: '.data.payload' };
  return undefined;
}

export function isSalesforceChange(record: Obj): boolean {
  return salesforcePayload(record) !== undefined;
}

/**
 * One Salesforce change event as change rows, one per record id (Salesforce
 * merges the same change to several records into one event). CREATE and
 * UNDELETE → c, UPDATE → u, DELETE → d. The row is the event's fields with
 * `nulledFields` set to null and the record id in the key column (`Id`, or
 * the one configured); an UPDATE carries only the fields that changed. The
 * position is `commitNumber` then `sequenceNumber` (the change's place in
 * its transaction).
 *
 * Gap events (`GAP_CREATE`, …), overflow events (`GAP_OVERFLOW`) and record
 * ids with a wildcard (`001*`, a field type conversion) say a change happened
 * without saying what it was: they come back as a ResyncNotice.
 */
export function parseSalesforceChanges(record: Obj, at: string, key: readonly string[] | undefined): ChangeRecord[] | ResyncNotice {
  const found = salesforcePayload(record)!;
  const here = `${at}${found.at}`;
  const { ChangeEventHeader: header, ...fields } = found.payload as Obj & { ChangeEventHeader: Obj };
  const h = `${here}.ChangeEventHeader`;
  const entity = requiredString(header, 'entityName', h);
  const changeType = requiredString(header, 'changeType', h);
  const ids = header.recordIds;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || id === '')) return invalid(`${h}.recordIds`, `expected an array of record ids, got ${describeValue(ids)}`);
  const recordIds = ids as string[];
  if (changeType.startsWith('GAP_') || changeType === 'OVERFLOW') {
    const what = changeType === 'GAP_OVERFLOW' || changeType === 'OVERFLOW' ? 'an overflow event (a transaction of more than 100,000 changes)' : `a gap event (${changeType}): Salesforce could not send the change`;
    const which = changeType.endsWith('OVERFLOW') ? `the ${entity} records the transaction changed` : `${entity} ${recordIds.join(', ')}`;
    return { at, format: 'salesforce', source: entity, kind: changeType, ids: recordIds, message: `${at}: ${what}; re-sync ${which} from Salesforce` };
  }
  if (recordIds.some((id) => id.includes('*'))) {
    return { at, format: 'salesforce', source: entity, kind: changeType, ids: recordIds, message: `${at}: a change to every ${entity} record (a field type conversion, record ids ${recordIds.join(', ')}); re-sync ${entity} from Salesforce` };
  }
  const op = CHANGE_TYPES[changeType];
  if (!op) return invalid(`${h}.changeType`, `expected one of ${Object.keys(CHANGE_TYPES).join(', ')} (or a GAP_ event), got ${describeValue(changeType)}`);
  if (recordIds.length === 0) return invalid(`${h}.recordIds`, 'is empty');
  if (key && key.length > 1) return invalid(h, `Salesforce records have one id, but the stream's cdc.key lists ${key.length} columns`, 'set cdc: { key: [Id] } (or leave key out) for a Salesforce stream');
  const keyColumn = key?.[0] ?? 'Id';
  const position = `${digits(header.commitNumber, `${h}.commitNumber`, 20)}-${digits(header.sequenceNumber, `${h}.sequenceNumber`, 10)}`;
  const ts = isoFromMs(header.commitTimestamp, `${h}.commitTimestamp`);
  const row: Obj = { ...fields };
  const nulled = header.nulledFields;
  if (nulled !== undefined && nulled !== null && !Array.isArray(nulled)) return invalid(`${h}.nulledFields`, `expected an array of field names, got ${describeValue(nulled)}`);
  // Top-level names only: a compound field's part (`Name.FirstName`) stays as the event gives it.
  for (const f of nulled ?? []) if (typeof f === 'string' && !f.includes('.')) Object.defineProperty(row, f, { value: null, enumerable: true, writable: true, configurable: true });
  return recordIds.map((id) =>
    changeRecord({ op, format: 'salesforce', position, ts, source: entity, key: [id], row: { ...row, [keyColumn]: id }, at: here }),
  );
}

import {
  CHANGE_OPS,
  changeRecord,
  describeValue,
  digits,
  invalid,
  isObj,
  isoFromMs,
  keyValues,
  type ChangeOp,
  type ChangeRecord,
  type Obj,
  type ResyncNotice,
} from './change-events-shared.js';

/** A Debezium change event value, with or without the JSON converter's `{schema, payload}` wrapping. */
export function isDebeziumChange(record: Obj): boolean {
  const envelope = isObj(record.payload) && 'op' in record.payload ? record.payload : record;
  return 'op' in envelope && ('source' in envelope || 'after' in envelope || 'before' in envelope);
}

/**
 * One Debezium change event as a change row. `op` c, u, r take the `after`
 * image, d the `before` image (which must hold the key: REPLICA IDENTITY
 * DEFAULT or FULL in PostgreSQL). The key columns come from the stream's
 * config: Debezium sends the key as the Kafka record's key, not in the value.
 * A truncate (`op: t`) cannot be applied by key and asks for a re-sync.
 *
 * @example
 * parseDebeziumChange({ op: 'c', after: { id: 1, email: 'a@x.io' }, source: { connector: 'postgresql', lsn: 24023128, ts_ms: 1559033904863, schema: 'public', table: 'customers' } }, 'records[0]', ['id'])
 * // → { cdc_op: 'c', cdc_position: '00000000000024023128', cdc_ts: '2019-05-28T08:58:24.863Z', cdc_source: 'public.customers', …, id: 1, email: 'a@x.io' }
 */
export function parseDebeziumChange(record: Obj, at: string, key: readonly string[] | undefined): ChangeRecord | ResyncNotice {
  const wrapped = isObj(record.payload) && 'op' in record.payload;
  const envelope = wrapped ? (record.payload as Obj) : record;
  const here = wrapped ? `${at}.payload` : at;
  if (!isObj(envelope.source)) return invalid(`${here}.source`, envelope.source === undefined ? 'is required' : `expected an object, got ${describeValue(envelope.source)}`);
  const source = envelope.source;
  const table = typeof source.table === 'string' && source.table !== '' ? source.table : invalid(`${here}.source.table`, 'is required');
  const namespace = typeof source.schema === 'string' && source.schema !== '' ? source.schema : typeof source.db === 'string' && source.db !== '' ? source.db : undefined;
  const name = namespace ? `${namespace}.${table}` : table;
  if (envelope.op === 't') {
    return { at, format: 'debezium', source: name, kind: 'truncate', ids: [], message: `${at}: ${name} was truncated; a truncate cannot be applied key by key: re-sync the table (a new Debezium snapshot)` };
  }
  if (typeof envelope.op !== 'string' || !(CHANGE_OPS as readonly string[]).includes(envelope.op)) return invalid(`${here}.op`, `expected one of ${CHANGE_OPS.join(', ')}, got ${describeValue(envelope.op)}`);
  const op = envelope.op as ChangeOp;
  if (!key || key.length === 0) {
    return invalid(here, "Debezium changes need the stream's key columns", "Debezium sends the key outside the value: declare it in ade.yaml, e.g. cdc: { key: [id] } under the source");
  }
  const imageField = op === 'd' ? 'before' : 'after';
  const image = envelope[imageField];
  if (!isObj(image)) {
    return invalid(
      `${here}.${imageField}`,
      op === 'd' ? `a delete needs the before image with the key columns (${key.join(', ')}), got ${describeValue(image)}` : `op ${op} needs the after image, got ${describeValue(image)}`,
      op === 'd' ? 'in PostgreSQL, set REPLICA IDENTITY DEFAULT (with a primary key) or FULL on the table' : undefined,
    );
  }
  const tsMs = typeof source.ts_ms === 'number' ? source.ts_ms : envelope.ts_ms;
  return changeRecord({
    op,
    format: 'debezium',
    position: debeziumPosition(source, envelope, here),
    ts: isoFromMs(tsMs, `${here}.source.ts_ms`),
    source: name,
    key: keyValues(image, key, `${here}.${imageField}`),
    row: image,
    at: `${here}.${imageField}`,
  });
}

/**
 * Where a change sits in its connector's log, as text that sorts in log order:
 * - PostgreSQL: `source.lsn`
 * - MySQL, MariaDB: the binlog file's number, `pos`, `row`
 * - SQL Server: `commit_lsn`, `change_lsn`, `event_serial_no`
 * - Oracle: `scn`
 * - other connectors: `source.ts_ms`, then `transaction.total_order` and the event's `ts_ms` as tie-breakers
 */
function debeziumPosition(source: Obj, envelope: Obj, at: string): string {
  const connector = typeof source.connector === 'string' ? source.connector : undefined;
  const s = `${at}.source`;
  if (connector === 'postgresql' || (connector === undefined && source.lsn !== undefined && source.lsn !== null)) return digits(source.lsn, `${s}.lsn`, 20);
  if (connector === 'mysql' || connector === 'mariadb' || (connector === undefined && source.file !== undefined)) {
    const file = typeof source.file === 'string' ? /(\d+)$/.exec(source.file)?.[1] : undefined;
    if (file === undefined) return invalid(`${s}.file`, `expected a binlog file name such as mysql-bin.000003, got ${describeValue(source.file)}`);
    return [digits(file, `${s}.file`, 10), digits(source.pos, `${s}.pos`, 20), digits(source.row ?? 0, `${s}.row`, 10)].join('-');
  }
  if (connector === 'sqlserver') return [sqlServerLsn(source.commit_lsn, `${s}.commit_lsn`), sqlServerLsn(source.change_lsn, `${s}.change_lsn`), digits(source.event_serial_no ?? 0, `${s}.event_serial_no`, 10)].join('-');
  if (connector === 'oracle') return digits(source.scn, `${s}.scn`, 20);
  const transaction = isObj(envelope.transaction) ? envelope.transaction : {};
  return [
    digits(source.ts_ms, `${s}.ts_ms`, 20),
    digits(transaction.total_order ?? 0, `${at}.transaction.total_order`, 20),
    digits(envelope.ts_ms ?? 0, `${at}.ts_ms`, 20),
  ].join('-');
}

/** A SQL Server LSN (`00000027:00000758:0005`) as 20 lowercase hex digits; none (a snapshot's change_lsn) as zeros. */
function sqlServerLsn(value: unknown, at: string): string {
  if (value === null || value === undefined) return '0'.repeat(20);
  const m = typeof value === 'string' ? /^([0-9a-f]{8}):([0-9a-f]{8}):([0-9a-f]{4})$/i.exec(value) : null;
  if (!m) return invalid(at, `expected an LSN such as 00000027:00000758:0005, got ${describeValue(value)}`);
  return `${m[1]}${m[2]}${m[3]}`.toLowerCase();
}

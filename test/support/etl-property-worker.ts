// One stream of the ETL property's generated cases, in a process of its own
// (test/etl-property.test.ts starts two: a build keeps the main thread busy
// with DuckDB and SQLite calls, so two processes do nearly twice the work).
//   node --import tsx test/support/etl-property-worker.ts '{"seed":1,"numRuns":10,"generate":{}}'
// Prints one line: RESULT <StreamResult as JSON>.
import { runStream, type StreamConfig } from './etl-harness.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as StreamConfig;
const result = await runStream(cfg);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);

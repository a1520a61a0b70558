// The engine's only import point, and the only module of ade that imports @duckdb/node-api.
export { Engine } from './engine.js';
export { Session } from './session.js';
export { engineConfig, validateEngineConfig } from './engine-config.js';
export { EngineError, parseDuckDBError, type EngineErrorCode, type DuckDBErrorText } from './errors.js';
export { csvField } from './row-encoder.js';
export { storedType } from './stored-type.js';
export { checkSqlParams, type SqlParams, type SqlValue } from './sql-params.js';
export { DEFAULT_ENGINE_CONFIG } from './types.js';
export type {
  EngineConfig,
  OutputFormat,
  QueryOptions,
  QueryResult,
  ResultColumn,
  RowStream,
  SessionOptions,
  SystemReadOptions,
  TableBinding,
  WriteRequest,
  WriteResult,
  WriteToOptions,
  WriteToResult,
  WrittenFile,
} from './types.js';
export { writeArrow, arrowTypeOf } from './arrow-writer.js';
export { Workspace, type WorkspaceOptions } from './workspace.js';

export {
  Lake,
  mentionsTable,
  WriteBlockedError,
  type CommitListener,
  type ReadOptions,
  type StagedWrite,
  type WriteGate,
  type WriteVerdict,
  type WriteSelectRequest,
  type WritePart,
  type WritePartsRequest,
  type WriteResult,
  type WriteStage,
} from './lake.js';
export { DEFAULT_GC_CONFIG, type GcConfig, type LakeConfig } from './config.js';
export { LakeError, LoadError } from './errors.js';
export { loadFile, type LoadRequest, type LoadResult } from './load.js';
export { collectGarbage, type GcOptions, type GcReport } from './gc.js';
export { verifyLake, type VerifyReport } from './verify.js';
export { detectInput, parseDeclaredColumns, INPUT_FORMATS, type InputFormat, type DeclaredColumns } from './input-format.js';

export { FIELD_ACTIONS, SOURCE_DEFAULTS, sourceTimeColumns, type FieldAction, type FieldPolicy, type SchemaChangePolicy, type SourceConfig, type UndeclaredPolicy } from './source-config.js';
export { parseSources } from './parse-sources.js';
export { ingest, listBucketInputs, parseBucketLocation, rebuildSource, resolveInputs, type IngestReport, type IngestRequest, type RebuildRequest } from './ingest-source.js';
export { ingestFile, hashFile, rawKeyFor, QUARANTINE_COLUMNS, type FileReport, type IngestStage, type Detection } from './ingest-file.js';
export { IngestError, scrub, scrubText } from './errors.js';
export { archiveSources, archiveKeyFor, type ArchiveOptions, type ArchiveReport } from './archive.js';
export { forgetSubject, MIN_SUBJECT_CHARS, type ErasureReport, type ForgetRequest, type TableErasure, type UnsupportedFile } from './forget.js';

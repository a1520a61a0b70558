export * from './artifact.js';
export { compileFeatures, encodeRow, encodeRows, numericValue, categoryKey, stepWidth, type CompiledFeatures, type InputRow } from './encode.js';
export { compileNode, compileValidNode, scoreNode, type CompiledNode } from './score-node.js';
export { applyLink } from './apply-link.js';
export { validateArtifact, validateFeatures, validateNode } from './validate-artifact.js';
export { parseIsoUtc, toEpochMs, datetimePart, daysFromCivil } from './utc-datetime.js';
export { Scorer, fetchScorer, type ArtifactFetch, type ClassPrediction, type FetchScorerOptions, type Prediction, type ValuePrediction } from './scorer.js';

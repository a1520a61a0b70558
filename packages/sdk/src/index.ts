// @ade/sdk: deterministic experiment assignment, exposure logging and event
// tracking through ade's collector, and a scorer for published models (ml/).
// No runtime dependencies; browsers and Node 18+.
export { SDK_VERSION } from './version.js';
export { AdeSdkError, type AdeSdkErrorCode } from './errors.js';
export { bucketHash, fmix32, fnv1a32, hashToUnit } from './fnv1a.js';
export {
  compileExperiment,
  variantThresholds,
  type Attributes,
  type AttributeValue,
  type CompiledExperiment,
  type Experiment,
  type ExperimentStatus,
  type Namespace,
  type Targeting,
  type Variant,
} from './experiment.js';
export { matchesTargeting } from './targeting.js';
export { assign, type AssignOptions, type Assignment, type AssignmentReason } from './assign.js';
export { EXPOSURE_EVENT, ExposureCache, exposureEvent } from './exposures.js';
export { exposureMessageId, fnv1a128Hex, randomMessageId } from './message-id.js';
export { deliverBatch, parseRetryAfter, type DeliveryConfig, type DeliveryResult, type FetchLike } from './delivery.js';
export type { Identity, Properties, TrackEvent } from './segment-event.js';
export { AdeClient, MAX_BATCH_BYTES, MAX_EVENT_BYTES, type AdeClientOptions } from './client.js';
export * from './ml/index.js';

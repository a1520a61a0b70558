import { AdeError } from '../kernel/index.js';

/** Codes of ML errors: what a user can act on. */
export type MlErrorCode =
  | 'ml.no_rows'
  | 'ml.single_class'
  | 'ml.no_features'
  | 'ml.no_model'
  | 'ml.bad_target'
  | 'ml.bad_option'
  | 'ml.python_missing'
  | 'ml.python_failed'
  | 'ml.artifact_invalid'
  | 'ml.model_not_found'
  | 'ml.alias_not_found'
  | 'ml.no_previous_version'
  | 'ml.input_invalid';

/** An ML failure with an id and a hint. */
export class MlError extends AdeError {
  constructor(code: MlErrorCode, message: string, opts: { hint?: string; details?: Record<string, unknown> } = {}) {
    super(code, message, { ...(opts.hint ? { hint: opts.hint } : {}), ...(opts.details ? { details: opts.details } : {}) });
  }
}
